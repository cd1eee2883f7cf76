/**
 * TLS client and server fingerprints from hello messages:
 * - JA3 / JA3S (Salesforce, https://github.com/salesforce/ja3): MD5 of the decimal field lists.
 * - JA4 (FoxIO, https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4.md), TLS
 *   over TCP (`t` prefix) and QUIC (`q` prefix, see {@link Ja4Transport}).
 *
 * The inputs are the numbers as they appear on the wire; GREASE values (RFC 8701) are removed
 * here, where each specification says so.
 */
import { hexDigest } from './fingerprint-hash.js';

/** The ClientHello fields the fingerprints read, in wire order. */
export interface ClientHelloFields {
  /** `legacy_version` (client_version) of the ClientHello. */
  version: number;
  ciphers: readonly number[];
  /** Extension types, in order, as sent (duplicates kept). */
  extensions: readonly number[];
  /** supported_groups (10), formerly elliptic_curves. */
  groups: readonly number[];
  /** ec_point_formats (11). */
  pointFormats: readonly number[];
  /** signature_algorithms (13). */
  sigAlgs: readonly number[];
  /** supported_versions (43). */
  supportedVersions: readonly number[];
  /** The first ALPN protocol's bytes, if an ALPN extension with a value was sent. */
  alpnFirst: Uint8Array | undefined;
  /** Whether the server_name extension (0) is present. */
  hasSni: boolean;
}

/** The ServerHello fields JA3S reads. */
export interface ServerHelloFields {
  /** `legacy_version` of the ServerHello (0x0303 for TLS 1.3). */
  version: number;
  cipher: number;
  extensions: readonly number[];
}

/** GREASE (RFC 8701): 0x0A0A, 0x1A1A, … 0xFAFA. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

function joinDecimal(list: readonly number[]): string {
  let s = '';
  for (const v of list) {
    if (isGrease(v)) continue;
    s += s.length > 0 ? `-${v}` : `${v}`;
  }
  return s;
}

function md5(s: string): string {
  return hexDigest('md5', s);
}

/** The JA3 string before hashing: `version,ciphers,extensions,groups,point_formats`. */
export function ja3String(ch: ClientHelloFields): string {
  return `${ch.version},${joinDecimal(ch.ciphers)},${joinDecimal(ch.extensions)},${joinDecimal(ch.groups)},${joinDecimal(ch.pointFormats)}`;
}

/**
 * Fingerprints by the number lists they read. A network has few client stacks: hello after
 * hello brings the same lists, and a repeat costs a hash of the numbers and a comparison
 * instead of building, sorting and digesting their text. Bounded: starts over when full.
 */
/** Longest hello (numbers in all its lists) whose fingerprints are remembered. */
const MEMO_MAX_NUMBERS = 512;

class ListMemo {
  private readonly entries = new Map<number, { lists: number[][]; value: string }>();

  constructor(private readonly limit = 4096) {}

  /** The value remembered for exactly these lists (`key` is {@link listsHash} of them), if any. */
  get(key: number, lists: ReadonlyArray<readonly number[]>): string | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.lists.length !== lists.length) return undefined;
    for (let i = 0; i < lists.length; i++) if (!sameList(e.lists[i]!, lists[i]!)) return undefined;
    return e.value;
  }

  set(key: number, lists: ReadonlyArray<readonly number[]>, value: string): void {
    // Real hellos list a few dozen numbers; a crafted one with thousands is not worth keeping.
    let numbers = 0;
    for (const l of lists) numbers += l.length;
    if (numbers > MEMO_MAX_NUMBERS) return;
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, { lists: lists.map((l) => l.slice()), value });
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FNV-1a over the lists' lengths and values. */
function listsHash(lists: ReadonlyArray<readonly number[]>): number {
  let h = 0x811c9dc5;
  for (const l of lists) {
    h = Math.imul(h ^ l.length, 0x01000193);
    for (let i = 0; i < l.length; i++) h = Math.imul(h ^ l[i]!, 0x01000193);
  }
  return h;
}

const ja3Memo = new ListMemo();
/** JA4's hashed parts (`b_c`) by the ciphers, extensions and signature algorithms they hash. */
const ja4HashMemo = new ListMemo();

/** JA3: MD5 of {@link ja3String}, lower-case hex. */
export function ja3(ch: ClientHelloFields): string {
  const lists = [[ch.version], ch.ciphers, ch.extensions, ch.groups, ch.pointFormats];
  const key = listsHash(lists);
  let v = ja3Memo.get(key, lists);
  if (v === undefined) {
    v = md5(ja3String(ch));
    ja3Memo.set(key, lists, v);
  }
  return v;
}

/** The JA3S string before hashing: `version,cipher,extensions`. */
export function ja3sString(sh: ServerHelloFields): string {
  return `${sh.version},${sh.cipher},${joinDecimal(sh.extensions)}`;
}

/** JA3S: MD5 of {@link ja3sString}. */
export function ja3s(sh: ServerHelloFields): string {
  return md5(ja3sString(sh));
}

/** JA4's two-character TLS version code; unknown versions are `00`. */
function ja4Version(v: number): string {
  switch (v) {
    case 0x0304:
      return '13';
    case 0x0303:
      return '12';
    case 0x0302:
      return '11';
    case 0x0301:
      return '10';
    case 0x0300:
      return 's3';
    case 0x0200:
      return 's2';
    case 0x0002:
      return 's2';
    case 0x0100:
      return 's1';
    default:
      return '00';
  }
}

/** Four-digit hex of 16-bit values, made once per value seen (the same few dozen recur). */
const HEX4: string[] = [];
const hex4 = (v: number): string => (HEX4[v] ??= v.toString(16).padStart(4, '0'));

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

