/**
 * DNS over UDP and TCP (RFC 1035, EDNS(0) of RFC 6891 tolerated), and the two protocols that
 * share its wire format: mDNS (RFC 6762, port 5353) and LLMNR (RFC 4795, port 5355).
 *
 * - {@link probeDns}: a cheap plausibility check of one message (header, first name).
 * - {@link parseDnsMessage}: one message to a {@link DnsMessage}; never throws, anomalies are
 *   reported as weirds by name ({@link DNS_WEIRDS}).
 * - {@link DnsFlowState}: per-flow state; UDP datagrams and the TCP stream (2-byte length
 *   framing, messages split across segments), query/response transactions, the flow record's
 *   `dns` object and the name → address pairs learned from answers.
 *
 * Names are printed as on the wire (case kept; compare case-insensitively), without the final
 * dot ("." for the root), with dig's escapes: `\.` for a dot inside a label, `\\`, `\"`, `\(`,
 * `\)`, `\;`, `\@`, `\$`, and `\DDD` (decimal) for every byte outside 0x21-0x7e.
 */
import { ipv4Text, ipv6Text } from '../flow/ip-text.js';

// ---- wire format ------------------------------------------------------------------------------

/** Header field offsets and size. */
const ID = 0;
const FLAGS = 2;
const QDCOUNT = 4;
const ANCOUNT = 6;
const NSCOUNT = 8;
const ARCOUNT = 10;
const HDR = 12;
/** Fixed part of a question after its name (type, class) and of a resource record (type, class, TTL, rdlength). */
const Q_FIXED = 4;
const RR_FIXED = 10;
/** Longest name in wire form, length octets and final zero included (RFC 1035 §2.3.4). */
const MAX_NAME_WIRE = 255;
/** Compression pointers followed in one name before it is reported as a loop. */
const MAX_POINTER_HOPS = 64;

/** Bits of the header's flags word. */
export const DnsFlag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  Z: 0x0040,
  AD: 0x0020,
  CD: 0x0010,
} as const;

/** Record types this file decodes into text (others are printed as hex). */
export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  SVCB: 64,
  HTTPS: 65,
  ANY: 255,
} as const;

/** Well-known ports of the DNS wire format. */
export const DnsPort = { Dns: 53, Mdns: 5353, Llmnr: 5355 } as const;

/**
 * Weirds this file reports (Zeek's weird.log style):
 * - `dns_truncated`: the bytes end inside the header or inside a record
 * - `dns_bad_opcode`: an unassigned opcode (3, 7-15): not taken as DNS
 * - `dns_bad_label`: a label length with the reserved top bits 01 or 10 (i.e. a label > 63);
 *   parsing stops there
 * - `dns_name_too_long`: a name over 255 octets in wire form
 * - `dns_pointer_loop`: a compression pointer back into the name being read, or over 64 hops
 * - `dns_forward_pointer`: a compression pointer to a later, not yet seen, offset
 * - `dns_bad_pointer`: a compression pointer into the header or past the end; after this
 *   and the three before it the record is skipped, not kept (its name ends in place at the
 *   final zero or the first pointer) and parsing goes on
 * - `dns_count_mismatch`: the header counts more records than are present (the bytes end
 *   cleanly between records), or fewer (bytes left after the last counted record)
 * - `dns_too_many_records`: more records than `maxRecords`; the rest is not parsed
 * - `dns_bad_rdata`: rdata of the wrong size for its type, or a name running past its rdata
 * - `dns_bad_tcp_length`: a TCP length prefix under 12 (no room for a header); stream resyncs
 * - `dns_too_many_transactions`: a flow past `maxTransactions`; later ones are not kept
 * - `dns_too_many_resolved`: a flow past `maxResolved` name/address pairs; later ones dropped
 */
export const DNS_WEIRDS = [
  'dns_truncated',
  'dns_bad_opcode',
  'dns_bad_label',
  'dns_name_too_long',
  'dns_pointer_loop',
  'dns_forward_pointer',
  'dns_bad_pointer',
  'dns_count_mismatch',
  'dns_too_many_records',
  'dns_bad_rdata',
  'dns_bad_tcp_length',
  'dns_too_many_transactions',
  'dns_too_many_resolved',
] as const;
export type DnsWeird = (typeof DNS_WEIRDS)[number];

