/**
 * WebSocket frames (RFC 6455) on a TCP stream whose opening handshake was not seen (a flow
 * picked up after the HTTP Upgrade; a flow that shows the handshake is HTTP, as nDPI names it).
 *
 * A frame: `FIN/RSV/opcode(1) MASK/length(1) [extended length] [mask key(4)] payload`, opcodes
 * 0-2 and 8-10, no RSV bits beyond RSV1 (compression). The frame at the start of a segment must
 * end exactly where the segment does. One side's frames are masked (the client's), the other's
 * are not: both sides must show a frame, with opposite masking.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** The masking of a frame filling `b[off, end)`: 1 masked, 0 not, -1 not a frame. */
export function frameMasking(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  if (n < 2) return -1;
  const b0 = b[off]!;
  const op = b0 & 0x0f;
  if ((b0 & 0x30) !== 0 || (op > 2 && op < 8) || op > 10) return -1;
  const masked = (b[off + 1]! & 0x80) !== 0 ? 1 : 0;
  let len = b[off + 1]! & 0x7f;
  let hdr = 2;
  if (len === 126) {
    if (n < 4) return -1;
    len = u16(b, off + 2);
    hdr = 4;
    if (len < 126) return -1;
  } else if (len === 127) return -1; // 64-bit lengths do not fit one segment
  if (op >= 8 && (len > 125 || (b0 & 0x80) === 0)) return -1; // control frames: short, final
  return hdr + 4 * masked + len === n ? masked : -1;
}

interface WsState {
  /** Masking seen per direction: -1 none yet. */
  mask: [number, number];
}

/** WebSocket (nDPI's `WebSocket`) over TCP, from the frames. */
export const websocket: Dissector<WsState> = {
  name: 'WebSocket',
  transport: 'tcp',
  // FIN and RSV1 bits over opcodes 0-2, and 8-10 (control frames are final).
  first: { bytes: byteSet([0x00, 0x02], [0x40, 0x42], [0x80, 0x82], [0x88, 0x8a], [0xc0, 0xc2], [0xc8, 0xca]), minLength: 2 },
  state: () => ({ mask: [-1, -1] }),
  inspect(p, st) {
    const m = frameMasking(p.b, p.off, p.end);
    if (m < 0) return REJECT;
    const other = st.mask[1 - p.dir]!;
    if (st.mask[p.dir] >= 0 && st.mask[p.dir] !== m) return REJECT;
    st.mask[p.dir] = m;
    if (other < 0) return CONTINUE;
    return other !== m ? MATCH : REJECT;
  },
};
