/**
 * XDMCP, the X Display Manager Control Protocol (UDP 177): version 1, an opcode 1..14
 * (BroadcastQuery, Query, IndirectQuery, ForwardQuery, Willing, Unwilling, Request, Accept,
 * Decline, Manage, Refuse, Failed, KeepAlive, Alive) and the length of the rest.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when `b[off, end)` is an XDMCP packet. */
export function isXdmcp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 6 || u16(b, off) !== 1) return false;
  const op = u16(b, off + 2);
  return op >= 1 && op <= 14 && u16(b, off + 4) === end - off - 6;
}

/** XDMCP, on the first datagram. */
export const xdmcp: Dissector = {
  name: 'XDMCP',
  transport: 'udp',
  first: { bytes: byteSet(0x00), minLength: 6 },
  inspect: (p) => (isXdmcp(p.b, p.off, p.end) ? MATCH : REJECT),
};
