/**
 * QUIC (RFC 9000, RFC 9001, RFC 9369) and gQUIC: the client's first flight, read from UDP
 * datagrams on any port. What an observer can read of a QUIC connection is its Initial
 * packets, protected with keys anyone can derive from the Destination Connection ID: this
 * module removes that protection, reassembles the CRYPTO frames (out of order, across packets
 * and datagrams, coalesced packets included) and hands the ClientHello to the TLS code
 * (`parseClientHello`, JA3, JA4 with QUIC's `q`). Google's own handshake (gQUIC Q024 … Q050)
 * carries a CHLO message instead, whose `SNI` and `UAID` tags are read.
 *
 * One {@link QuicParser} per flow, fed every datagram of the flow in capture order. Only the
 * client's packets are read. Nothing in the bytes throws: anomalies are named weirds
 * (`QUIC_WEIRDS`), and the parser gives up where going on would mean guessing.
 *
 * Limits: at most {@link QUIC_MAX_CRYPTO} bytes of CRYPTO data, in at most
 * {@link QUIC_MAX_CRYPTO_RANGES} disjoint pieces, and {@link QUIC_MAX_DATAGRAMS} datagrams
 * (both directions) per flow; past any of them the parser is done (`quic_crypto_too_large`,
 * `quic_crypto_too_fragmented`, `quic_incomplete_client_hello`). Where CRYPTO frames overlap,
 * the bytes that came first are kept.
 */
import type { Consumer, Dir, RecordFields } from '../engine/consumer.js';
import { mappedText, printableTable } from './byte-text.js';
import { aeadOpen, clientInitialKeys, gquicNumber, headerProtectionMask, type InitialKeys, QuicFlavor, type QuicVersionInfo, quicVersionInfo } from './quic-crypto.js';
import { type ClientHelloInfo, hostText, parseClientHello, type TlsWeird } from './tls.js';
import { type Ja4Variant, ja3, ja4 } from './tls-fingerprint.js';

/** Weird names this parser reports (snake_case, `quic_` prefix; TLS anomalies of the ClientHello as `quic_tls_…`). */
export const QUIC_WEIRDS = [
  'quic_truncated_header',
  'quic_bad_dcid_length',
  'quic_bad_length',
  'quic_unknown_version',
  'quic_decryption_failed',
  'quic_bad_frame',
  'quic_crypto_too_large',
  'quic_crypto_too_fragmented',
  'quic_not_client_hello',
  'quic_bad_client_hello',
  'quic_incomplete_client_hello',
  'quic_bad_chlo',
  'quic_tls_bad_handshake',
  'quic_tls_bad_extension',
  'quic_tls_extension_overflow',
] as const;
export type QuicWeird = (typeof QUIC_WEIRDS)[number];

/** Largest CRYPTO stream kept per flow (the ClientHello, its 4-byte header included). */
export const QUIC_MAX_CRYPTO = 64 * 1024;
/** Most disjoint pieces of CRYPTO data held while waiting for the holes between them. */
export const QUIC_MAX_CRYPTO_RANGES = 32;
/** Datagrams (both directions) a flow is followed for, at most, looking for the client's hello. */
export const QUIC_MAX_DATAGRAMS = 32;
/** Longest connection ID in the versions read here (RFC 9000 §17.2). */
const MAX_CID = 20;
/** Smallest datagram accepted as the Initial of a version this module does not know (RFC 9000 §14.1). */
const MIN_INITIAL_DATAGRAM = 1200;

/** TLS extensions holding QUIC transport parameters: RFC 9001's, and the drafts'. */
const EXT_TRANSPORT_PARAMETERS = 0x39;
const EXT_TRANSPORT_PARAMETERS_DRAFT = 0xffa5;
/** Chromium's transport parameter holding the user agent. */
const TP_GOOGLE_USER_AGENT = 0x3129;

/** IETF frame types allowed in Initial packets (RFC 9000 §12.4). */
const Frame = { Padding: 0x00, Ping: 0x01, Ack: 0x02, AckEcn: 0x03, Crypto: 0x06, Close: 0x1c, CloseApp: 0x1d } as const;

/** gQUIC frame types of T050/T051 Initial packets. */
const GquicFrame = { Padding: 0x00, Ping: 0x07, Crypto: 0x08 } as const;

