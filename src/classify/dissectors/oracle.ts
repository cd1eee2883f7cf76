/**
 * Oracle's TNS protocol (TCP 1521): an 8-byte header — packet length, packet checksum (0),
 * type (1 CONNECT …), a reserved byte and a header checksum (0). A CONNECT carries the client's
 * protocol version (300..320) and, further on, its connect descriptor `(DESCRIPTION=…` or
 * `(CONNECT_DATA=…`.
 */
import { type Dissector, indexOf, MATCH, REJECT, u16 } from '../dissector.js';

const CONNECT = 1;

/** True when `b[off, end)` starts with a TNS CONNECT packet. */
export function isTnsConnect(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 34 || b[off + 4] !== CONNECT || u16(b, off + 2) !== 0 || b[off + 5] !== 0 || u16(b, off + 6) !== 0) return false;
  const len = u16(b, off + 0);
  const version = u16(b, off + 8);
  if (len < 34 || (len > n && n < 536) || version < 300 || version > 320 || u16(b, off + 10) > version) return false;
  const head = Math.min(end, off + 1024);
  return indexOf(b, off + 26, head, '(DESCRIPTION=') >= 0 || indexOf(b, off + 26, head, '(CONNECT_DATA=') >= 0;
}

/** Oracle TNS: the client's CONNECT. */
export const oracle: Dissector = {
  name: 'Oracle',
  transport: 'tcp',
  // Any length high byte once 536 bytes are here; `(DESCRIPTION=` (13) at byte 26 or later.
  first: { minLength: 39 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isTnsConnect(p.b, p.off, p.end) ? MATCH : REJECT),
};