/** Bounds on the work and memory one message and one flow may take (STYLE.md §8). */
export interface DnsLimits {
  /** Questions plus answers kept per message (each carries a name); further ones are walked, counted, not kept. */
  maxNames: number;
  /** Records of all four sections walked per message; past it parsing stops (`dns_too_many_records`). */
  maxRecords: number;
  /** Transactions kept per flow; later ones are dropped (`dns_too_many_transactions`). */
  maxTransactions: number;
  /** Queries waiting for their response per flow; past it the oldest stays unanswered. */
  maxPending: number;
  /** Name/address pairs kept per flow (`dns_too_many_resolved`); 0: none are worked out. */
  maxResolved: number;
  /** Consecutive payloads that are not DNS before the flow gives up (`done`). */
  maxFailures: number;
}

export const DEFAULT_DNS_LIMITS: Readonly<DnsLimits> = {
  maxNames: 64,
  maxRecords: 512,
  maxTransactions: 64,
  maxPending: 16,
  maxResolved: 256,
  maxFailures: 4,
};

/** rdata bytes shown as hex (unknown types) or TXT bytes shown as text, at most; longer ends in "...". */
const MAX_RDATA_TEXT = 512;

export interface DnsQuestion {
  name: string;
  qtype: number;
  /** Class with mDNS's unicast-response bit (0x8000) masked off. */
  qclass: number;
}

export interface DnsAnswer {
  /** Owner name. */
  name: string;
  type: number;
  /** Seconds. */
  ttl: number;
  /**
   * A/AAAA: the address (RFC 5952 for IPv6); CNAME, NS, PTR, DNAME: the name; MX: "pref name";
   * SRV: "priority weight port target"; SOA: "mname rname serial refresh retry expire minimum";
   * TXT: the strings joined with nothing between them; other types (and malformed rdata): hex.
   */
  data: string;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  /** 4-bit header rcode, extended by the EDNS OPT record's upper bits when there is one. */
  rcode: number;
  /** The header's flags word (see {@link DnsFlag}); the TC bit is `flags & DnsFlag.TC`. */
  flags: number;
  /** At most `maxNames` questions plus answers are kept. */
  questions: DnsQuestion[];
  answers: DnsAnswer[];
  /** Authority and additional records present (walked, not kept). */
  authorities: number;
  additionals: number;
  /** The bytes end before the records the header counts: cut short or lying counts. */
  truncated: boolean;
  /** The EDNS OPT pseudo-record, when present. */
  edns?: { udpSize: number; version: number; flags: number };
}

const OPCODE_OK = [true, true, true, false, true, true, true, false, false, false, false, false, false, false, false, false];

// ---- names ------------------------------------------------------------------------------------

const NAME_TRUNCATED = -1;
const NAME_BAD_LABEL = -2;
const NAME_TOO_LONG = -3;
const NAME_LOOP = -4;
const NAME_FORWARD = -5;
const NAME_BAD_POINTER = -6;
const NAME_WEIRD: readonly DnsWeird[] = [
  'dns_truncated',
  'dns_bad_label',
  'dns_name_too_long',
  'dns_pointer_loop',
  'dns_forward_pointer',
  'dns_bad_pointer',
];

/** Presentation bytes of the last name read (ASCII only: other bytes are escaped). */
const nameText = new Uint8Array(MAX_NAME_WIRE * 4 + 8);
let nameTextLen = 0;
/** Runs of the name being read, [start, end): a pointer back into one of them is a loop. */
const runStart = new Int32Array(MAX_POINTER_HOPS + 1);
const runEnd = new Int32Array(MAX_POINTER_HOPS + 1);
/** Where the name read last ends in its original position, also after a pointer error. */
let nameNext = 0;

/** dig's special characters in names: `"` `$` `(` `)` `.` `;` `@` `\`. */
const SPECIAL = new Uint8Array(256);
for (const c of '"$().;@\\') SPECIAL[c.charCodeAt(0)] = 1;

/**
 * Reads the name at `p` of the message starting at `msg` (compression pointers resolved) into
 * `nameText` when `text`. Returns the offset after the name in its original position, or a
 * negative NAME_* code. A pointer must point before every byte of the name read so far, so
 * each hop goes strictly backwards and reading always ends; one that does not is a loop
 * (back into a run of this name) or a forward pointer.
 */