/** gQUIC message tags (4 ASCII bytes read big-endian). */
const TAG_CHLO = 0x43484c4f;
const TAG_SNI = 0x534e4900;
const TAG_UAID = 0x55414944;

/** What a flow record gets from QUIC (`tls` fields of ../shared/spec/flow-record.md, the user agent for `http`). */
export interface QuicInfo {
  /** QUIC version of the client's Initial, as ndpiReader names it (`V-1`, `Draft-29`, `Q050` …). */
  quicVersion?: string;
  /** `TLSv1.3` when a TLS ClientHello was read (QUIC uses TLS 1.3 only, RFC 9001 §4.2). */
  version?: string;
  /** Server name: the ClientHello's server_name, or gQUIC's `SNI` tag (lower-cased). */
  sni?: string;
  /** ALPN protocols offered, in order. */
  alpn?: string[];
  ja3?: string;
  /** JA4 with the `q` (QUIC) prefix. */
  ja4?: string;
  /** gQUIC's `UAID` tag, or Chromium's google_user_agent transport parameter. */
  userAgent?: string;
}

/**
 * Cheap test of a flow's first datagram: a long header packet of a known version whose type
 * is Initial or 0-RTT (both sent by clients only), a long header of an unknown version in a
 * datagram of Initial size (version negotiation may follow), or a gQUIC public header
 * announcing a `Q0nn` version. Reads at most 14 bytes.
 */
export function probeQuic(b: Uint8Array, off: number, end: number): boolean {
  if (end > b.length) end = b.length;
  if (off < 0) off = 0;
  const n = end - off;
  if (n < 14) return false;
  const b0 = b[off]!;
  if (b0 & 0x80) {
    if (!(b0 & 0x40)) return false;
    const v = u32(b, off + 1);
    if (v === 0) return false; // Version Negotiation: a server's packet
    const info = quicVersionInfo(v);
    if (info?.flavor === QuicFlavor.GquicPlain) return true; // Q043 … Q049: connection ID lengths in nibbles
    if (b[off + 5]! > MAX_CID) return false;
    if (info === undefined) return n >= MIN_INITIAL_DATAGRAM;
    // Initial, or 0-RTT (which a client may send, or a capture show, before its Initial).
    const type = (b0 >> 4) & 3;
    return type === info.initialType || type === ((info.initialType + 1) & 3);
  }
  // gQUIC public header (before Q046): version flag, no reset flag, version after an 8-byte or no connection ID.
  if ((b0 & 0x03) !== 0x01) return false;
  const g = gquicNumber(u32(b, off + 9));
  if (g > 0 && g < 50) return true;
  const h = gquicNumber(u32(b, off + 1));
  return h > 0 && h < 50;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Length in bytes of the last varint read by {@link varint}. */
let varLen = 0;
/**
 * A QUIC variable-length integer (RFC 9000 §16) at `b[p]`, -1 when it runs past `end`. Values
 * above 2^53 lose precision, which only matters for lengths no datagram has.
 */
function varint(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const first = b[p]!;
  const len = 1 << (first >> 6);
  if (end - p < len) return -1;
  varLen = len;
  let v = first & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + b[p + i]!;
  return v;
}

/** CRYPTO stream bytes of one encryption level, reassembled from frames at any offsets. */
class CryptoStream {
  buf = new Uint8Array(0);
  /** Sorted, disjoint, non-touching ranges held: [start0, end0, start1, end1, …]. */
  readonly ranges: number[] = [];

  /** End of the bytes held without a hole from offset 0. */
  get prefix(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1]! : 0;
  }

  /** Adds `b[p, q)` at stream offset `at`: 0 ok, 1 beyond {@link QUIC_MAX_CRYPTO}, 2 too many holes. */
  add(at: number, b: Uint8Array, p: number, q: number): 0 | 1 | 2 {
    const e = at + (q - p);
    if (e > QUIC_MAX_CRYPTO) return 1;
    if (e === at) return 0;
    if (this.buf.length < e) {
      const bigger = new Uint8Array(Math.min(QUIC_MAX_CRYPTO, Math.max(e, this.buf.length * 2, 2048)));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const r = this.ranges;
    // Copy the parts not held yet (the first bytes at an offset are kept).
    let cur = at;
    for (let i = 0; i < r.length && cur < e; i += 2) {
      const s0 = r[i]!;
      const e0 = r[i + 1]!;
      if (e0 <= cur) continue;
      if (s0 >= e) break;
      if (s0 > cur) this.buf.set(b.subarray(p + (cur - at), p + (s0 - at)), cur);
      cur = Math.max(cur, e0);
    }
    if (cur < e) this.buf.set(b.subarray(p + (cur - at), q), cur);
    // Merge [at, e) into the ranges.
    let i = 0;
    while (i < r.length && r[i + 1]! < at) i += 2;
    let j = i;
    let s = at;
    let f = e;
    while (j < r.length && r[j]! <= e) {
      s = Math.min(s, r[j]!);
      f = Math.max(f, r[j + 1]!);
      j += 2;
    }
    r.splice(i, j - i, s, f);
    return r.length / 2 > QUIC_MAX_CRYPTO_RANGES ? 2 : 0;
  }

  reset(): void {
    this.ranges.length = 0;
  }
}

/** Derived keys for one (salt, labels, DCID). */
interface KeySlot {
  salt: Uint8Array;
  labels: 'quic' | 'quicv2';
  dcid: Uint8Array;
  keys: InitialKeys;
}

/** A copy of `b[s, e)` (`slice` of a Buffer is a view, not a copy). */
function copyOf(b: Uint8Array, s: number, e: number): Uint8Array {
  const out = new Uint8Array(e - s);
  out.set(b.subarray(s, e));
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array, p: number, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[p + i]) return false;
  return true;
}

