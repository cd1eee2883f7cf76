/**
 * IAX2, the Inter-Asterisk eXchange (RFC 5456, UDP 4569). A full frame has the F bit and a
 * 15-bit source call number, the R bit and destination call number, a timestamp, outbound and
 * inbound sequence numbers, the frame type (1..10) and subclass. IAX control frames (type 6)
 * carry information elements (id, length, data) that must tile the rest of the frame; only
 * control frames are trusted.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const FULL = 12;
const IAX_CONTROL = 6;

/**
 * 1: an IAX control frame whose elements tile it; 0: a bare IAX control frame (12 bytes: ACK,
 * PING, PONG …); -1: anything else (other full frames and mini frames prove too little).
 */
export function iaxFrame(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  if (n < FULL || (b[off]! & 0x80) === 0) return -1;
  if (b[off + 10] !== IAX_CONTROL) return -1;
  const sub = b[off + 11]!;
  if (sub < 1 || sub > 0x26) return -1;
  if (n === FULL) return 0;
  let o = off + FULL;
  while (o < end) {
    if (o + 2 > end) return -1;
    o += 2 + b[o + 1]!;
  }
  return o === end ? 1 : -1;
}

/** IAX2: a control frame with elements, or three bare control frames. */
export const iax: Dissector<{ frames: number }> = {
  name: 'IAX',
  transport: 'udp',
  // A full frame (F bit set) of 12 bytes or more.
  first: { bytes: byteSet([0x80, 0xff]), minLength: 12 },
  state: () => ({ frames: 0 }),
  inspect(p, st) {
    const r = iaxFrame(p.b, p.off, p.end);
    if (r < 0) return REJECT;
    if (r === 1 || ++st.frames >= 3) return MATCH;
    return CONTINUE;
  },
};
