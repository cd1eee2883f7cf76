/**
 * BFD, Bidirectional Forwarding Detection (RFC 5880/5881). Control packets (UDP 3784, 4784
 * multihop): version 1, a diagnostic 0..8, a length of 24 (plus authentication when the A bit is
 * set) equal to the datagram's, a non-zero detect multiplier and local discriminator. Echo
 * packets (UDP 3785) have no defined format but are sent by a system to itself: source and
 * destination address are the same.
 */
import { type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

/** True when `b[off, end)` is a BFD control packet. */
export function isBfdControl(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 24 || b[off]! >> 5 !== 1 || (b[off]! & 0x1f) > 8) return false;
  const auth = (b[off + 1]! & 0x04) !== 0;
  const len = b[off + 3]!;
  if (len !== n || (auth ? len < 26 : len !== 24)) return false;
  return b[off + 2] !== 0 && u32(b, off + 4) !== 0;
}

const sameAddress = (a: Uint32Array, b: Uint32Array): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

/** BFD control packets, and echo packets looped back to their sender. */
export const bfd: Dissector = {
  name: 'BFD',
  transport: 'udp',
  inspect(p) {
    if (isBfdControl(p.b, p.off, p.end)) return MATCH;
    const f = p.flow;
    const echo = p.dir === 0 ? f.serverPort === 3785 : f.clientPort === 3785;
    return echo && p.end - p.off > 0 && sameAddress(f.clientAddress, f.serverAddress) ? MATCH : REJECT;
  },
};
