/**
 * Microsoft SQL Server's TDS: an 8-byte packet header — type, status (end-of-message and
 * reset bits), the packet length (header included), SPID, packet id and a zero window. A session
 * opens with the client's PRELOGIN (type 0x12), whose option table — token, 16-bit offset and
 * length, closed by 0xff — must point inside the packet; the server answers with a tabular
 * result (type 0x04).
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const PRELOGIN = 0x12;

/** True when `b[off, end)` is one TDS PRELOGIN packet with a sound option table. */
export function isTdsPrelogin(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 14 || b[off] !== PRELOGIN || (b[off + 1]! & 0xe6) !== 0 || u16(b, off + 2) !== n || b[off + 7] !== 0) return false;
  const body = off + 8;
  let o = body;
  for (let k = 0; k < 16; k++) {
    if (o >= end) return false;
    if (b[o] === 0xff) return k > 0;
    if (b[o]! > 0x08 || o + 5 > end) return false;
    const at = u16(b, o + 1);
    const len = u16(b, o + 3);
    if (body + at + len > end) return false;
    o += 5;
  }
  return false;
}

/** MsSQL-TDS: the client's PRELOGIN. */
export const mssqlTds: Dissector = {
  name: 'MsSQL-TDS',
  transport: 'tcp',
  first: { bytes: byteSet(0x12), minLength: 14 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isTdsPrelogin(p.b, p.off, p.end) ? MATCH : REJECT),
};
