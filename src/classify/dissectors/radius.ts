/**
 * RADIUS (RFC 2865/2866, 5176 dynamic authorization): a code (1..5, 11..13, 40..45), an
 * identifier, a 16-bit length equal to the datagram's (20..4096), the 16-byte authenticator,
 * then attributes — type and length (at least 2) — tiling the rest exactly.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const CODES = new Set([1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45]);

/** True when `b[off, end)` is a RADIUS packet. */
export function isRadius(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 20 || n > 4096 || !CODES.has(b[off]!) || u16(b, off + 2) !== n) return false;
  let o = off + 20;
  while (o < end) {
    if (o + 2 > end || b[o] === 0 || b[o + 1]! < 2) return false;
    o += b[o + 1]!;
  }
  return o === end;
}

/** RADIUS, on the first datagram. */
export const radius: Dissector = {
  name: 'Radius',
  transport: 'udp',
  first: { bytes: byteSet(...CODES), minLength: 20 },
  inspect: (p) => (isRadius(p.b, p.off, p.end) ? MATCH : REJECT),
};
