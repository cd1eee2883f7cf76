/**
 * The classifier: names each flow's protocol and application the way nDPI does, as one more
 * consumer of the engine (it comes after the parsers so it can read the names they found).
 *
 * Order of trust: payload dissectors over the first packets of each direction (confidence
 * `dpi`), with host names (HTTP Host, TLS/QUIC SNI, DNS query, certificate name) against host
 * rules for the application over the master. Without a master, as nDPI gives up: the port
 * (`port`) unless the payload ruled its protocol out, then the address's network rules (`ip`),
 * then a name learned from an earlier DNS answer for the address (`cache`); else `Unknown`.
 */
import { parseDnsMessage } from '../protocols/dns.js';
import type { Consumer, Dir, FlowStart, RecordFields } from '../engine/consumer.js';
import { parseAddress, parseIpv4 } from '../flow/ip-text.js';
import type { Catalog } from './catalog.js';
import { CONTINUE, type Dissector, type FlowInfo, MATCH, type Payload, REJECT, type SharedKey, SharedStore } from './dissector.js';
import { DnsCache } from './dns-cache.js';
import { isDtlsDatagram } from './dissectors/dtls.js';
import { httpContentApp } from './http-content.js';
import { flowRisks } from './risks.js';

/** Options of the classifier. */
export interface ClassifierOptions {
  catalog: Catalog;
  dissectors: readonly Dissector[];
  /** Payloads (both directions) a flow is inspected for before DPI gives up. Default 12 (the dev corpus scores the same with 24). */
  packetBudget?: number;
  /** Flow risks on the record (`risks`). Default true. */
  risks?: boolean;
}

/** The `app` field of a flow record (the contract's shape). */
export interface AppField {
  protocol: string;
  master: string;
  app: string;
  category?: string;
  confidence: 'dpi' | 'cache' | 'ip' | 'port' | 'guess' | 'unknown';
}