/**
 * Per-flow QUIC parser: give it every datagram of the flow (`datagram`), read the result with
 * `info()`. See the module comment for what it reads and its limits; weirds go to the
 * callback given at construction.
 */
export class QuicParser {
  private datagrams = 0;
  private finished = false;
  /** The first datagram was a gQUIC public header: CHLO messages are searched in the clear. */
  private legacy = false;
  private unknownSeen = false;
  private version: QuicVersionInfo | undefined;

  private readonly crypto = new CryptoStream();
  /** Version whose Initial packets filled `crypto` (a change of version starts it again). */
  private cryptoVersion = -1;
  private largestPn = -1;
  /** Keys of the first Initial's DCID (a client keeps them after switching to the server's CID), and the last other ones. */
  private firstKeys: KeySlot | undefined;
  private lastKeys: KeySlot | undefined;

  private hello: ClientHelloInfo | undefined;
  private ja3: string | undefined;
  private ja4: string | undefined;
  private sni: string | undefined;
  private userAgent: string | undefined;
  private chloSeen = false;

  /** @param ja4Variant - `foxio` (the specification) or `ndpi` (as ndpiReader writes it) */
  constructor(
    private readonly weird: (name: QuicWeird) => void,
    private readonly ja4Variant: Ja4Variant = 'foxio',
  ) {}

  /** True once nothing more is wanted: the client's hello was read, or the budget spent, or the parser gave up. */
  get done(): boolean {
    return this.finished;
  }

  /** One UDP payload `b[off, end)` of the flow, sent in direction `dir`; only read during the call. Never throws. */
  datagram(dir: Dir, b: Uint8Array, off: number, end: number): void {
    if (this.finished) return;
    if (end > b.length) end = b.length;
    if (off < 0) off = 0;
    if (this.datagrams++ === 0 && off < end && (b[off]! & 0x80) === 0) this.legacy = true;
    if (dir === 0 && off < end) {
      if (this.legacy) this.searchChlo(b, off, end);
      else this.packets(b, off, end);
    }
    if (!this.finished && this.datagrams >= QUIC_MAX_DATAGRAMS) {
      if (this.crypto.ranges.length > 0) this.weird('quic_incomplete_client_hello');
      this.finished = true;
    }
  }

  /** What was found so far (a new object each call). */
  info(): QuicInfo {
    const out: QuicInfo = {};
    if (this.version !== undefined) out.quicVersion = this.version.name;
    const h = this.hello;
    if (h !== undefined) {
      out.version = 'TLSv1.3';
      if (h.sni !== undefined) out.sni = h.sni;
      if (h.alpn !== undefined) out.alpn = h.alpn.slice();
      if (this.ja3 !== undefined) out.ja3 = this.ja3;
      if (this.ja4 !== undefined) out.ja4 = this.ja4;
    } else if (this.sni !== undefined) out.sni = this.sni;
    if (this.userAgent !== undefined) out.userAgent = this.userAgent;
    return out;
  }

