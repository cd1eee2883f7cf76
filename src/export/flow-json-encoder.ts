import { TUNNEL_NAMES } from '../decode/decoder.js';
import { NO_FIELDS, RECORD_EXTRA_KEYS, type RecordFields } from '../engine/consumer.js';
import { DIR_FIELDS, Snap, SnapDir } from '../flow/flow-snapshot.js';
import { END_REASON_NAMES } from '../flow/flow-tracker.js';
import { ipv6Text } from '../flow/ip-text.js';
import { distributionParts, protocolName, tcpFlagsText } from '../flow/record.js';

const enc = new TextEncoder();
const bytesOf = (s: string): Uint8Array => enc.encode(s);

/** Every fixed piece of text, encoded once. */
const T = {
  flowId: bytesOf('{"type":"flow","flow_id":"'),
  firstSeen: bytesOf('","first_seen":'),
  lastSeen: bytesOf(',"last_seen":'),
  ipVersion: bytesOf(',"ip_version":'),
  protocol: bytesOf(',"protocol":"'),
  vlan: bytesOf('","vlan":'),
  client: bytesOf(',"client":{"ip":"'),
  clientNoVlan: bytesOf('","client":{"ip":"'),
  server: bytesOf(',"server":{"ip":"'),
  port: bytesOf('","port":'),
  packets: bytesOf(',"packets":'),
  bytes: bytesOf(',"bytes":'),
  payload: bytesOf(',"payload_bytes":'),
  pktLen: bytesOf(',"pkt_len":{"min":'),
  ttl: bytesOf(',"ttl":{"min":'),
  iat: bytesOf(',"iat_ms":{"min":'),
  avg: bytesOf(',"avg":'),
  max: bytesOf(',"max":'),
  stddev: bytesOf(',"stddev":'),
  tunnel: bytesOf(',"tunnel":"'),
  tcp: bytesOf(',"tcp":{'),
  clientFlags: bytesOf('"client_flags":"'),
  serverFlags: bytesOf('"server_flags":"'),
  retrans: bytesOf('"retransmissions":'),
  ooo: bytesOf(',"out_of_order":'),
  rtt: bytesOf(',"rtt_ms":'),
  endReason: bytesOf(',"end_reason":"'),
  close: bytesOf('"}\n'),
};
const PROTOCOLS: Uint8Array[] = Array.from({ length: 256 }, (_, p) => bytesOf(protocolName(p)));
const TUNNELS: Uint8Array[] = TUNNEL_NAMES.map(bytesOf);
const REASONS: Uint8Array[] = END_REASON_NAMES.map(bytesOf);
const FLAGS: Uint8Array[] = Array.from({ length: 256 }, (_, f) => bytesOf(tcpFlagsText(f)));
const DOT = 0x2e;
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_OBJECT = 0x7d;

/**
 * Writes flow records as NDJSON bytes straight from snapshot rows: the same text, byte for
 * byte, as `JSON.stringify(buildFlowRecord(row))` plus a newline (a test holds the two
 * together on the whole corpus), without making the record object or any string. Printing
 * records costs as much as the packet path otherwise; this keeps the NDJSON sink's worker
 * ahead of the engine.
 */
/** The contract's `app` keys in order (`category` may be absent). */
const APP_KEYS = ['protocol', 'master', 'app', 'category', 'confidence'];

/**
 * A key naming an `app` field's value when it has exactly the contract's shape (its keys in its
 * order, string values), so its JSON can be made once and reused; undefined for anything else
 * (a plugin's own keys), which must go through JSON.stringify.
 */
export function appKey(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const app = v as Record<string, unknown>;
  let i = 0;
  for (const k in app) {
    if (i === 3 && k === 'confidence') i = 4; // no category
    if (k !== APP_KEYS[i] || typeof app[k] !== 'string') return undefined;
    i++;
  }
  if (i !== 5) return undefined;
  return `${app.protocol}\u0000${app.master}\u0000${app.app}\u0000${app.category ?? ''}\u0000${app.confidence}`;
}

/**
 * The consumer fields other than `app` as the encoder writes them: `,"key":json` for each, in
 * the contract's order. Made where the fields are (the packet path's thread), it travels to the
 * writer as one string instead of structured-cloned objects.
 */
export function extraFieldsText(fields: RecordFields): string {
  let text = '';
  for (const key of RECORD_EXTRA_KEYS) {
    if (key === 'app') continue;
    const v = fields[key];
    if (v !== undefined) text += `,"${key}":${JSON.stringify(v)}`;
  }
  return text;
}

/** The bytes the encoder writes for an `app` field, from the value's JSON (`,"app":{…}`). */
export const appFieldBytes = (json: string): Uint8Array => bytesOf(`,"app":${json}`);

export class FlowJsonEncoder {
  buf: Uint8Array;
  pos = 0;
  private readonly prefix: Uint8Array;
  private readonly parts = new Float64Array(4);
  private readonly utf8 = new TextEncoder();
  /** Encoded `app` fields by value (see appField). */
  private readonly appBytes = new Map<string, Uint8Array>();

