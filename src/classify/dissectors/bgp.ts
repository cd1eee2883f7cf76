/**
 * BGP-4 (RFC 4271) on TCP: every message starts with a 16-byte marker of all ones, a 16-bit
 * length (19..4096, 65535 with RFC 8654 extended messages) and a type 1..5 (OPEN, UPDATE,
 * NOTIFICATION, KEEPALIVE, ROUTE-REFRESH). An OPEN carries version 4.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when `b[off, end)` starts with a BGP message header (and version 4 for an OPEN). */
export function isBgpMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 19) return false;
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0xff) return false;
  const len = u16(b, off + 16);
  const type = b[off + 18]!;
  if (len < 19 || type < 1 || type > 5) return false;
  return type !== 1 || (end - off > 19 && b[off + 19] === 4);
}

/** BGP messages at the start of either direction. */
export const bgp: Dissector = {
  name: 'BGP',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isBgpMessage(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