function readName(b: Uint8Array, msg: number, p: number, end: number, text: boolean): number {
  let next = -1;
  let limit = p; // pointers must target offsets below this
  let runs = 0;
  let curStart = p;
  let wire = 1; // the final zero octet
  nameTextLen = 0;
  for (;;) {
    if (p >= end) return NAME_TRUNCATED;
    const len = b[p]!;
    if (len === 0) {
      nameNext = next < 0 ? p + 1 : next;
      return nameNext;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end) return NAME_TRUNCATED;
      if (next < 0) next = p + 2;
      nameNext = next;
      const t = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      if (t < msg + HDR || t >= end) return NAME_BAD_POINTER;
      runStart[runs] = curStart;
      runEnd[runs] = p + 2;
      runs++;
      if (t >= limit) {
        for (let i = 0; i < runs; i++) if (t >= runStart[i]! && t < runEnd[i]!) return NAME_LOOP;
        return NAME_FORWARD;
      }
      if (runs > MAX_POINTER_HOPS) return NAME_LOOP;
      limit = t;
      curStart = t;
      p = t;
      continue;
    }
    if (kind !== 0) return NAME_BAD_LABEL;
    if (p + 1 + len > end) return NAME_TRUNCATED;
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) return NAME_TOO_LONG;
    if (text) appendLabel(b, p + 1, p + 1 + len);
    p += 1 + len;
  }
}

function appendLabel(b: Uint8Array, p: number, end: number): void {
  const out = nameText;
  let n = nameTextLen;
  if (n > 0) out[n++] = 0x2e;
  for (; p < end; p++) {
    const c = b[p]!;
    if (c > 0x20 && c < 0x7f) {
      if (SPECIAL[c] === 1) out[n++] = 0x5c;
      out[n++] = c;
    } else {
      out[n++] = 0x5c;
      out[n++] = 0x30 + ((c / 100) | 0);
      out[n++] = 0x30 + (((c / 10) | 0) % 10);
      out[n++] = 0x30 + (c % 10);
    }
  }
  nameTextLen = n;
}

/** The name read last as text ("." for the root). */
function lastName(): string {
  if (nameTextLen === 0) return '.';
  return String.fromCharCode.apply(null, nameText.subarray(0, nameTextLen) as unknown as number[]);
}

// ---- mnemonics --------------------------------------------------------------------------------

const QTYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL',
  11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB',
  19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX',
  27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT', 31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA',
  35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL',
  43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID',
  50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 56: 'NINFO', 57: 'RKEY',
  58: 'TALINK', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB',
  65: 'HTTPS', 99: 'SPF', 100: 'UINFO', 101: 'UID', 102: 'GID', 103: 'UNSPEC', 104: 'NID',
  105: 'L32', 106: 'L64', 107: 'LP', 108: 'EUI48', 109: 'EUI64', 249: 'TKEY', 250: 'TSIG',
  251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY', 256: 'URI', 257: 'CAA',
  258: 'AVC', 259: 'DOA', 260: 'AMTRELAY', 261: 'RESINFO', 32768: 'TA', 32769: 'DLV',
};

const RCODE_NAMES: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET',
  'NXRRSET', 'NOTAUTH', 'NOTZONE', 'DSOTYPENI', '12', '13', '14', '15', 'BADVERS', 'BADKEY',
  'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC', 'BADCOOKIE',
];

/** IANA mnemonic of a record type ("A", "AAAA", "HTTPS" …), else the number as a string. */
export function qtypeName(n: number): string {
  return QTYPE_NAMES[n] ?? String(n);
}

/** IANA mnemonic of a response code ("NOERROR", "NXDOMAIN" …; 16 is "BADVERS"), else the number as a string. */
export function rcodeName(n: number): string {
  return RCODE_NAMES[n] ?? String(n);
}

// ---- rdata ------------------------------------------------------------------------------------

const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
const hexScratch = new Uint8Array(MAX_RDATA_TEXT * 2);

/**
 * Rdata as lower-case hex (at most MAX_RDATA_TEXT bytes). Made in one flat string: a string
 * grown two characters at a time is a chain of hundreds of cons cells, kept with the answer
 * until the flow ends.
 */
function hexText(b: Uint8Array, p: number, end: number): string {
  const stop = Math.min(end, p + MAX_RDATA_TEXT);
  let n = 0;
  for (let i = p; i < stop; i++) {
    hexScratch[n++] = HEX_DIGITS[b[i]! >> 4]!;
    hexScratch[n++] = HEX_DIGITS[b[i]! & 15]!;
  }
  const s = String.fromCharCode.apply(null, hexScratch.subarray(0, n) as unknown as number[]);
  return stop < end ? `${s}...` : s;
}

