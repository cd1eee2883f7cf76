/**
 * NetFlow export datagrams (UDP): versions 1, 5 and 7 have fixed-size records after a header
 * whose count fixes the datagram's length; version 9 and IPFIX (version 10) carry sets (id,
 * length) that must tile the datagram — IPFIX also states the message length in its header.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when the sets from `o` tile `b[o, end)` exactly (ids 0..3 templates, >= 256 data). */
function setsTile(b: Uint8Array, o: number, end: number): boolean {
  let sets = 0;
  while (o < end) {
    if (o + 4 > end) return false;
    const id = u16(b, o);
    const len = u16(b, o + 2);
    if (len < 4 || (id > 3 && id < 256)) return false;
    o += len;
    sets++;
  }
  return o === end && sets > 0;
}

/** True when `b[off, end)` is a NetFlow v1/v5/v7/v9 or IPFIX datagram. */
export function isNetflow(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 16 || b[off] !== 0) return false;
  const version = b[off + 1]!;
  const count = u16(b, off + 2);
  switch (version) {
    case 1:
      return count >= 1 && count <= 24 && n === 16 + 48 * count;
    case 5:
      return count >= 1 && count <= 30 && n === 24 + 48 * count;
    case 7:
      return count >= 1 && count <= 27 && n === 24 + 52 * count;
    case 9:
      return n > 20 && count >= 1 && setsTile(b, off + 20, end);
    case 10:
      return n > 16 && count === n && setsTile(b, off + 16, end);
    default:
      return false;
  }
}

/** NetFlow/IPFIX, on the first datagram. */
export const netflow: Dissector = {
  name: 'NetFlow',
  transport: 'udp',
  // Version high byte 0; IPFIX, the shortest, is a 16-byte header and one 4-byte set.
  first: { bytes: byteSet(0), minLength: 20 },
  inspect: (p) => (isNetflow(p.b, p.off, p.end) ? MATCH : REJECT),
};
