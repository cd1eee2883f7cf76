/**
 * collectd's binary network protocol (UDP 25826): a datagram is a sequence of parts, each a
 * 16-bit type, a 16-bit length that counts the 4-byte part header, and the value. The parts must
 * tile the datagram exactly, and the first must be a plain-text part (host, time, plugin, type,
 * values, interval, notification or signature); encrypted datagrams (part 0x0210) cannot be told
 * apart from noise. The host part (type 0, a NUL-terminated string) is the flow's host.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const FIRST_PART = new Set([0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x0100, 0x0101, 0x0200]);

/** The host named by a collectd datagram ('' when it names none); undefined when not collectd. */
export function collectdHost(b: Uint8Array, off: number, end: number): string | undefined {
  if (end - off < 8 || !FIRST_PART.has(u16(b, off))) return undefined;
  let host = '';
  let parts = 0;
  let o = off;
  while (o < end) {
    if (o + 4 > end) return undefined;
    const type = u16(b, o);
    const len = u16(b, o + 2);
    if (len < 4 || o + len > end) return undefined;
    if (type === 0 && host === '' && len > 5 && b[o + len - 1] === 0) {
      for (let i = o + 4; i < o + len - 1; i++) {
        const c = b[i]!;
        if (c < 0x21 || c > 0x7e) return undefined;
        host += String.fromCharCode(c);
      }
    }
    o += len;
    parts++;
  }
  return parts >= 2 ? host : undefined;
}

/** collectd datagrams, on the first one. */
export const collectd: Dissector = {
  name: 'collectd',
  transport: 'udp',
  // The high byte of a FIRST_PART type; two parts of 4 bytes at least.
  first: { bytes: byteSet(0, 1, 2), minLength: 8 },
  inspect(p) {
    const host = collectdHost(p.b, p.off, p.end);
    if (host === undefined) return REJECT;
    if (host !== '') p.host(host);
    return MATCH;
  },
};