/** TXT character-strings joined; bytes outside 0x20-0x7e (and `\`) escaped as dig does. */
function txtText(b: Uint8Array, p: number, end: number): string | undefined {
  let s = '';
  let shown = 0;
  while (p < end) {
    const len = b[p]!;
    if (p + 1 + len > end) return undefined;
    for (let i = p + 1; i < p + 1 + len; i++, shown++) {
      if (shown === MAX_RDATA_TEXT) return `${s}...`;
      const c = b[i]!;
      if (c >= 0x20 && c < 0x7f) s += c === 0x5c ? '\\\\' : String.fromCharCode(c);
      else s += `\\${String(c).padStart(3, '0')}`;
    }
    p += 1 + len;
  }
  return s;
}

/** A name inside rdata [p, rdEnd); undefined when it is malformed or runs past its rdata. */
function rdataName(b: Uint8Array, msg: number, p: number, rdEnd: number, end: number): string | undefined {
  const r = readName(b, msg, p, end, true);
  if (r < 0 || r > rdEnd) return undefined;
  return lastName();
}

/** Text of one record's rdata (see {@link DnsAnswer.data}). */
function rdataText(b: Uint8Array, msg: number, type: number, p: number, rdEnd: number, end: number, weird: (name: string) => void): string {
  const n = rdEnd - p;
  let s: string | undefined;
  switch (type) {
    case DnsType.A:
      if (n === 4) return ipv4Text(u32(b, p));
      break;
    case DnsType.AAAA:
      if (n === 16) return ipv6Text(u32(b, p), u32(b, p + 4), u32(b, p + 8), u32(b, p + 12));
      break;
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR:
    case DnsType.DNAME:
      s = rdataName(b, msg, p, rdEnd, end);
      if (s !== undefined && nameNext === rdEnd) return s;
      break;
    case DnsType.MX:
      if (n >= 3) {
        s = rdataName(b, msg, p + 2, rdEnd, end);
        if (s !== undefined && nameNext === rdEnd) return `${u16(b, p)} ${s}`;
      }
      break;
    case DnsType.SRV:
      if (n >= 7) {
        s = rdataName(b, msg, p + 6, rdEnd, end);
        if (s !== undefined && nameNext === rdEnd) return `${u16(b, p)} ${u16(b, p + 2)} ${u16(b, p + 4)} ${s}`;
      }
      break;
    case DnsType.SOA: {
      const mname = rdataName(b, msg, p, rdEnd, end);
      if (mname === undefined) break;
      const q = nameNext;
      const rname = rdataName(b, msg, q, rdEnd, end);
      if (rname === undefined || nameNext + 20 !== rdEnd) break;
      const r = nameNext;
      return `${mname} ${rname} ${u32(b, r)} ${u32(b, r + 4)} ${u32(b, r + 8)} ${u32(b, r + 12)} ${u32(b, r + 16)}`;
    }
    case DnsType.TXT:
    case 99: // SPF
      s = txtText(b, p, rdEnd);
      if (s !== undefined) return s;
      break;
    default:
      return hexText(b, p, rdEnd);
  }
  weird('dns_bad_rdata');
  return hexText(b, p, rdEnd);
}

// ---- messages ---------------------------------------------------------------------------------

/**
 * Cheap plausibility check of one DNS message in `b[off, end)` (which may be cut short): a
 * header with an assigned opcode, a query asking at least one question (or carrying an OPT
 * record), question and record counts that fit a 64 KiB message, and a well-formed first name.
 */
export function probeDns(b: Uint8Array, off: number, end: number): boolean {
  if (end > b.length) end = b.length;
  if (end - off < HDR) return false;
  const flags = u16(b, off + FLAGS);
  if (!OPCODE_OK[(flags >> 11) & 15]) return false;
  const qd = u16(b, off + QDCOUNT);
  const an = u16(b, off + ANCOUNT);
  const ns = u16(b, off + NSCOUNT);
  const ar = u16(b, off + ARCOUNT);
  if (qd * 5 + (an + ns + ar) * 11 > 65535 - HDR) return false;
  if ((flags & DnsFlag.QR) === 0 && qd === 0 && ar === 0) return false;
  if (qd === 0 && an === 0 && ns === 0 && ar === 0) return false;
  if (end - off === HDR) return true;
  const r = readName(b, off, off + HDR, end, false);
  return r >= 0 || r === NAME_TRUNCATED;
}

