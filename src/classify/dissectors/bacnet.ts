/**
 * BACnet/IP (ASHRAE 135 Annex J): every datagram starts with a BVLC header — type 0x81,
 * a function code 0x00..0x0c and the 16-bit length of the whole datagram. Functions that carry
 * an NPDU (original/forwarded unicast and broadcast, distribute-broadcast) must follow with
 * NPDU version 1.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** BVLC functions followed by an NPDU, and the NPDU's offset for each. */
const NPDU_AT = new Map([
  [0x04, 10],
  [0x09, 4],
  [0x0a, 4],
  [0x0b, 4],
]);

/** True when `b[off, end)` is a BVLC message (with an NPDU where the function has one). */
export function isBvlc(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 4 || b[off] !== 0x81 || b[off + 1]! > 0x0c || u16(b, off + 2) !== n) return false;
  const npdu = NPDU_AT.get(b[off + 1]!);
  return npdu === undefined || (n > npdu + 1 && b[off + npdu] === 0x01);
}

/** BACnet/IP, on the first datagram. */
export const bacnet: Dissector = {
  name: 'BACnet',
  transport: 'udp',
  first: { bytes: byteSet(0x81), minLength: 4 },
  inspect: (p) => (isBvlc(p.b, p.off, p.end) ? MATCH : REJECT),
};
