/**
 * Text forms shared by the rule table and the content rules: IP addresses and CIDR blocks
 * (IPv4 and IPv6), port ranges and protocol names. Parsers return undefined on bad text; the
 * callers turn that into an error with a position.
 */

/** An address or network in numbers: IPv4 in `w0` (the other words 0); IPv6 in `w0..w3`, big-endian. */
export interface Cidr {
  readonly version: 4 | 6;
  /** Address words with the host bits cleared. */
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  /** Prefix length: 0–32 (IPv4) or 0–128 (IPv6); a plain address has the full length. */
  readonly prefix: number;
}

/** An inclusive port range; a single port is `{ lo: p, hi: p }`. */
export interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

export const ANY_PORTS: PortRange = Object.freeze({ lo: 0, hi: 65535 });

import { parseIpv4, parseIpv6 } from '../flow/ip-text.js';

export { parseIpv4, parseIpv6 };

/** Mask word for bits `[32·word, 32·word + 32)` of a prefix of `prefix` bits. */
export function prefixMask(prefix: number, word: number): number {
  const bits = prefix - 32 * word;
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `addr/n` to a network, or undefined. Host bits
 * set beyond the prefix are cleared (as Snort and iptables do), not refused. An IPv4-mapped
 * IPv6 address (`::ffff:10.0.0.1`) stays IPv6: it never matches an IPv4 packet.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  let prefix = -1;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
  }
  if (addr.includes(':')) {
    const w = parseIpv6(addr);
    if (w === undefined || prefix > 128) return undefined;
    if (prefix < 0) prefix = 128;
    return { version: 6, w0: (w[0] & prefixMask(prefix, 0)) >>> 0, w1: (w[1] & prefixMask(prefix, 1)) >>> 0, w2: (w[2] & prefixMask(prefix, 2)) >>> 0, w3: (w[3] & prefixMask(prefix, 3)) >>> 0, prefix };
  }
  const a = parseIpv4(addr);
  if (a === undefined || prefix > 32) return undefined;
  if (prefix < 0) prefix = 32;
  return { version: 4, w0: (a & prefixMask(prefix, 0)) >>> 0, w1: 0, w2: 0, w3: 0, prefix };
}

/**
 * Snort-style port text: `80`, `1024:65535`, `1024:` (to 65535), `:1023` (from 0), or `any`.
 * Undefined when malformed, out of range or empty (lo > hi).
 */
export function parsePortRange(text: string): PortRange | undefined {
  if (text === 'any') return ANY_PORTS;
  const m = /^(\d{1,5})?(:)?(\d{1,5})?$/.exec(text);
  if (m === null || (m[1] === undefined && m[3] === undefined)) return undefined;
  if (m[2] === undefined) {
    const p = Number(m[1]);
    return p <= 65535 ? { lo: p, hi: p } : undefined;
  }
  const lo = m[1] === undefined ? 0 : Number(m[1]);
  const hi = m[3] === undefined ? 65535 : Number(m[3]);
  return lo <= hi && hi <= 65535 ? { lo, hi } : undefined;
}

/** Protocol names understood in rule text; `ip` and `any` mean every protocol. */
export const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['any', -1],
  ['ip', -1],
  ['icmp', 1],
  ['igmp', 2],
  ['tcp', 6],
  ['udp', 17],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['icmp6', 58],
  ['icmpv6', 58],
  ['sctp', 132],
]);

/** Protocol name or number 0–255 to a number; -1 for any; undefined when unknown. */
export function parseProtocol(text: string): number | undefined {
  const n = PROTOCOL_NUMBERS.get(text.toLowerCase());
  if (n !== undefined) return n;
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const p = Number(text);
  return p <= 255 ? p : undefined;
}