  /** @param flowIdPrefix - text before each flow number (must need no JSON escaping) */
  constructor(flowIdPrefix = '', initialBytes = 1 << 20) {
    if (JSON.stringify(flowIdPrefix) !== `"${flowIdPrefix}"`) throw new RangeError('flow id prefix needs JSON escaping');
    this.prefix = bytesOf(flowIdPrefix);
    this.buf = new Uint8Array(initialBytes);
  }

  /**
   * Appends the record of the row at `row[at…]`, with the fields consumers added; `app`, when
   * given, is the `app` field already encoded (see {@link appFieldBytes}) and stands for
   * `fields.app`; `rest`, when given, is the other fields as text already (see
   * {@link extraFieldsText}) and stands for them.
   */
  encode(row: Float64Array, at: number, fields?: RecordFields, app?: Uint8Array, rest?: string): void {
    // A record is well under 2 KiB; IPv6 text and large counters included.
    if (this.buf.length - this.pos < 4096) this.grow();
    const k = at + Snap.Key;
    const word9 = row[k + 9]!;
    const v6 = (word9 & 0x100) !== 0;
    const proto = word9 & 0xff;
    const vlan = (word9 >>> 12) - 1;
    const clientIsA = (row[at + Snap.Bits]! & 1) !== 0;
    this.put(T.flowId);
    this.put(this.prefix);
    this.int(row[at + Snap.Serial]!);
    this.put(T.firstSeen);
    this.decimal(Math.round((row[at + Snap.FirstTs]! / 1e6) * 1e6), 1e6);
    this.put(T.lastSeen);
    this.decimal(Math.round((row[at + Snap.LastTs]! / 1e6) * 1e6), 1e6);
    this.put(T.ipVersion);
    this.int(v6 ? 6 : 4);
    this.put(T.protocol);
    this.put(PROTOCOLS[proto]!);
    if (vlan >= 0) {
      this.put(T.vlan);
      this.int(vlan);
      this.put(T.client);
    } else this.put(T.clientNoVlan);
    const d0 = at + Snap.Dir0;
    const d1 = d0 + DIR_FIELDS;
    const portWord = row[k + 8]!;
    this.endpoint(row, d0, clientIsA ? k : k + 4, clientIsA ? portWord >>> 16 : portWord & 0xffff, v6);
    this.put(T.server);
    this.endpoint(row, d1, clientIsA ? k + 4 : k, clientIsA ? portWord & 0xffff : portWord >>> 16, v6);
    const tunnel = row[at + Snap.Tunnel]!;
    if (tunnel !== 0) {
      this.put(T.tunnel);
      this.put(TUNNELS[tunnel]!);
      this.byte(QUOTE);
    }
    if (fields !== undefined || app !== undefined || rest !== undefined) this.extras(fields ?? NO_FIELDS, app, rest);
    const flags0 = row[d0 + SnapDir.TcpFlags]!;
    const flags1 = row[d1 + SnapDir.TcpFlags]!;
    if (proto === 6 && (flags0 | flags1) !== 0) {
      this.put(T.tcp);
      if (flags0 !== 0) {
        this.put(T.clientFlags);
        this.put(FLAGS[flags0]!);
        this.byte(QUOTE);
        this.byte(COMMA);
      }
      if (flags1 !== 0) {
        this.put(T.serverFlags);
        this.put(FLAGS[flags1]!);
        this.byte(QUOTE);
        this.byte(COMMA);
      }
      this.put(T.retrans);
      this.int(row[d0 + SnapDir.Retrans]! + row[d1 + SnapDir.Retrans]!);
      this.put(T.ooo);
      this.int(row[d0 + SnapDir.OutOfOrder]! + row[d1 + SnapDir.OutOfOrder]!);
      const rtt = row[at + Snap.RttUs]!;
      if (rtt >= 0) {
        this.put(T.rtt);
        this.decimal(Math.round((rtt / 1000) * 1000), 1000);
      }
      this.byte(CLOSE_OBJECT);
    }
    this.put(T.endReason);
    this.put(REASONS[row[at + Snap.Reason]!]!);
    this.put(T.close);
  }

  /** Appends one line of ready-made JSON (an event record) and a newline. */
  text(json: string): void {
    while (this.buf.length - this.pos < json.length * 3 + 4096) this.grow();
    this.pos += this.utf8.encodeInto(json, this.buf.subarray(this.pos)).written;
    this.buf[this.pos++] = 0x0a;
  }

  /**
   * Consumer fields, few and varied: `app` first (its bytes when given, else by value), then the
   * others as `rest` text when given, else from `fields` (see {@link extraFieldsText}).
   */
  private extras(fields: RecordFields, app: Uint8Array | undefined, rest: string | undefined): void {
    if (app !== undefined) this.bytes(app);
    else {
      const v = fields.app;
      if (v !== undefined && !this.appField(v)) this.utf8Text(`,"app":${JSON.stringify(v)}`);
    }
    this.utf8Text(rest ?? extraFieldsText(fields));
  }

  private utf8Text(text: string): void {
    if (text === '') return;
    while (this.buf.length - this.pos < text.length * 3 + 4096) this.grow();
    this.pos += this.utf8.encodeInto(text, this.buf.subarray(this.pos)).written;
  }

