/**
 * LISP, the Locator/ID Separation Protocol (RFC 9300/9301), over UDP: the control plane on
 * 4342, the data plane on 4341.
 *
 * - Control: the type in the high nibble of the first byte — Map-Request (1), Map-Reply (2),
 *   Map-Register (3), Map-Notify (4), Map-Notify-Ack (5), Map-Referral (6), Encapsulated Control
 *   Message (8) — with the fields each type fixes: at least one record whose EID address family
 *   (IPv4, IPv6, LCAF) suits its mask length; the source EID and ITR-RLOC address families of a
 *   request; a known key id and an authentication length that fits for Register/Notify; an
 *   inner IPv4/IPv6 header carrying UDP for an ECM.
 * - Data: an 8-byte LISP header whose reserved flag bits are clear, then an IPv4 or IPv6 packet.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, u16 } from '../dissector.js';

const DATA_PORT = 4341;
const CONTROL_PORT = 4342;

const lispPort = (f: FlowInfo): boolean => f.serverPort === CONTROL_PORT || f.clientPort === CONTROL_PORT || f.serverPort === DATA_PORT || f.clientPort === DATA_PORT;

/** Address family numbers LISP carries: none (0), IPv4, IPv6, LCAF. */
const AFI_NONE = 0;
const AFI_IPV4 = 1;
const AFI_IPV6 = 2;
const AFI_LCAF = 16387;

/** A mapping record at `at`: TTL, locator count, EID mask length that suits its address family. */
function mappingRecord(b: Uint8Array, at: number, end: number): boolean {
  if (at + 12 > end) return false;
  const mask = b[at + 5]!;
  const afi = u16(b, at + 10);
  if (afi === AFI_IPV4) return mask <= 32;
  if (afi === AFI_IPV6) return mask <= 128;
  return afi === AFI_LCAF;
}

/** True when `b[off, end)` is a LISP control message. */
export function isLispControl(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 4) return false;
  const type = b[off]! >> 4;
  const records = b[off + 3]!;
  if (type === 1) {
    // Map-Request: nonce, source EID (AFI and address), then the first ITR-RLOC's AFI.
    if (n < 24 || records < 1) return false;
    const sourceAfi = u16(b, off + 12);
    const skip = sourceAfi === AFI_NONE ? 0 : sourceAfi === AFI_IPV4 ? 4 : sourceAfi === AFI_IPV6 ? 16 : -1;
    if (skip < 0 || off + 16 + skip > end) return false;
    const itrAfi = u16(b, off + 14 + skip);
    return itrAfi === AFI_IPV4 || itrAfi === AFI_IPV6;
  }
  if (type === 2 || type === 6) return records >= 1 && mappingRecord(b, off + 12, end);
  if (type === 3 || type === 4 || type === 5) {
    // Nonce (8), key id (2), authentication data length (2), the data, then the records.
    if (n < 16 || (type !== 5 && records < 1)) return false;
    const keyId = u16(b, off + 12);
    const authLength = u16(b, off + 14);
    if (keyId > 4 || authLength > 64 || off + 16 + authLength > end) return false;
    return records === 0 || mappingRecord(b, off + 16 + authLength, end);
  }
  if (type === 8) {
    // ECM: 4 bytes, then the encapsulated IP header of the control message.
    if (n < 4 + 20) return false;
    const v = b[off + 4]! >> 4;
    return v === 4 ? (b[off + 4]! & 0x0f) >= 5 && b[off + 13] === 17 : v === 6 && n >= 4 + 40 && b[off + 10] === 17;
  }
  return false;
}

/** True when `b[off, end)` is a LISP data packet: flags with reserved bits clear, an inner IP header. */
export function isLispData(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8 + 20) return false;
  const v = b[off + 8]! >> 4;
  // N L E V I flags, then reserved bits (low 3 of the first byte) must be zero.
  return (b[off]! & 0x07) === 0 && (v === 4 ? (b[off + 8]! & 0x0f) >= 5 : v === 6 && end - off >= 8 + 40);
}

/** LISP: a control message on 4342, a data packet on 4341. */
export const lisp: Dissector = {
  name: 'LISP',
  transport: 'udp',
  // Control types 1-6 and 8 in the high nibble, or data flags with the reserved bits clear.
  first: { bytes: byteSet([0x10, 0x6f], [0x80, 0x8f], ...Array.from({ length: 32 }, (_, i) => i * 8)), minLength: 16 },
  accepts: lispPort,
  inspect(p) {
    const f = p.flow;
    const { b, off, end } = p;
    if ((f.serverPort === CONTROL_PORT || f.clientPort === CONTROL_PORT) && isLispControl(b, off, end)) return MATCH;
    if ((f.serverPort === DATA_PORT || f.clientPort === DATA_PORT) && isLispData(b, off, end)) return MATCH;
    return REJECT;
  },
};
