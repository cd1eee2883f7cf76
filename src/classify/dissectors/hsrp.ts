/**
 * HSRP, Cisco's Hot Standby Router Protocol, over UDP between routers on port 1985 (IPv4) or
 * 2029 (IPv6), both ends on the same port.
 *
 * - Versions 0/1: version 0; hello/coup/resign (op codes 0-2) are 20 bytes and up with a state
 *   of the list (0 initial … 16 active), a reserved zero at byte 7, then authentication and the
 *   virtual address; advertise (3) is one interface-state TLV whose length covers the rest.
 * - Version 2: TLVs, the first a group state TLV (type 1, length 40): version 2, op code 0-2,
 *   a state 0-6, IP version 4 or 6.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const PORT_V4 = 1985;
const PORT_V6 = 2029;
const STATES_V1 = new Set([0, 1, 2, 4, 8, 16]);

/** True when `b[off, end)` is an HSRP version 0/1 or version 2 message. */
export function isHsrpMessage(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 16) return false;
  if (b[off] === 0) {
    // Advertise (op code 3): one interface-state TLV, type 1, whose length covers the rest.
    if (b[off + 1] === 3) return u16(b, off + 2) === 1 && u16(b, off + 4) + 2 === n;
    return n >= 20 && b[off + 1]! <= 2 && STATES_V1.has(b[off + 2]!) && b[off + 7] === 0;
  }
  if (b[off] !== 1 || b[off + 1] !== 40 || n < 42) return false;
  const ipVersion = b[off + 5];
  return b[off + 2] === 2 && b[off + 3]! <= 2 && b[off + 4]! <= 6 && (ipVersion === 4 || ipVersion === 6);
}

/** HSRP: a well-formed message between two routers on the HSRP port. */
export const hsrp: Dissector = {
  name: 'HSRP',
  transport: 'udp',
  first: { bytes: byteSet(0, 1), minLength: 16 },
  accepts: (f) => f.serverPort === f.clientPort && (f.serverPort === PORT_V4 || f.serverPort === PORT_V6),
  inspect: (p) => (isHsrpMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
