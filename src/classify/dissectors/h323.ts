/**
 * H.323 call signalling (H.225.0 over TCP 1720): a TPKT header (version 3, the packet's length)
 * and a Q.931 message — protocol discriminator 0x08, a call reference of 0..2 bytes, and a call
 * control message type (SETUP, CALL PROCEEDING, ALERTING, CONNECT, RELEASE COMPLETE, FACILITY,
 * PROGRESS, STATUS …).
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const Q931_TYPES = new Set([0x01, 0x02, 0x03, 0x05, 0x07, 0x0f, 0x45, 0x4d, 0x5a, 0x62, 0x6e, 0x75, 0x7b, 0x7d]);

/** True when `b[off, end)` starts with TPKT + Q.931. */
export function isH225(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 9 || b[off] !== 3 || b[off + 1] !== 0) return false;
  const len = u16(b, off + 2);
  if (len < 9 || (len > n && n < 536) || b[off + 4] !== 0x08) return false;
  const ref = b[off + 5]!;
  if (ref > 2) return false;
  return Q931_TYPES.has(b[off + 6 + ref]!);
}

/** H.323: H.225.0 call signalling at the start of either direction. */
export const h323: Dissector = {
  name: 'H323',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isH225(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
