/**
 * The Service Location Protocol (RFC 2608, version 2; UDP/TCP 427): version 2, a function id
 * 1..11, a 24-bit length equal to the message's, flags, a 24-bit extension offset inside it, the
 * XID, and a language tag (its length, then letters and hyphens, e.g. `en`).
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when `b[off, end)` is an SLPv2 message (a datagram, or a TCP segment holding one). */
export function isSlpV2(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 16 || b[off] !== 2 || b[off + 1]! < 1 || b[off + 1]! > 11) return false;
  const len = (b[off + 2]! << 16) | (b[off + 3]! << 8) | b[off + 4]!;
  const ext = (b[off + 7]! << 16) | (b[off + 8]! << 8) | b[off + 9]!;
  if (len !== n || (ext !== 0 && ext >= n) || (b[off + 6]! & 0x1f) !== 0) return false;
  const langLen = u16(b, off + 12);
  if (langLen < 1 || langLen > 16 || off + 14 + langLen > end) return false;
  for (let i = off + 14; i < off + 14 + langLen; i++) {
    const c = b[i]! | 0x20;
    if (!((c >= 0x61 && c <= 0x7a) || b[i] === 0x2d)) return false;
  }
  return true;
}

/** SLP, on the first payload. */
export const slp: Dissector = {
  name: 'Service_Location_Protocol',
  transport: 'both',
  first: { bytes: byteSet(2), minLength: 16 },
  inspect: (p) => (p.streamOffset === 0 && isSlpV2(p.b, p.off, p.end) ? MATCH : REJECT),
};