/**
 * Parses one DNS message, `b[off, end)` (RFC 1035; EDNS OPT tolerated, its extended rcode
 * applied). Never throws: anomalies are reported through `weird(name)` (names in
 * {@link DNS_WEIRDS}) and parsing stops cleanly, returning what was read so far.
 *
 * `limits.addressesOnly`: for readers of addresses only (an address cache) — answers keep
 * their type, A and AAAA their `data`, and nothing else is made into text (owner names and
 * other types' `data` are "").
 *
 * @returns undefined when the bytes are not a DNS message at all (under 12 bytes, or an
 *   unassigned opcode); otherwise the message, `truncated` when the bytes end early.
 */
export function parseDnsMessage(
  b: Uint8Array,
  off: number,
  end: number,
  weird: (name: string) => void,
  limits?: { maxNames?: number; maxRecords?: number; addressesOnly?: boolean },
): DnsMessage | undefined {
  if (end > b.length) end = b.length;
  if (end - off < HDR) {
    weird('dns_truncated');
    return undefined;
  }
  const flags = u16(b, off + FLAGS);
  const opcode = (flags >> 11) & 15;
  if (!OPCODE_OK[opcode]) {
    weird('dns_bad_opcode');
    return undefined;
  }
  const maxNames = limits?.maxNames ?? DEFAULT_DNS_LIMITS.maxNames;
  const maxRecords = limits?.maxRecords ?? DEFAULT_DNS_LIMITS.maxRecords;
  const addressesOnly = limits?.addressesOnly === true;
  const m: DnsMessage = {
    id: u16(b, off + ID),
    response: (flags & DnsFlag.QR) !== 0,
    opcode,
    rcode: flags & 15,
    flags,
    questions: [],
    answers: [],
    authorities: 0,
    additionals: 0,
    truncated: false,
  };
  const qd = u16(b, off + QDCOUNT);
  let p = off + HDR;
  let kept = 0;
  let records = 0;

  for (let i = 0; i < qd; i++) {
    if (p >= end) return ranOut(m, weird);
    if (records >= maxRecords) return tooMany(m, weird);
    const keep = kept < maxNames;
    let r = readName(b, off, p, end, keep);
    const nameOk = r >= 0;
    if (!nameOk) {
      r = badName(b, p, end, r, weird);
      if (r < 0) return stopped(m, r, weird);
    }
    if (r + Q_FIXED > end) return cutShort(m, weird);
    if (keep && nameOk) {
      m.questions.push({ name: lastName(), qtype: u16(b, r), qclass: u16(b, r + 2) & 0x7fff });
      kept++;
    }
    records++;
    p = r + Q_FIXED;
  }

  for (let section = 0; section < 3; section++) {
    const n = u16(b, off + ANCOUNT + 2 * section);
    for (let i = 0; i < n; i++) {
      if (p >= end) return ranOut(m, weird);
      if (records >= maxRecords) return tooMany(m, weird);
      let r = readName(b, off, p, end, section === 0 && kept < maxNames && !addressesOnly);
      const keep = section === 0 && kept < maxNames && r >= 0;
      if (r < 0) {
        r = badName(b, p, end, r, weird);
        if (r < 0) return stopped(m, r, weird);
      }
      const name = keep && !addressesOnly ? lastName() : '';
      if (r + RR_FIXED > end) return cutShort(m, weird);
      const type = u16(b, r);
      const rdStart = r + RR_FIXED;
      const rdEnd = rdStart + u16(b, r + 8);
      if (rdEnd > end) return cutShort(m, weird);
      records++;
      if (section === 0) {
        if (keep) {
          const data = addressesOnly && type !== DnsType.A && type !== DnsType.AAAA ? '' : rdataText(b, off, type, rdStart, rdEnd, end, weird);
          m.answers.push({ name, type, ttl: u32(b, r + 4), data });
          kept++;
        }
      } else if (section === 1) m.authorities++;
      else {
        m.additionals++;
        if (type === DnsType.OPT && m.edns === undefined) {
          const ttl = u32(b, r + 4);
          m.edns = { udpSize: u16(b, r + 2), version: (ttl >>> 16) & 0xff, flags: ttl & 0xffff };
          m.rcode |= (ttl >>> 24) << 4;
        }
      }
      p = rdEnd;
    }
  }
  if (p < end) weird('dns_count_mismatch');
  return m;
}