  // ---- packets ----------------------------------------------------------------------------------

  /** The packets of one client datagram: long header packets, coalesced; a short header ends it. */
  private packets(b: Uint8Array, p: number, end: number): void {
    while (p < end && !this.finished) {
      const b0 = b[p]!;
      if (!(b0 & 0x80)) return; // a short header packet fills the rest of the datagram
      if (end - p < 7) {
        this.weird('quic_truncated_header');
        return;
      }
      const v = u32(b, p + 1);
      if (v === 0) return; // Version Negotiation
      const info = quicVersionInfo(v);
      if (info === undefined) {
        if (!this.unknownSeen) this.weird('quic_unknown_version');
        this.unknownSeen = true;
        return;
      }
      this.version = info;
      if (info.flavor === QuicFlavor.GquicPlain) {
        this.searchChlo(b, p, end);
        return;
      }
      const next = this.longPacket(info, v, b, p, end);
      if (next < 0) return;
      p = next;
    }
  }

  /** One long header packet at `b[p]`: the offset after it, or -1 when the rest of the datagram cannot be read. */
  private longPacket(info: QuicVersionInfo, v: number, b: Uint8Array, p: number, end: number): number {
    const b0 = b[p]!;
    const dcidLen = b[p + 5]!;
    if (dcidLen > MAX_CID) {
      this.weird('quic_bad_dcid_length');
      return -1;
    }
    const dcid = p + 6;
    let q = dcid + dcidLen;
    if (q >= end) {
      this.weird('quic_truncated_header');
      return -1;
    }
    const scidLen = b[q]!;
    if (scidLen > MAX_CID) {
      this.weird('quic_bad_dcid_length');
      return -1;
    }
    q += 1 + scidLen;
    const type = (b0 >> 4) & 3;
    if (type === info.retryType) return -1; // a Retry (from a server) has no Length: the rest is it
    if (type === info.initialType) {
      const tokenLen = varint(b, q, end);
      if (tokenLen < 0 || tokenLen > end - q - varLen) {
        this.weird('quic_truncated_header');
        return -1;
      }
      q += varLen + tokenLen;
    }
    const len = varint(b, q, end);
    if (len < 0) {
      this.weird('quic_truncated_header');
      return -1;
    }
    const pnOff = q + varLen;
    if (len > end - pnOff) {
      this.weird('quic_bad_length');
      return -1;
    }
    const pktEnd = pnOff + len;
    if (type === info.initialType) this.initial(info, v, b, p, dcid, dcidLen, pnOff, pktEnd);
    return pktEnd; // 0-RTT and Handshake packets are skipped
  }

  /** An Initial packet `b[p, pktEnd)`: header protection off, payload decrypted, then its frames. */
  private initial(info: QuicVersionInfo, v: number, b: Uint8Array, p: number, dcid: number, dcidLen: number, pnOff: number, pktEnd: number): void {
    if (pktEnd - pnOff < 4 + 16) {
      this.weird('quic_bad_length'); // no room for the header protection sample
      return;
    }
    const salt = info.salt!;
    let slot = this.firstKeys;
    if (slot === undefined || slot.salt !== salt || !sameBytes(slot.dcid, b, dcid, dcidLen)) {
      const last = this.lastKeys;
      slot = last !== undefined && last.salt === salt && sameBytes(last.dcid, b, dcid, dcidLen) ? last : this.derive(info, b, dcid, dcidLen);
    }
    let plain = this.open(slot.keys, b, p, pnOff, pktEnd);
    if (plain === undefined && this.firstKeys !== undefined && slot !== this.firstKeys && this.firstKeys.salt === salt) {
      plain = this.open(this.firstKeys.keys, b, p, pnOff, pktEnd);
    }
    if (plain === undefined) {
      this.weird('quic_decryption_failed');
      return;
    }
    if (this.cryptoVersion !== v) {
      // A new version (after version negotiation) means a new ClientHello.
      if (this.cryptoVersion >= 0) this.crypto.reset();
      this.cryptoVersion = v;
    }
    if (info.flavor === QuicFlavor.GquicCrypto) this.searchChlo(plain, 0, plain.length);
    else if (info.flavor === QuicFlavor.GquicTls) this.gquicFrames(plain, 0, plain.length);
    else this.frames(plain, 0, plain.length);
  }

