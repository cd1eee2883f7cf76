/**
 * LDP, the MPLS Label Distribution Protocol (RFC 5036), over UDP (hellos, port 646) and TCP
 * (sessions): a PDU has version 1, a PDU length counting from the LDP identifier (6 bytes: LSR
 * id and label space), then messages — a U bit and 15-bit type (0x0001 notification, 0x01xx hello,
 * 0x02xx initialization/keepalive, 0x03xx address, 0x04xx label …), a length and a message id.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const HEADER = 10;

/** True when `b[off, end)` starts with an LDP PDU whose first message has a known type. */
export function isLdpPdu(b: Uint8Array, off: number, end: number, datagram: boolean): boolean {
  if (end - off < HEADER + 8 || u16(b, off) !== 1) return false;
  const pduLen = u16(b, off + 2);
  if (pduLen < 6 + 8 || pduLen > 4096) return false;
  // A datagram holds one PDU; a TCP segment may hold several, or the start of one.
  if (datagram && pduLen + 4 !== end - off) return false;
  const type = u16(b, off + HEADER) & 0x7fff;
  const group = type >> 8;
  if (!(type === 0x0001 || (group >= 1 && group <= 5) || group === 0x3e || group === 0x3f)) return false;
  const msgLen = u16(b, off + HEADER + 2);
  return msgLen >= 4 && msgLen + 4 <= pduLen - 6;
}

/** LDP hellos (UDP) and sessions (TCP). */
export const ldp: Dissector = {
  name: 'LDP',
  transport: 'both',
  // Over UDP a datagram decides at once: version 1 (big-endian) and a message header.
  first: { transport: 'udp', bytes: byteSet(0), minLength: HEADER + 8 },
  inspect(p) {
    const udp = p.flow.transport === 17;
    if (p.streamOffset === 0 && isLdpPdu(p.b, p.off, p.end, udp)) return MATCH;
    return udp || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
