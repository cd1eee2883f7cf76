/**
 * KCP, the ARQ protocol over UDP (skywind3000/kcp). A datagram holds one or more segments,
 * each `conv(4) cmd(1) frg(1) wnd(2) ts(4) sn(4) una(4) len(4) data[len]` (little-endian),
 * where cmd is PUSH 81, ACK 82, window probe 83 or window size 84; the segments of a datagram
 * share the conversation id and tile it exactly.
 */
import { type Dissector, MATCH, REJECT, u32le } from '../dissector.js';

const SEGMENT_HEADER = 24;
const CMD_PUSH = 81;
const CMD_WINS = 84;

/** True when `b[off, end)` is one or more whole KCP segments of one conversation. */
export function isKcpDatagram(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < SEGMENT_HEADER) return false;
  const conv = u32le(b, off);
  let o = off;
  while (o < end) {
    if (end - o < SEGMENT_HEADER || u32le(b, o) !== conv) return false;
    const cmd = b[o + 4]!;
    if (cmd < CMD_PUSH || cmd > CMD_WINS) return false;
    const len = u32le(b, o + 20);
    // Only PUSH carries data.
    if (len > end - o - SEGMENT_HEADER || (len !== 0 && cmd !== CMD_PUSH)) return false;
    o += SEGMENT_HEADER + len;
  }
  return true;
}

/** KCP over UDP. */
export const kcp: Dissector = {
  name: 'KCP',
  transport: 'udp',
  first: { minLength: 24 },
  inspect: (p) => (isKcpDatagram(p.b, p.off, p.end) ? MATCH : REJECT),
};
