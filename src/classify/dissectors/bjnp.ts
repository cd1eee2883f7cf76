/**
 * BJNP, Canon's printer and scanner discovery and control over UDP (port 8612, 8610-8614): a
 * 16-byte header `magic(4) type(1) code(1) error(2) sequence(2) session(2) length(4)` where the
 * magic is `BJNP` (printers), `BJNB` (scanners) or `MFNP` (multi-function), the type 1-3 for
 * commands or 0x81-0x83 for replies, and the length counts the bytes after the header.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u32 } from '../dissector.js';

const HEADER = 16;

/** A BJNP message filling `b[off, end)`. */
export function isBjnp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER) return false;
  if (!startsWith(b, off, end, 'BJNP') && !startsWith(b, off, end, 'BJNB') && !startsWith(b, off, end, 'MFNP')) return false;
  const type = b[off + 4]! & 0x7f;
  return type >= 1 && type <= 3 && u32(b, off + 12) === end - off - HEADER;
}

/** BJNP over UDP. */
export const bjnp: Dissector = {
  name: 'BJNP',
  transport: 'udp',
  // `BJNP`, `BJNB` or `MFNP`.
  first: { bytes: byteSet('BM'), minLength: 16 },
  inspect: (p) => (isBjnp(p.b, p.off, p.end) ? MATCH : REJECT),
};