/** The bytes end at a record boundary before the counts are met: counts lie (or a cut there). */
function ranOut(m: DnsMessage, weird: (name: string) => void): DnsMessage {
  m.truncated = true;
  weird('dns_count_mismatch');
  return m;
}

/** The bytes end inside a record. */
function cutShort(m: DnsMessage, weird: (name: string) => void): DnsMessage {
  m.truncated = true;
  weird('dns_truncated');
  return m;
}

function tooMany(m: DnsMessage, weird: (name: string) => void): DnsMessage {
  weird('dns_too_many_records');
  return m;
}

/**
 * After a name error at `p`: reports it and returns where the name ends in place (labels
 * walked without the length limit, up to the final zero or the first pointer), so that the
 * record can be skipped; a negative NAME_* code when even that fails (truncated, bad label).
 */
function badName(b: Uint8Array, p: number, end: number, code: number, weird: (name: string) => void): number {
  if (code === NAME_TRUNCATED || code === NAME_BAD_LABEL) return code;
  weird(NAME_WEIRD[-code - 1]!);
  for (;;) {
    if (p >= end) return NAME_TRUNCATED;
    const len = b[p]!;
    if (len === 0) return p + 1;
    if ((len & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : NAME_TRUNCATED;
    if ((len & 0xc0) !== 0) return NAME_BAD_LABEL;
    p += 1 + len;
  }
}

/** Parsing stops at a name that cannot be skipped: reports it (once) and returns the message. */
function stopped(m: DnsMessage, code: number, weird: (name: string) => void): DnsMessage {
  if (code === NAME_TRUNCATED) m.truncated = true;
  weird(NAME_WEIRD[-code - 1]!);
  return m;
}

// ---- per-flow state ---------------------------------------------------------------------------

/** One query and its response, as far as they were seen. */
export interface DnsTransaction {
  id: number;
  /**
   * First question name, as on the wire; for a message without questions (an mDNS
   * announcement, an unsolicited response) the owner name of its first answer.
   */
  query?: string;
  /** {@link qtypeName} of the first question. */
  qtype?: string;
  /** {@link rcodeName} of the response; absent while unanswered. */
  rcode?: string;
  /** `data` of each answer record of the response, in order. */
  answers: string[];
  /** Response time minus query time, microseconds, when both were seen with timestamps. */
  latencyUs?: number;
}

interface Pending {
  tx: DnsTransaction;
  /** Lower-cased first question name, "" when none. */
  key: string;
  qtype: number;
  tsUs: number;
}

/** Reassembly of one direction of a TCP stream: 2-byte length, then the message. */
class TcpDirection {
  /** A partial frame, length prefix included; allocated on first need. */
  buf: Uint8Array | undefined;
  have = 0;
  /** After a gap: frame boundaries are unknown until a segment starts with a plausible frame. */
  resync = false;
}

/**
 * DNS state of one flow. UDP payloads go to {@link datagram}, in-order TCP stream bytes to
 * {@link data} (length-prefixed messages, split across segments or several per segment);
 * {@link gap} says TCP bytes were lost. Anomalies are reported through `weird(name)`.
 *
 * Memory is bounded by {@link DnsLimits}: at most one partial TCP message (64 KiB) per
 * direction, `maxTransactions` transactions, `maxResolved` name/address pairs.
 */
export class DnsFlowState {
  private readonly limits: DnsLimits;
  private readonly txs: DnsTransaction[] = [];
  /** The first transaction whose response was read. */
  private firstAnswered: DnsTransaction | undefined = undefined;
  private readonly pending: Pending[] = [];
  private readonly learned: Array<{ name: string; address: string; ttl: number }> = [];
  private readonly learnedKeys = new Set<string>();
  /** TCP reassembly per direction, made at the first stream bytes (most flows are UDP). */
  private tcp: [TcpDirection, TcpDirection] | null = null;
  private failures = 0;
  private gaveUp = false;

  constructor(
    private readonly weird: (name: string) => void,
    limits: Partial<DnsLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DNS_LIMITS, ...limits };
  }

  /**
   * True once the transaction behind {@link record} has its response (the first query and
   * its response, or a first response whose query was missed): enough for the flow record. Also true when the flow gave up (`maxFailures`
   * payloads in a row that were not DNS). Later messages are still parsed when given.
   */
  get done(): boolean {
    return this.gaveUp || this.firstAnswered !== undefined;
  }

  /**
   * One UDP payload, `b[off, end)`: one message.
   * @param tsUs - packet time in microseconds, for transaction latency (optional)
   */
  datagram(_dir: 0 | 1, b: Uint8Array, off: number, end: number, tsUs = -1): void {
    if (this.gaveUp) return;
    this.message(b, off, end, tsUs);
  }

  /**
   * In-order TCP stream bytes `b[off, end)` of one direction. Messages may be split anywhere
   * and several may share a segment; a partial message is copied and completed by later calls.
   */
  data(dir: 0 | 1, b: Uint8Array, off: number, end: number, tsUs = -1): void {
    this.tcp ??= [new TcpDirection(), new TcpDirection()];
    const s = this.tcp[dir];
    if (end > b.length) end = b.length;
    if (s.resync) {
      // Only a segment that starts with a length prefix and a plausible message resumes.
      if (end - off < 2) return;
      const len = u16(b, off);
      if (len < HDR || !probeDns(b, off + 2, Math.min(end, off + 2 + len))) return;
      s.resync = false;
    }
    while (off < end && !this.gaveUp) {
      if (s.have === 0 && end - off >= 2) {
        const len = u16(b, off);
        if (len < HDR) {
          this.badLength(s);
          return;
        }
        if (end - off - 2 >= len) {
          this.message(b, off + 2, off + 2 + len, tsUs);
          off += 2 + len;
          continue;
        }
      }
      // A partial frame: gather it.
      if (s.buf === undefined) s.buf = new Uint8Array(2 + 0xffff);
      const buf = s.buf;
      if (s.have < 2) {
        buf[s.have++] = b[off++]!;
        if (s.have < 2) continue;
        if (u16(buf, 0) < HDR) {
          this.badLength(s);
          return;
        }
        continue;
      }
      const want = 2 + u16(buf, 0) - s.have;
      const n = Math.min(want, end - off);
      buf.set(b.subarray(off, off + n), s.have);
      s.have += n;
      off += n;
      if (n === want) {
        s.have = 0;
        this.message(buf, 2, 2 + u16(buf, 0), tsUs);
      }
    }
  }

  /** TCP bytes of `dir` were lost: the partial message is dropped and the stream resyncs. */
  gap(dir: 0 | 1): void {
    this.tcp ??= [new TcpDirection(), new TcpDirection()];
    const s = this.tcp[dir];
    s.have = 0;
    s.resync = true;
  }

  /**
   * The flow record's `dns` object (flow-record.md): `query` and `qtype` of the first
   * transaction (see {@link DnsTransaction.query}; the first one with a name if it has none),
   * `rcode` and `answers` of its response. Absent fields are left out; undefined before any
   * DNS message. The record's `host` is `query`.
   */
  record(): { query?: string; qtype?: string; rcode?: string; answers?: string[] } | undefined {
    const tx = this.recordTx();
    if (tx === undefined) return undefined;
    const r: { query?: string; qtype?: string; rcode?: string; answers?: string[] } = {};
    if (tx.query !== undefined) r.query = tx.query;
    if (tx.qtype !== undefined) r.qtype = tx.qtype;
    if (tx.rcode !== undefined) r.rcode = tx.rcode;
    // An answer with empty text (an empty TXT, a zero-length RDATA) says nothing: the record
    // never carries "".
    const answers = tx.answers.filter((a) => a !== '');
    if (answers.length > 0) r.answers = answers;
    if (r.query === '') delete r.query;
    return r;
  }

  /**
   * Name → address pairs learned from the A and AAAA answers of successful responses, each
   * address under its owner name and under every name that leads to it through CNAMEs of the
   * same response (the query name among them). `ttl` is the smallest along the chain, seconds.
   * Unique by (name case-insensitively, address); at most `maxResolved`.
   */
  resolved(): Array<{ name: string; address: string; ttl: number }> {
    return this.learned.slice();
  }

  /** Transactions in the order their first message was seen (queries still unanswered have no `rcode`). */
  transactions(): DnsTransaction[] {
    return this.txs.map((t) => ({ ...t, answers: t.answers.slice() }));
  }

  /** The first transaction with a name, else the first one. */
  /**
   * The transaction the record shows, as ndpiReader picks it: the first one answered; before
   * any answer, the latest query with a name (a client retrying or asking several names in a
   * row is reported by its last question).
   */
  private recordTx(): DnsTransaction | undefined {
    if (this.firstAnswered !== undefined) return this.firstAnswered;
    for (let i = this.txs.length - 1; i >= 0; i--) if (this.txs[i]!.query !== undefined) return this.txs[i];
    return this.txs[0];
  }

  private badLength(s: TcpDirection): void {
    this.weird('dns_bad_tcp_length');
    s.have = 0;
    s.resync = true;
    this.fail();
  }

  private fail(): void {
    if (++this.failures >= this.limits.maxFailures) this.gaveUp = true;
  }

  /** Called with each transaction as its response is read (live listeners). */
  onAnswer: ((tx: DnsTransaction) => void) | null = null;

  private message(b: Uint8Array, off: number, end: number, tsUs: number): void {
    const m = parseDnsMessage(b, off, end, this.weird, this.limits);
    if (m === undefined) {
      this.fail();
      return;
    }
    this.failures = 0;
    const q = m.questions[0];
    const key = q === undefined ? '' : q.name.toLowerCase();
    if (!m.response) {
      const tx = this.newTx(m);
      if (tx === undefined) return;
      if (this.pending.length >= this.limits.maxPending) this.pending.shift();
      this.pending.push({ tx, key, qtype: q?.qtype ?? -1, tsUs });
      return;
    }
    let tx: DnsTransaction | undefined;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if (p.tx.id !== m.id) continue;
      if (q === undefined ? m.id === 0 : p.key !== key || p.qtype !== q.qtype) continue;
      tx = p.tx;
      if (tsUs >= 0 && p.tsUs >= 0 && tsUs >= p.tsUs) tx.latencyUs = tsUs - p.tsUs;
      this.pending.splice(i, 1);
      break;
    }
    tx ??= this.newTx(m);
    if (tx !== undefined) {
      this.firstAnswered ??= tx;
      tx.rcode = rcodeName(m.rcode);
      for (const a of m.answers) tx.answers.push(a.data);
      this.onAnswer?.(tx);
    }
    if (m.rcode === 0 && m.opcode === 0 && this.limits.maxResolved > 0) this.learn(m);
  }

  private newTx(m: DnsMessage): DnsTransaction | undefined {
    if (this.txs.length >= this.limits.maxTransactions) {
      this.weird('dns_too_many_transactions');
      return undefined;
    }
    const tx: DnsTransaction = { id: m.id, answers: [] };
    const q = m.questions[0];
    if (q !== undefined) {
      tx.query = q.name;
      tx.qtype = qtypeName(q.qtype);
    } else if (m.answers.length > 0) tx.query = m.answers[0]!.name; // an mDNS announcement
    this.txs.push(tx);
    return tx;
  }

  /** Adds the A/AAAA answers of `m` to `learned`, under their owner and every CNAME alias of it. */
  private learn(m: DnsMessage): void {
    for (const a of m.answers) {
      if (a.type !== DnsType.A && a.type !== DnsType.AAAA) continue;
      // Malformed rdata is hex, which has neither dots nor colons.
      if (!a.data.includes(a.type === DnsType.A ? '.' : ':')) continue;
      let name = a.name;
      let ttl = a.ttl;
      this.addResolved(name, a.data, ttl);
      // Walk the CNAMEs backwards: who aliases `name`? Bounded by the answer count.
      for (let hops = 0; hops < m.answers.length; hops++) {
        const lower = name.toLowerCase();
        const alias = m.answers.find((c) => c.type === DnsType.CNAME && c.data.toLowerCase() === lower);
        if (alias === undefined) break;
        name = alias.name;
        ttl = Math.min(ttl, alias.ttl);
        this.addResolved(name, a.data, ttl);
      }
    }
  }

  private addResolved(name: string, address: string, ttl: number): void {
    const k = `${name.toLowerCase()} ${address}`;
    if (this.learnedKeys.has(k)) return;
    if (this.learned.length >= this.limits.maxResolved) {
      this.weird('dns_too_many_resolved');
      return;
    }
    this.learnedKeys.add(k);
    this.learned.push({ name, address, ttl });
  }
}