/** IP protocols nDPI names by number alone. */
const BY_IP_PROTOCOL = new Map<number, string>([
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IP_in_IP'],
  [47, 'GRE'],
  [50, 'IPSec'],
  [51, 'IPSec'],
  [58, 'ICMPV6'],
  [88, 'IP_EIGRP'],
  [89, 'OSPF'],
  [103, 'IP_PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

/** TLS on a mail port, or a mail dialogue that turned to TLS: nDPI's "S" names. */
const TLS_BY_PORT = new Map<number, string>([
  [465, 'SMTPS'],
  [993, 'IMAPS'],
  [995, 'POPS'],
]);
/** DNS over TLS (853) and over QUIC (853, and 784/8853 of the drafts): nDPI's TLS.DoH_DoT, QUIC.DoH_DoT. */
const DOT_PORT = 853;

/**
 * Masters whose host names name an application, as in nDPI (HTTP Host, TLS/QUIC SNI, DNS query,
 * mail): a DHCP client's host name or a NetBIOS name says nothing of the service it talks to.
 */
const HOST_APP_MASTERS = new Set(['HTTP', 'HTTP_Proxy', 'HTTP_Connect', 'TLS', 'DTLS', 'QUIC', 'DNS', 'SMTP', 'SMTPS', 'POP3', 'POPS', 'IMAP', 'IMAPS']);
const DOQ_PORTS = new Set([853, 784, 8853]);
const STARTTLS_NAME = new Map<string, string>([
  ['SMTP', 'SMTPS'],
  ['POP3', 'POPS'],
  ['IMAP', 'IMAPS'],
]);

const DNS_LEARN_PORTS = new Set([53, 5353, 5355]);

/**
 * Masters whose flows keep the master's category whatever application their names point to
 * (nDPI: a DNS query for www.facebook.com is DNS traffic about Facebook, not Facebook traffic;
 * mail stays mail).
 */
const CATEGORY_FROM_MASTER = new Set(['DNS', 'POP3', 'POPS', 'SMTP', 'SMTPS', 'IMAP', 'IMAPS']);

/** The server certificate's common name, wildcard label dropped (`*.webex.com` → `webex.com`). */
function certificateName(fields: RecordFields): string | undefined {
  const subject = (fields as { tls?: { cert_subject?: unknown } }).tls?.cert_subject;
  if (typeof subject !== 'string') return undefined;
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(subject)?.[1]?.trim();
  return cn === undefined || cn === '' ? undefined : cn.replace(/^\*\./, '');
}

/** Per-flow classification state: what dissectors read of the flow (`p.flow`), and the decision. */
/** Distinct `app` values remembered (a capture has a few hundred). */
const MAX_APP_FIELDS = 16384;

/** What `FlowInfo.clientAddress` and `serverAddress` return: refilled at each read (no arrays per flow). */
const CLIENT_ADDRESS = new Uint32Array(4);
const SERVER_ADDRESS = new Uint32Array(4);

class ClassifyFlow implements FlowInfo {
  transport: number;
  ipVersion: 4 | 6;
  clientPort: number;
  serverPort: number;
  // IPv4 addresses as 32-bit integers (unboxed), IPv6 ones in one array; dissectors read them through shared arrays.
  private readonly client4: number;
  private readonly server4: number;
  private readonly words6: Uint32Array | null;
  /** Payloads given to dissectors, client → server and back. */
  packets0 = 0;
  packets1 = 0;
  streamBytes0 = 0;
  streamBytes1 = 0;
  // Decision
  /** The dissectors of the flow's transport, set at the first payload (most flows without one never need it). */
  tried: DissectorSet | null = null;
  /** Bit i set (30 bits a word): `tried.list[i]` ruled the flow out, or never fits it. */
  rejected: number[] = NO_WORDS;
  /** Dissectors of `tried` not ruled out yet. */
  alive = 0;
  /** Indices in `tried.list` tried before the others: the dissectors of the protocol the ports suggest. */
  front: readonly number[] = NO_INDICES;
  /** Per-flow state of the stateful dissectors, by `tried.stateSlot`, made when the first one is tried. */
  states: unknown[] | null = null;
  verdict: string | undefined;
  dpiHost: string | undefined;
  cachedName: string | undefined;
  /** A DNS flow whose answers feed the cache. */
  readonly learnDns: boolean;
  /** A login was seen in clear (a password command, Basic authorisation …). */
  clearCredentials = false;
  /** Client payloads looked at for credentials after the verdict. */
  credentialChecks = 0;
  /** Payloads of a STUN flow looked at for DTLS after the verdict. */
  stunChecks = 0;

  constructor(s: FlowStart, cachedName: string | undefined) {
    this.transport = s.protocol;
    this.ipVersion = s.ipVersion;
    this.clientPort = s.clientPort;
    this.serverPort = s.serverPort;
    const c = s.clientAddress;
    const v = s.serverAddress;
    if (s.ipVersion === 4) {
      this.client4 = c[0]! | 0;
      this.server4 = v[0]! | 0;
      this.words6 = null;
    } else {
      this.client4 = 0;
      this.server4 = 0;
      this.words6 = new Uint32Array(8);
      this.words6.set(c);
      this.words6.set(v, 4);
    }
    this.verdict = undefined;
    this.dpiHost = undefined;
    this.cachedName = cachedName;
    this.learnDns = s.protocol === 17 && (DNS_LEARN_PORTS.has(s.serverPort) || DNS_LEARN_PORTS.has(s.clientPort));
  }

  /** Copies the client's (0) or server's (1) address words into `into` (no array per flow). */
  addressInto(side: 0 | 1, into: Uint32Array): Uint32Array {
    const w = this.words6;
    if (w !== null) for (let i = 0; i < 4; i++) into[i] = w[side * 4 + i]!;
    else {
      into.fill(0);
      into[0] = (side === 0 ? this.client4 : this.server4) >>> 0;
    }
    return into;
  }

  get clientAddress(): Uint32Array {
    return this.addressInto(0, CLIENT_ADDRESS);
  }

  get serverAddress(): Uint32Array {
    return this.addressInto(1, SERVER_ADDRESS);
  }

  /** Payloads given to dissectors per direction (for flow risks, at the flow's end). */
  get packets(): readonly [number, number] {
    return [this.packets0, this.packets1];
  }

  host(name: string): void {
    if (this.dpiHost === undefined && name !== '') this.dpiHost = name;
  }

  /** DPI is over for this flow: what only the dissectors needed goes (long flows keep the rest to their end). */
  endDpi(): void {
    this.states = null;
    this.front = NO_INDICES;
    // The rejections matter to the port guess only while some dissector is left.
    if (this.verdict !== undefined || this.alive === 0) this.rejected = NO_WORDS;
  }
}

/** The payload dissectors see: one per classifier, refilled for each call (no object per packet or per flow). */
class PayloadView implements Payload {
  flow!: ClassifyFlow;
  dir: Dir = 0;
  b: Uint8Array = EMPTY;
  off = 0;
  end = 0;
  index = 0;
  /** Refilled per call from the flow's counts. */
  readonly packets: [number, number] = [0, 0];
  streamOffset = 0;
  tsUs = 0;

  constructor(private readonly store: SharedStore) {}

  host(name: string): void {
    this.flow.host(name);
  }

  shared<T>(key: SharedKey<T>, make: () => T): T {
    return this.store.get(key, make);
  }
}

const NO_WORDS: number[] = [];
const NO_INDICES: readonly number[] = [];
/** Bits used in each word of `ClassifyFlow.rejected` (small integers stay unboxed). */
const WORD_BITS = 30;
const WORD_MASK = (1 << WORD_BITS) - 1;
/** First-payload lengths told apart by the `minLength` table (longer ones share the last entry). */
const SHORT_PAYLOAD = 64;

function addStreamBytes(st: ClassifyFlow, dir: Dir, n: number): void {
  if (dir === 0) st.streamBytes0 += n;
  else st.streamBytes1 += n;
}

/** Set bits of a 32-bit word (SWAR: constant time). */
function bitCount(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * The dissectors of one transport, shared by all its flows: a flow keeps only a bit set of the
 * ones that ruled it out (no per-flow copy of the list).
 */
class DissectorSet {
  readonly list: readonly Dissector[];
  /** Per word of a flow's `rejected` bits: the bits that stand for a dissector. */
  readonly wordMasks: readonly number[];
  /** Per dissector: its index among the stateful ones, or -1. */
  readonly stateSlot: Int16Array;
  readonly stateful: number;
  /** Indices of the dissectors with an `accepts` pre-check. */
  readonly checked: readonly number[];
  readonly words: number;
  private readonly byName = new Map<string, number[]>();
  /**
   * Per direction of the first payload, per byte value: the `rejected` bits of the dissectors a
   * first payload starting with it rules out.
   */
  readonly byFirstByte: [number[][], number[][]] = [[], []];
  /** Per direction, per first-payload length below SHORT_PAYLOAD (the last entry: that length or more): the same. */
  readonly byShortLength: [number[][], number[][]] = [[], []];

  /** @param transport - the transport of the flows it serves (`first` declarations for the other one are left out) */
  constructor(list: readonly Dissector[], transport?: 'tcp' | 'udp') {
    this.list = list;
    this.stateSlot = new Int16Array(list.length).fill(-1);
    let stateful = 0;
    const checked: number[] = [];
    list.forEach((d, i) => {
      if (d.state !== undefined) this.stateSlot[i] = stateful++;
      if (d.accepts !== undefined) checked.push(i);
      let at = this.byName.get(d.name);
      if (at === undefined) this.byName.set(d.name, (at = []));
      at.push(i);
    });
    this.stateful = stateful;
    this.checked = checked;
    this.words = Math.ceil(list.length / WORD_BITS);
    // Per first byte and per short length: the dissectors whose `first` rules the flow out.
    for (const dir of [0, 1] as const) {
      for (let v = 0; v < 256; v++) this.byFirstByte[dir].push(new Array<number>(this.words).fill(0));
      for (let n = 0; n <= SHORT_PAYLOAD; n++) this.byShortLength[dir].push(new Array<number>(this.words).fill(0));
    }
    list.forEach((d, i) => {
      const first = d.first;
      if (first === undefined || (first.transport !== undefined && first.transport !== transport)) return;
      const w = (i / WORD_BITS) | 0;
      const bit = 1 << i % WORD_BITS;
      const allowed = first.bytes === undefined ? null : new Set(first.bytes);
      // A first payload of SHORT_PAYLOAD bytes or more may still be short of a larger minimum: not ruled out here.
      const min = Math.min(first.minLength ?? 0, SHORT_PAYLOAD);
      for (const dir of first.dir === undefined ? ([0, 1] as const) : [first.dir]) {
        if (allowed !== null) for (let v = 0; v < 256; v++) if (!allowed.has(v)) this.byFirstByte[dir][v]![w]! |= bit;
        for (let n = 0; n < min; n++) this.byShortLength[dir][n]![w]! |= bit;
      }
    });
    this.wordMasks = Array.from({ length: this.words }, (_, w) => (w + 1) * WORD_BITS <= list.length ? WORD_MASK : (1 << (list.length - w * WORD_BITS)) - 1);
  }

  /** Indices of the dissectors named `name` (in list order). */
  named(name: string | undefined): readonly number[] {
    return name === undefined ? NO_INDICES : (this.byName.get(name) ?? NO_INDICES);
  }
}

const isRejected = (st: ClassifyFlow, i: number): boolean => (st.rejected[(i / WORD_BITS) | 0]! & (1 << i % WORD_BITS)) !== 0;

function reject(st: ClassifyFlow, i: number): void {
  st.rejected[(i / WORD_BITS) | 0]! |= 1 << i % WORD_BITS;
  st.alive--;
}

/**
 * Clear-text protocols and the client commands that carry a login in them, as bytes to search
 * for natively; a command ending in a blank is also looked for in lower case.
 */
const CREDENTIAL_MARKERS = new Map<string, readonly Buffer[]>(
  (
    [
      ['FTP_CONTROL', ['PASS ']],
      ['POP3', ['PASS ', 'APOP ']],
      ['IMAP', [' LOGIN ']],
      ['SMTP', ['AUTH PLAIN', 'AUTH LOGIN']],
      ['HTTP', ['\nAuthorization: Basic ', '\nauthorization: basic ']],
    ] as const
  ).map(([name, marks]) => [name, marks.flatMap((m) => (m.endsWith(' ') ? [m, m.toLowerCase()] : [m])).map((m) => Buffer.from(m, 'latin1'))]),
);
/** Bytes of a payload searched for a login. */
const CREDENTIAL_SPAN = 1024;
const searchBytes = Buffer.prototype.indexOf as (this: Uint8Array, needle: Uint8Array) => number;
/** Client payloads searched for a login once the protocol is known. */
const CREDENTIAL_CHECKS = 6;

/** Payloads of a STUN flow looked at, after its verdict, for the DTLS handshake that follows (WebRTC). */
const DTLS_AFTER_STUN_CHECKS = 10;

/**
 * A STUN flow may carry the DTLS handshake of the media session next (ICE, then DTLS-SRTP):
 * nDPI then names the flow DTLS, with STUN's application (`DTLS.GoogleCall`).
 */
function watchesDtls(st: ClassifyFlow): boolean {
  const v = st.verdict;
  return st.transport === 17 && st.stunChecks < DTLS_AFTER_STUN_CHECKS && v?.startsWith('STUN') === true && (v.length === 4 || v[4] === '.');
}

function checkDtls(st: ClassifyFlow, b: Uint8Array, off: number, end: number): void {
  st.stunChecks++;
  if (!isDtlsDatagram(b, off, end)) return;
  st.verdict = `DTLS${st.verdict!.slice(4)}`;
  st.stunChecks = DTLS_AFTER_STUN_CHECKS;
}

/** After the verdict, a clear-text protocol's client payloads are searched for a login (bounded). */
function watchesCredentials(st: ClassifyFlow): boolean {
  return st.verdict !== undefined && !st.clearCredentials && st.credentialChecks < CREDENTIAL_CHECKS && CREDENTIAL_MARKERS.has(st.verdict);
}

function checkCredentials(st: ClassifyFlow, b: Uint8Array, off: number, end: number): void {
  st.credentialChecks++;
  const span = b.subarray(off, Math.min(end, off + CREDENTIAL_SPAN));
  for (const m of CREDENTIAL_MARKERS.get(st.verdict!)!) {
    if (searchBytes.call(span, m) >= 0) {
      st.clearCredentials = true;
      return;
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The name a parser found for the flow: record host, else TLS SNI, HTTP host, DNS query. */
function parsedHost(fields: RecordFields): string | undefined {
  const f = fields as { host?: unknown; tls?: { sni?: unknown }; http?: { host?: unknown }; dns?: { query?: unknown } };
  return nonEmpty(f.host) ?? nonEmpty(f.tls?.sni) ?? nonEmpty(f.http?.host) ?? nonEmpty(f.dns?.query);
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What the parsers' fields say of the master protocol, when no dissector spoke. */
function masterFromFields(fields: RecordFields, st: ClassifyFlow): string | undefined {
  const f = fields as { tls?: { version?: unknown }; http?: unknown; dns?: unknown };
  if (f.http !== undefined) return 'HTTP';
  if (f.tls !== undefined) return st.transport === 17 ? 'QUIC' : 'TLS';
  if (f.dns !== undefined) {
    if (st.serverPort === 5353 || st.clientPort === 5353) return 'MDNS';
    if (st.serverPort === 5355 || st.clientPort === 5355) return 'LLMNR';
    return 'DNS';
  }
  return undefined;
}

/**
 * Runs the DNS cache and the decision for a set of flows: one instance per engine. Exposed for
 * tests and for plugins that want to classify by hand; the engine uses `consumer`.
 */
export class Classifier {
  readonly cache = new DnsCache();
  /** Dissectors' memory across flows (`Payload.shared`). */
  private readonly store = new SharedStore();
  private readonly view = new PayloadView(this.store);
  readonly catalog: Catalog;
  private readonly tcp: DissectorSet;
  private readonly udp: DissectorSet;
  private readonly none = new DissectorSet([]);
  /** Names some dissector can confirm or rule out (a port guess for any other name stands). */
  private readonly dissected: Set<string>;
  private readonly budget: number;
  private readonly risks: boolean;
  /** `app` fields made so far: by master, application ("" for none) and confidence (see `appField`). */
  private readonly appFields = new Map<string, Map<string, Partial<Record<AppField['confidence'], AppField>>>>();
  private appFieldCount = 0;
  private readonly scratch = new Uint32Array(4);

  constructor(opts: ClassifierOptions) {
    this.catalog = opts.catalog;
    this.tcp = new DissectorSet(opts.dissectors.filter((d) => d.transport !== 'udp'), 'tcp');
    this.udp = new DissectorSet(opts.dissectors.filter((d) => d.transport !== 'tcp'), 'udp');
    this.dissected = new Set(opts.dissectors.map((d) => d.name));
    this.budget = opts.packetBudget ?? 12;
    this.risks = opts.risks ?? true;
  }

  /** The engine consumer. */
  readonly consumer: Consumer<ClassifyFlow> = {
    name: 'classify',
    open: (s) => this.open(s),
    datagram: (st, dir, b, off, end, tsUs) => this.payload(st, dir, b, off, end, tsUs),
    stream: (st, dir, b, off, end, tsUs) => this.payload(st, dir, b, off, end, tsUs),
    done: (st) =>
      !st.learnDns &&
      !watchesCredentials(st) &&
      !watchesDtls(st) &&
      ((st.tried !== null && st.alive === 0) || st.verdict !== undefined || st.packets0 + st.packets1 >= this.budget),
    close: (st, fields) => this.close(st, fields),
  };

  private open(s: FlowStart): ClassifyFlow {
    const cached = this.cache.size === 0 ? undefined : (this.cache.lookup(s.ipVersion, s.serverAddress) ?? this.cache.lookup(s.ipVersion, s.clientAddress));
    const st = new ClassifyFlow(s, cached);
    // Announced by a control flow (FTP PORT/PASV, SDP media): named by the announcement.
    if (s.expected !== undefined) st.verdict = s.expected.name;
    return st;
  }

  private payload(st: ClassifyFlow, dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    // Either direction: a capture that starts with a response has the server as "client".
    if (st.learnDns) this.learn(b, off, end);
    if (dir === 0 && watchesCredentials(st)) checkCredentials(st, b, off, end);
    else if (watchesDtls(st)) checkDtls(st, b, off, end);
    if (st.tried === null && st.verdict === undefined) this.candidatesFor(st, dir, b, off, end);
    if (st.verdict !== undefined || st.alive === 0 || st.packets0 + st.packets1 >= this.budget) {
      addStreamBytes(st, dir, end - off);
      return;
    }
    const view = this.view;
    view.flow = st;
    view.dir = dir;
    view.b = b;
    view.off = off;
    view.end = end;
    if (dir === 0) view.index = st.packets0++;
    else view.index = st.packets1++;
    view.packets[0] = st.packets0;
    view.packets[1] = st.packets1;
    const streamBytes = dir === 0 ? st.streamBytes0 : st.streamBytes1;
    view.streamOffset = st.transport === 6 ? streamBytes : 0;
    addStreamBytes(st, dir, end - off);
    view.tsUs = tsUs;
    const front = st.front;
    let decided = false;
    for (let k = 0; k < front.length && !decided; k++) if (!isRejected(st, front[k]!)) decided = this.inspect(st, front[k]!);
    // The others in list order: each word's live bits, lowest first.
    const masks = st.tried!.wordMasks;
    const rejected = st.rejected;
    for (let w = 0; w < masks.length && !decided; w++) {
      let live = ~rejected[w]! & masks[w]!;
      while (live !== 0 && !decided) {
        const low = live & -live;
        live ^= low;
        const i = w * WORD_BITS + 31 - Math.clz32(low);
        if (front.length === 0 || !front.includes(i)) decided = this.inspect(st, i);
      }
    }
    view.b = EMPTY;
    if (decided || st.alive === 0 || st.packets0 + st.packets1 >= this.budget) st.endDpi();
  }

  /** Runs dissector `i` of the flow's set on the current payload; true when it named the flow. */
  private inspect(st: ClassifyFlow, i: number): boolean {
    const set = st.tried!;
    const d = set.list[i]!;
    const slot = set.stateSlot[i]!;
    let state: unknown;
    if (slot >= 0) {
      st.states ??= new Array(set.stateful);
      state = st.states[slot];
      if (state === undefined) state = st.states[slot] = d.state!();
    }
    const view = this.view;
    const v = d.inspect(view, state);
    if (v === CONTINUE) return false;
    if (v === REJECT) {
      reject(st, i);
      return false;
    }
    st.verdict = v === MATCH ? d.name : (v as string);
    // The payload that named the protocol may carry the login too (an HTTP request).
    if (view.dir === 0 && watchesCredentials(st)) checkCredentials(st, view.b, view.off, view.end);
    return true;
  }

  /**
   * The dissectors tried on a flow, those of the protocol its ports suggest first (nDPI's order:
   * the likely one decides at once, the others are not run).
   */
  private candidatesFor(st: ClassifyFlow, dir: Dir, b: Uint8Array, off: number, end: number): void {
    const set = st.transport === 6 ? this.tcp : st.transport === 17 ? this.udp : this.none;
    st.tried = set;
    // The first payload rules out, by table, every dissector whose `first` it fails.
    const length = end - off;
    const byByte = length === 0 ? null : set.byFirstByte[dir][b[off]!]!;
    const byLength = set.byShortLength[dir][Math.min(length, SHORT_PAYLOAD)]!;
    const rejected = new Array<number>(set.words);
    let alive = 0;
    for (let w = 0; w < set.words; w++) {
      rejected[w] = (byByte === null ? 0 : byByte[w]!) | byLength[w]!;
      alive += bitCount(~rejected[w]! & set.wordMasks[w]!);
    }
    st.rejected = rejected;
    st.alive = alive;
    for (const i of set.checked) if (!isRejected(st, i) && !set.list[i]!.accepts!(st)) reject(st, i);
    const c = this.catalog;
    const byServer = set.named(c.byPort(st.transport, st.serverPort));
    const byClient = set.named(c.byPort(st.transport, st.clientPort));
    const front = byClient.length === 0 || byClient === byServer ? byServer : byServer.length === 0 ? byClient : [...byServer, ...byClient].sort((a, b) => a - b);
    // A dissector whose pre-check failed is not tried first either.
    st.front = front.some((i) => isRejected(st, i)) ? front.filter((i) => !isRejected(st, i)) : front;
  }

  /**
   * Whether the flow's payload ruled out its port's protocol: there was payload, and the
   * protocol's dissector gave up on it. A flow without payload, or whose port's protocol has no
   * dissector, keeps its port.
   */
  private portExcluded(st: ClassifyFlow, portGuess: string): boolean {
    if (st.streamBytes0 + st.streamBytes1 === 0) return false;
    // Without a dissector nothing ruled the port's protocol out (nDPI keeps its guess too).
    if (!this.dissected.has(portGuess)) return false;
    const set = st.tried;
    if (set === null || st.alive === 0) return true;
    for (const i of set.named(portGuess)) if (!isRejected(st, i)) return false;
    return true;
  }

  /** A DNS response: each A/AAAA answer's address now names the question. */
  private learn(b: Uint8Array, off: number, end: number): void {
    // Header first: only successful responses with answers are worth a parse.
    if (end - off < 12 || (b[off + 2]! & 0x80) === 0 || (b[off + 3]! & 0x0f) !== 0 || (b[off + 6]! | b[off + 7]!) === 0) return;
    const m = parseDnsMessage(b, off, end, noWeird, { maxNames: 32, maxRecords: 32, addressesOnly: true });
    if (m === undefined || !m.response || m.rcode !== 0) return;
    const name = m.questions[0]?.name;
    if (name === undefined || name === '') return;
    for (const a of m.answers) {
      if (a.type === 1) {
        const v4 = parseIpv4(a.data);
        if (v4 === undefined) continue;
        this.scratch[0] = v4;
        this.cache.learn(4, this.scratch, name);
        continue;
      }
      if (a.type !== 28) continue;
      const addr = parseAddress(a.data);
      if (addr === undefined) continue;
      this.scratch.set(addr.words);
      this.cache.learn(addr.version, this.scratch, name);
    }
  }

  /**
   * The `app` field for a verdict: one frozen object per distinct value, shared by every flow
   * that gets it (a capture has a few hundred), so a flow's end makes no object and the
   * NDJSON sink knows the value by identity.
   */
  private appField(master: string | undefined, app: string | undefined, confidence: AppField['confidence']): AppField {
    let byApp = this.appFields.get(master ?? 'Unknown');
    let byConfidence = byApp?.get(app ?? '');
    let out = byConfidence?.[confidence];
    if (out !== undefined) return out;
    out = this.newAppField(master, app, confidence);
    // Names come from the catalog and the dissectors; a plugin's dissector could make up new
    // ones without end: past the bound, values are made per flow and not remembered.
    if (this.appFieldCount >= MAX_APP_FIELDS) return out;
    this.appFieldCount++;
    if (byApp === undefined) this.appFields.set(master ?? 'Unknown', (byApp = new Map()));
    if (byConfidence === undefined) byApp.set(app ?? '', (byConfidence = {}));
    byConfidence[confidence] = out;
    return out;
  }

  private newAppField(master: string | undefined, app: string | undefined, confidence: AppField['confidence']): AppField {
    if (master === undefined) return Object.freeze({ protocol: 'Unknown', master: 'Unknown', app: 'Unknown', confidence });
    const c = this.catalog;
    const category = (app !== undefined && !CATEGORY_FROM_MASTER.has(master) ? c.categoryOf(app) : undefined) ?? c.categoryOf(master);
    // The contract's key order: protocol, master, app, category, confidence.
    const protocol = app === undefined ? master : `${master}.${app}`;
    return Object.freeze(category !== undefined ? { protocol, master, app: app ?? master, category, confidence } : { protocol, master, app: app ?? master, confidence });
  }

  private close(st: ClassifyFlow, fields: RecordFields): void {
    const c = this.catalog;
    const host = parsedHost(fields);
    if (host === undefined && st.dpiHost !== undefined) fields.host = st.dpiHost;
    const name = host ?? st.dpiHost;
    let master = st.verdict ?? masterFromFields(fields, st) ?? BY_IP_PROTOCOL.get(st.transport);
    let app: string | undefined;
    let confidence: AppField['confidence'];
    // Only a flow no dissector or parser named falls back on its port (looked up only then).
    const portGuess = master === undefined ? (c.byPort(st.transport, st.serverPort) ?? c.byPort(st.transport, st.clientPort)) : undefined;
    if (master !== undefined) {
      confidence = 'dpi';
      if (master === 'TLS') master = TLS_BY_PORT.get(st.serverPort) ?? master;
      else if ((fields as { tls?: unknown }).tls !== undefined) master = STARTTLS_NAME.get(master) ?? master;
      // A dissector may name both levels ("STUN.WhatsAppCall"): the application is its own.
      // Only a known master before the dot splits (a user's protocol name may have a dot).
      const dot = master.indexOf('.');
      if (dot > 0 && c.get(master.slice(0, dot))?.master === true) {
        app = master.slice(dot + 1);
        master = master.slice(0, dot);
      }
      // DNS over TLS or QUIC on its ports is DoH_DoT whatever the name (nDPI: TLS.DoH_DoT).
      if (app === undefined && ((master === 'TLS' && st.serverPort === DOT_PORT) || (master === 'QUIC' && DOQ_PORTS.has(st.serverPort)))) app = 'DoH_DoT';
      // As nDPI: the application over a master comes from names only (host, SNI, query, then the
      // server certificate's name when those name nothing known), never from the address: TLS to
      // a Google address without a known name stays "TLS".
      // HTTP content that names its application (OCSP, IPP by content type) wins over the host.
      const content = master === 'HTTP' ? httpContentApp((fields as { http?: { url?: unknown; content_type?: unknown } }).http) : undefined;
      if (app === undefined && content?.definite === true) app = content.app;
      if (app === undefined && name !== undefined && HOST_APP_MASTERS.has(master)) app = c.byHost(name);
      if (app === undefined && content !== undefined) app = content.app;
      if (app === undefined) {
        const cert = certificateName(fields);
        if (cert !== undefined) app = c.byHost(cert);
      }
    } else {
      // Network rules are static: looked up only for the flows that get this far.
      const ipApp = c.byAddress(st.ipVersion, st.addressInto(1, this.scratch)) ?? c.byAddress(st.ipVersion, st.addressInto(0, this.scratch));
      if (ipApp !== undefined && (portGuess === undefined || this.portExcluded(st, portGuess))) {
        master = ipApp;
        confidence = 'ip';
      } else if (portGuess !== undefined) {
        // nDPI's give-up order: the port's protocol, unless its dissector ruled the flow out,
        // comes before the address (TLS on 443 to a Google address stays "TLS").
        master = portGuess;
        confidence = 'port';
      } else if (st.cachedName !== undefined && c.byHost(st.cachedName) !== undefined) {
        master = c.byHost(st.cachedName)!;
        confidence = 'cache';
      } else confidence = 'unknown';
    }
    if (app === master) app = undefined;
    const out = this.appField(master, app, confidence);
    fields.app = out;
    if (this.risks) {
      const risks = flowRisks(out, st, fields, c);
      if (risks.length > 0) fields.risks = risks;
    }
  }
}

const noWeird = (): void => undefined;