  private derive(info: QuicVersionInfo, b: Uint8Array, dcid: number, dcidLen: number): KeySlot {
    const id = copyOf(b, dcid, dcid + dcidLen);
    const slot: KeySlot = { salt: info.salt!, labels: info.labels, dcid: id, keys: clientInitialKeys(info.salt!, id, info.labels) };
    if (this.firstKeys === undefined) this.firstKeys = slot;
    else this.lastKeys = slot;
    return slot;
  }

  /** Removes header protection (on a copy of the header) and decrypts; undefined when the keys do not fit. */
  private open(keys: InitialKeys, b: Uint8Array, p: number, pnOff: number, pktEnd: number): Uint8Array | undefined {
    const mask = headerProtectionMask(keys.hp, b, pnOff + 4);
    const hdr = copyOf(b, p, pnOff + 4);
    hdr[0]! ^= mask[0]! & 0x0f;
    const pnLen = (hdr[0]! & 3) + 1;
    const at = pnOff - p;
    let truncated = 0;
    for (let i = 0; i < pnLen; i++) {
      hdr[at + i]! ^= mask[1 + i]!;
      truncated = truncated * 256 + hdr[at + i]!;
    }
    const pn = decodePacketNumber(this.largestPn, truncated, pnLen * 8);
    const plain = aeadOpen(keys, pn, hdr.subarray(0, at + pnLen), b.subarray(pnOff + pnLen, pktEnd));
    if (plain !== undefined && pn > this.largestPn) this.largestPn = pn;
    return plain;
  }

  // ---- frames -----------------------------------------------------------------------------------

  /** The frames of a decrypted Initial payload: CRYPTO data kept, PADDING, PING, ACK and CONNECTION_CLOSE skipped. */
  private frames(b: Uint8Array, p: number, end: number): void {
    while (p < end && !this.finished) {
      p = this.frame(b, p, end);
      if (p < 0) {
        this.weird('quic_bad_frame');
        return;
      }
    }
  }

  /** One IETF frame at `b[p]`: the offset after it, -1 for a frame type not allowed in Initials or a frame cut short. */
  private frame(b: Uint8Array, p: number, end: number): number {
    const t = b[p++]!;
    switch (t) {
      case Frame.Padding:
      case Frame.Ping:
        return p;
      case Frame.Ack:
      case Frame.AckEcn: {
        // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, ranges (gap, length), ECN counts.
        let n = 4;
        for (let i = 0; i < n; i++) {
          const x = varint(b, p, end);
          if (x < 0) return -1;
          p += varLen;
          if (i === 2) {
            if (x > end - p) return -1; // each range takes two bytes at least
            n += 2 * x;
          }
        }
        if (t === Frame.AckEcn) p = skipVarints(b, p, end, 3);
        return p;
      }
      case Frame.Crypto:
        return this.cryptoFrame(b, p, end);
      case Frame.Close:
      case Frame.CloseApp: {
        // Error code, frame type (transport close only), reason phrase.
        p = skipVarints(b, p, end, t === Frame.Close ? 2 : 1);
        const len = p < 0 ? -1 : varint(b, p, end);
        if (len < 0 || len > end - p - varLen) return -1;
        return p + varLen + len;
      }
      default:
        return -1;
    }
  }

  /**
   * The frames of a decrypted T050/T051 Initial payload, in gQUIC's framing: CRYPTO (0x08,
   * varint offset and length), PADDING and PING (0x07) are read; another frame type ends the
   * packet quietly (gQUIC's ACK and others are not parsed here).
   */
  private gquicFrames(b: Uint8Array, p: number, end: number): void {
    while (p < end && !this.finished) {
      const t = b[p]!;
      if (t === GquicFrame.Padding || t === GquicFrame.Ping) {
        p++;
        continue;
      }
      if (t !== GquicFrame.Crypto) return;
      p = this.cryptoFrame(b, p + 1, end);
      if (p < 0) {
        this.weird('quic_bad_frame');
        return;
      }
    }
  }