  /** The classifier's `app` field: a handful of distinct values over a capture, their bytes kept by value. */
  private appField(v: unknown): boolean {
    const key = appKey(v);
    if (key === undefined) return false;
    let bytes = this.appBytes.get(key);
    if (bytes === undefined) {
      bytes = appFieldBytes(JSON.stringify(v));
      if (this.appBytes.size >= 4096) this.appBytes.clear();
      this.appBytes.set(key, bytes);
    }
    this.bytes(bytes);
    return true;
  }

  private bytes(b: Uint8Array): void {
    while (this.buf.length - this.pos < b.length + 4096) this.grow();
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Takes the bytes written so far (a view, valid until the next `encode`) and starts over. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  private endpoint(row: Float64Array, o: number, addr: number, port: number, v6: boolean): void {
    if (v6) this.ascii(ipv6Text(row[addr]!, row[addr + 1]!, row[addr + 2]!, row[addr + 3]!));
    else {
      const a = row[addr]!;
      this.int(a >>> 24);
      this.byte(DOT);
      this.int((a >>> 16) & 0xff);
      this.byte(DOT);
      this.int((a >>> 8) & 0xff);
      this.byte(DOT);
      this.int(a & 0xff);
    }
    this.put(T.port);
    this.int(port);
    const packets = row[o + SnapDir.Packets]!;
    const bytes = row[o + SnapDir.Bytes]!;
    this.put(T.packets);
    this.int(packets);
    this.put(T.bytes);
    this.int(bytes);
    this.put(T.payload);
    this.int(row[o + SnapDir.Payload]!);
    if (packets > 0) {
      this.put(T.pktLen);
      this.distribution(packets, row[o + SnapDir.LenMin]!, bytes, row[o + SnapDir.LenSumSq]!, row[o + SnapDir.LenMax]!, 1);
      this.put(T.ttl);
      this.int(row[o + SnapDir.TtlMin]!);
      this.put(T.max);
      this.int(row[o + SnapDir.TtlMax]!);
      this.byte(CLOSE_OBJECT);
    }
    const samples = row[o + SnapDir.IatCount]!;
    if (samples > 0) {
      this.put(T.iat);
      this.distribution(samples, row[o + SnapDir.IatMin]!, row[o + SnapDir.IatSum]!, row[o + SnapDir.IatSumSq]!, row[o + SnapDir.IatMax]!, 1e-3);
    }
    this.byte(CLOSE_OBJECT);
  }

  /** `{min, avg, max, stddev}` body after `"min":`, in thousandths, as the record builder rounds them. */
  private distribution(n: number, min: number, sum: number, sumSq: number, max: number, scale: number): void {
    const p = this.parts;
    distributionParts(n, min, sum, sumSq, max, scale, p);
    this.decimal(p[0]!, 1000);
    this.put(T.avg);
    this.decimal(p[1]!, 1000);
    this.put(T.max);
    this.decimal(p[2]!, 1000);
    this.put(T.stddev);
    this.decimal(p[3]!, 1000);
    this.byte(CLOSE_OBJECT);
  }

  /** Writes q/scale (q an integer count of 1/scale, scale 10^k) as JSON prints it. */
  private decimal(q: number, scale: number): void {
    if (q < 0) {
      this.byte(0x2d);
      q = -q;
    }
    const int = Math.floor(q / scale);
    let frac = q - int * scale;
    this.int(int);
    if (frac === 0) return;
    this.byte(DOT);
    // Leading zeros of the fraction, then its digits without trailing zeros.
    let unit = scale / 10;
    while (frac < unit) {
      this.byte(0x30);
      unit /= 10;
    }
    while (frac % 10 === 0) frac /= 10;
    this.int(frac);
  }

  /** A non-negative integer (< 2^53) in decimal. */
  private int(x: number): void {
    const b = this.buf;
    if (x < 10) {
      b[this.pos++] = 0x30 + x;
      return;
    }
    if (x > 0x7fffffff) {
      // Beyond int32: peel the low 9 digits with float division, then the rest.
      const high = Math.floor(x / 1e9);
      this.int(high);
      this.digits(x - high * 1e9, 9);
      return;
    }
    let digits = 1;
    for (let t = x; t >= 10; t = (t / 10) | 0) digits++;
    this.digits(x, digits);
  }

  /** `x` (an int32) as exactly `n` digits, zero-padded. */
  private digits(x: number, n: number): void {
    const b = this.buf;
    let p = this.pos + n;
    this.pos = p;
    for (let i = 0; i < n; i++) {
      const q = (x / 10) | 0;
      b[--p] = 0x30 + (x - q * 10);
      x = q;
    }
  }

  private ascii(s: string): void {
    const b = this.buf;
    for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i);
  }

  private byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  private put(bytes: Uint8Array): void {
    // A byte loop beats TypedArray#set for pieces this short.
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < bytes.length; i++) b[p++] = bytes[i]!;
    this.pos = p;
  }

  private grow(): void {
    let size = this.buf.length * 2;
    while (size - this.pos < 4096) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }
}
