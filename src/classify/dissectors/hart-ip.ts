/**
 * HART-IP (FieldComm Group, TCP/UDP 5094): an 8-byte header — version 1 or 2, message type
 * (0 request, 1 response, 2 publish, 3 error, 15 NAK), message id (0 session initiate, 1 close,
 * 2 keep-alive, 3 token-passing PDU, 4 direct PDU, 5 read audit log), status, sequence number and
 * the message's byte count, header included.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const TYPES = new Set([0, 1, 2, 3, 15]);

/** True when `b[off, end)` starts with a HART-IP header; a datagram must be exactly one message. */
export function isHartIp(b: Uint8Array, off: number, end: number, datagram: boolean): boolean {
  const n = end - off;
  if (n < 8 || b[off]! < 1 || b[off]! > 2 || !TYPES.has(b[off + 1]!) || b[off + 2]! > 5) return false;
  const count = u16(b, off + 6);
  return count >= 8 && (datagram ? count === n : count <= n);
}

/** HART-IP, on the first payload. */
export const hartIp: Dissector = {
  name: 'HART-IP',
  transport: 'both',
  first: { bytes: byteSet(1, 2), minLength: 8 },
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    return isHartIp(p.b, p.off, p.end, p.flow.transport === 17) ? MATCH : REJECT;
  },
};