  /** A CRYPTO frame's offset, length and data at `b[p]` (after the type): the offset after it, or -1. */
  private cryptoFrame(b: Uint8Array, p: number, end: number): number {
    const at = varint(b, p, end);
    if (at < 0) return -1;
    p += varLen;
    const len = varint(b, p, end);
    if (len < 0 || len > end - p - varLen) return -1;
    p += varLen;
    this.cryptoData(at, b, p, p + len);
    return p + len;
  }

  private cryptoData(at: number, b: Uint8Array, p: number, q: number): void {
    if (this.hello !== undefined) return;
    const r = this.crypto.add(at, b, p, q);
    if (r !== 0) {
      this.weird(r === 1 ? 'quic_crypto_too_large' : 'quic_crypto_too_fragmented');
      this.finished = true;
      return;
    }
    const have = this.crypto.prefix;
    if (have < 4) return;
    const buf = this.crypto.buf;
    const len = (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!;
    if (buf[0] !== 1) {
      this.weird('quic_not_client_hello');
      this.finished = true;
      return;
    }
    if (len > QUIC_MAX_CRYPTO - 4) {
      this.weird('quic_crypto_too_large');
      this.finished = true;
      return;
    }
    if (have < 4 + len) return;
    this.finished = true;
    this.clientHello(buf, 4, 4 + len);
  }

  /** The whole ClientHello body `b[p, q)`: the TLS code reads it, transport parameters are read here. */
  private clientHello(b: Uint8Array, p: number, q: number): void {
    const hello = parseClientHello(b, p, q, this.tlsWeird, (type, eb, ep, ee) => {
      if (type === EXT_TRANSPORT_PARAMETERS || type === EXT_TRANSPORT_PARAMETERS_DRAFT) {
        const ua = transportUserAgent(eb, ep, ee);
        if (ua !== undefined && this.userAgent === undefined) this.userAgent = ua;
      }
    });
    if (hello === undefined) {
      this.weird('quic_bad_client_hello');
      return;
    }
    this.hello = hello;
    this.ja3 = ja3(hello.fields);
    this.ja4 = ja4(hello.fields, 'q', { variant: this.ja4Variant, sni: hello.sni });
  }

  private readonly tlsWeird = (name: TlsWeird): void => {
    if (name === 'tls_bad_handshake' || name === 'tls_bad_extension' || name === 'tls_extension_overflow') this.weird(`quic_${name}`);
  };

  // ---- gQUIC crypto handshake ---------------------------------------------------------------------

  /** Looks for a CHLO message in `b[p, end)` (a gQUIC packet in the clear, or a decrypted Q050 payload). */
  private searchChlo(b: Uint8Array, p: number, end: number): void {
    for (let i = p; i + 8 <= end; i++) {
      if (b[i] !== 0x43 || u32(b, i) !== TAG_CHLO) continue;
      this.chlo(b, i, end);
      if (this.chloSeen) {
        this.finished = true;
        return;
      }
    }
  }

  /**
   * A CHLO message at `b[p]` (gQUIC crypto handshake): tag, u16 entry count, 2 bytes padding,
   * then (tag, u32 little-endian end offset) entries and the values. Values cut off by the
   * end of the packet are not read.
   */
  private chlo(b: Uint8Array, p: number, end: number): void {
    const n = b[p + 4]! | (b[p + 5]! << 8);
    const tags = p + 8;
    const values = tags + 8 * n;
    if (n === 0 || n > 256 || values > end) return; // "CHLO" bytes that are no message
    this.chloSeen = true;
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const e = tags + 8 * i;
      const tag = u32(b, e);
      const off = (b[e + 4]! | (b[e + 5]! << 8) | (b[e + 6]! << 16) | (b[e + 7]! << 24)) >>> 0;
      if (off < prev) {
        this.weird('quic_bad_chlo');
        return;
      }
      if (off > end - values) return; // the rest is in a later packet
      if (tag === TAG_SNI && off > prev && this.sni === undefined) this.sni = hostText(b, values + prev, values + off);
      else if (tag === TAG_UAID && off > prev && this.userAgent === undefined) this.userAgent = printable(b, values + prev, values + off);
      prev = off;
    }
  }
}