const HEX = '0123456789abcdef';

/** JA4's ALPN part: first and last characters of the first value (`ndpi`: first two), hex nibbles when not alphanumeric. */
function ja4Alpn(a: Uint8Array | undefined, variant: Ja4Variant): string {
  if (a === undefined || a.length === 0) return '00';
  const first = a[0]!;
  const last = variant === 'ndpi' && a.length > 1 ? a[1]! : a[a.length - 1]!;
  if (isAlnum(first) && isAlnum(last)) return String.fromCharCode(first, last);
  return HEX[first >> 4]! + HEX[last & 0xf]!;
}

/** Room to sort a hello's list in place (a ClientHello holds at most 32767 16-bit values). */
const SCRATCH = new Uint16Array(32768);

/** `list` without GREASE (and, for extensions, SNI and ALPN), sorted, as comma-separated 4-digit hex. */
function sortedHexList(list: readonly number[], extensions: boolean): string {
  let n = 0;
  for (const v of list) if (!isGrease(v) && !(extensions && (v === 0x0000 || v === 0x0010))) SCRATCH[n++] = v;
  const sorted = SCRATCH.subarray(0, n).sort();
  let out = '';
  for (let i = 0; i < n; i++) out += i > 0 ? `,${hex4(sorted[i]!)}` : hex4(sorted[i]!);
  return out;
}

function count2(n: number): string {
  return n > 99 ? '99' : n < 10 ? `0${n}` : `${n}`;
}

function sha256_12(s: string): string {
  return hexDigest('sha256', s).slice(0, 12);
}

/** JA4's first character: the transport the hello came over (`t` TCP, `q` QUIC, `d` DTLS). */
export type Ja4Transport = 't' | 'q' | 'd';

/**
 * Which JA4 to compute. `foxio` (the default) is the specification. `ndpi` is JA4 as nDPI 4.x
 * writes it, for records that must line up with ndpiReader's: the destination character is
 * `i` only when the SNI names an IP address (the specification: `i` whenever there is no
 * SNI), and the ALPN part is the first value's first two characters (the specification: its
 * first and last). Hashes (parts b and c) are the same in both.
 */
export type Ja4Variant = 'foxio' | 'ndpi';

/** An IP address literal (IPv4 dotted quad or an IPv6 form). */
const ADDRESS_LITERAL = /^(?:\d{1,3}\.){3}\d{1,3}$|^\[?[0-9a-f]*:[0-9a-f:.]*\]?$/i;

/** JA4's options beyond the transport. */
export interface Ja4Options {
  variant?: Ja4Variant;
  /** The SNI's text, which the `ndpi` variant reads (an address literal gives `i`). */
  sni?: string;
}

/** JA4's part `a`: transport, version, SNI, counts and ALPN. */
function ja4A(ch: ClientHelloFields, transport: Ja4Transport, opts: Ja4Options): string {
  const variant = opts.variant ?? 'foxio';
  let version = ch.version;
  let sv = -1;
  for (const v of ch.supportedVersions) if (!isGrease(v) && v > sv) sv = v;
  if (sv >= 0) version = sv;
  let cipherCount = 0;
  for (const v of ch.ciphers) if (!isGrease(v)) cipherCount++;
  let extCount = 0;
  for (const v of ch.extensions) if (!isGrease(v)) extCount++;
  const domain = variant === 'ndpi' ? opts.sni === undefined || !ADDRESS_LITERAL.test(opts.sni) : ch.hasSni;
  return `${transport}${ja4Version(version)}${domain ? 'd' : 'i'}${count2(cipherCount)}${count2(extCount)}${ja4Alpn(ch.alpnFirst, variant)}`;
}

/**
 * The JA4 parts before hashing (JA4_r, "raw"): `a`, sorted ciphers, sorted extensions, signature algorithms.
 * @param transport - JA4's first character; `t` (TLS over TCP) unless given.
 */
export function ja4Parts(ch: ClientHelloFields, transport: Ja4Transport = 't', opts: Ja4Options = {}): { a: string; ciphers: string; extensions: string; sigAlgs: string } {
  const a = ja4A(ch, transport, opts);
  const c = sortedHexList(ch.ciphers, false);
  // SNI (0) and ALPN (16) are counted in `a` but left out of the hashed list.
  const e = sortedHexList(ch.extensions, true);
  let s = '';
  for (const v of ch.sigAlgs) s += s.length > 0 ? `,${hex4(v)}` : hex4(v);
  return { a, ciphers: c, extensions: e, sigAlgs: s };
}

/**
 * JA4: `a_b_c` (e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1` for TLS over TCP; a QUIC
 * ClientHello gives `q13d…` with `transport` `q`); `opts.variant` `ndpi` for nDPI's form.
 */
export function ja4(ch: ClientHelloFields, transport: Ja4Transport = 't', opts: Ja4Options = {}): string {
  const lists = [ch.ciphers, ch.extensions, ch.sigAlgs];
  const key = listsHash(lists);
  let hashes = ja4HashMemo.get(key, lists);
  if (hashes === undefined) {
    const p = ja4Parts(ch, transport, opts);
    const b = p.ciphers.length === 0 ? '000000000000' : sha256_12(p.ciphers);
    const c = p.extensions.length === 0 ? '000000000000' : sha256_12(p.sigAlgs.length === 0 ? p.extensions : `${p.extensions}_${p.sigAlgs}`);
    hashes = `${b}_${c}`;
    ja4HashMemo.set(key, lists, hashes);
  }
  return `${ja4A(ch, transport, opts)}_${hashes}`;
}

