/**
 * DRDA (Distributed Relational Database Architecture: DB2, Derby): DDM data stream structures —
 * a 16-bit length, magic 0xD0, a format byte (request, reply, object, communications types 1..5,
 * possibly chained), a correlation id, then the command's own length (the DSS length less 6) and
 * code point.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when `b[off, end)` starts with a DSS header whose two lengths agree. */
export function isDrdaDss(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 10 || b[off + 2] !== 0xd0) return false;
  const len = u16(b, off);
  const type = b[off + 3]! & 0x0f;
  if (len < 10 || type < 1 || type > 5) return false;
  return u16(b, off + 6) === len - 6 && (b[off + 8]! & 0xf0) !== 0;
}

/** DRDA at the start of either direction. */
export const drda: Dissector = {
  name: 'DRDA',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isDrdaDss(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