/** Skips `n` varints at `b[p]`: the offset after them, -1 when they run past `end`. */
function skipVarints(b: Uint8Array, p: number, end: number, n: number): number {
  for (let i = 0; i < n; i++) {
    if (p < 0 || varint(b, p, end) < 0) return -1;
    p += varLen;
  }
  return p;
}

/** Decodes a truncated packet number of `bits` bits against the largest one seen (RFC 9000 §A.3). */
function decodePacketNumber(largest: number, truncated: number, bits: number): number {
  const expected = largest + 1;
  const win = 2 ** bits;
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

/**
 * Chromium's user agent transport parameter (0x3129) in a quic_transport_parameters extension
 * body: varint id and length (draft 27 on); else the drafts' u16 list length, u16 id and length.
 */
function transportUserAgent(b: Uint8Array, p: number, e: number): string | undefined {
  const ua = transportParam(b, p, e, true) ?? (e - p >= 2 && ((b[p]! << 8) | b[p + 1]!) === e - p - 2 ? transportParam(b, p + 2, e, false) : undefined);
  return ua;
}

function transportParam(b: Uint8Array, p: number, e: number, varints: boolean): string | undefined {
  while (p < e) {
    let id: number;
    let len: number;
    if (varints) {
      id = varint(b, p, e);
      if (id < 0) return undefined;
      p += varLen;
      len = varint(b, p, e);
      if (len < 0) return undefined;
      p += varLen;
    } else {
      if (e - p < 4) return undefined;
      id = (b[p]! << 8) | b[p + 1]!;
      len = (b[p + 2]! << 8) | b[p + 3]!;
      p += 4;
    }
    if (len > e - p) return undefined;
    if (id === TP_GOOGLE_USER_AGENT && len > 0) return printable(b, p, p + len);
    p += len;
  }
  return undefined;
}

/** Printable text: control and non-ASCII bytes as `?`, at most 512 characters. */
function printable(b: Uint8Array, p: number, e: number): string {
  return mappedText(b, p, Math.min(e, p + 512), PRINTABLE);
}

const PRINTABLE = printableTable();

// ---- consumer -------------------------------------------------------------------------------------

/** The contract's `tls` fields a QUIC ClientHello gives, in its order. */
const QUIC_TLS_KEYS = ['version', 'sni', 'alpn', 'ja3', 'ja4'] as const;

/** A UDP flow that may be QUIC: the first datagram decides. */
export interface QuicFlow {
  parser: QuicParser | null;
  decided: boolean;
  readonly weird: (name: string) => void;
}

/**
 * QUIC and gQUIC over UDP (any port): `tls` (version, sni, alpn, ja3, ja4 of the client's
 * hello), `host` (the SNI, unless set) and `http.user_agent` (gQUIC's UAID, Chromium's
 * user agent transport parameter), unless `http` is set.
 */
export const quicConsumer: Consumer<QuicFlow> = quicConsumerWith('foxio');

/** {@link quicConsumer} with the chosen JA4 form. */
export function quicConsumerWith(ja4Variant: Ja4Variant): Consumer<QuicFlow> {
  return {
  name: 'quic',
  openAt: 'payload',
  mayOpen: (s) => s.protocol === 17,
  open: (s) => (s.protocol === 17 ? { parser: null, decided: false, weird: s.weird } : undefined),
  datagram(st, dir, b, off, end) {
    if (!st.decided) {
      st.decided = true;
      if (!probeQuic(b, off, end)) return false;
      st.parser = new QuicParser(st.weird, ja4Variant);
    }
    st.parser?.datagram(dir, b, off, end);
  },
  done: (st) => st.decided && (st.parser === null || st.parser.done),
  close(st, fields: RecordFields) {
    if (st.parser === null) return;
    const info = st.parser.info();
    const tls: Record<string, unknown> = {};
    for (const k of QUIC_TLS_KEYS) if (info[k] !== undefined) tls[k] = info[k];
    if (Object.keys(tls).length > 0) fields.tls = tls;
    if (info.sni !== undefined && info.sni !== '' && fields.host === undefined) fields.host = info.sni;
    if (info.userAgent !== undefined && fields.http === undefined) fields.http = { user_agent: info.userAgent };
  },
  };
}
