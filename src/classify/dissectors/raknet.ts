/**
 * RakNet, the UDP game transport (Minecraft Bedrock, Roblox …). Three message shapes:
 * - offline (connectionless) messages carry a fixed 16-byte "offline message id" (the magic
 *   `00 ff ff 00 fe fe fe fe fd fd fd fd 12 34 56 78`), after the id byte or, in the unconnected
 *   ping/pong, after timestamps and GUIDs; games that wrap RakNet put a header before it;
 * - connected datagrams: a flags byte 0x80..0x8f, a 24-bit sequence number, then frames (flags,
 *   length in bits, reliability-dependent indexes, optional split header) filling it exactly;
 * - ACK / NAK: 0xc0 / 0xa0, a record count and that many single or range records, exactly.
 * Offline messages and ACKs decide alone; a connected datagram needs a second well-formed one in
 * the same direction whose sequence number follows closely.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const MAGIC = [0x00, 0xff, 0xff, 0x00, 0xfe, 0xfe, 0xfe, 0xfe, 0xfd, 0xfd, 0xfd, 0xfd, 0x12, 0x34, 0x56, 0x78];
/** How far into a payload the magic is looked for (wrapping headers included). */
const MAGIC_WINDOW = 64;

/** True when the offline-message magic starts within the first bytes of `b[off, end)`. */
export function hasOfflineMagic(b: Uint8Array, off: number, end: number): boolean {
  const last = Math.min(end - MAGIC.length, off + MAGIC_WINDOW);
  outer: for (let i = off; i <= last; i++) {
    if (b[i] !== 0x00 || b[i + 1] !== 0xff) continue;
    for (let j = 2; j < MAGIC.length; j++) if (b[i + j] !== MAGIC[j]) continue outer;
    return true;
  }
  return false;
}

/** Unconnected pong (0x1c): time, GUID, magic (not always filled in), then a counted string. */
function unconnectedPong(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return b[off] === 0x1c && n >= 35 && u16(b, off + 33) === n - 35;
}

/** ACK (0xc0) or NAK (0xa0) whose records fill the datagram exactly. */
function ackNak(b: Uint8Array, off: number, end: number): boolean {
  if ((b[off] !== 0xc0 && b[off] !== 0xa0) || end - off < 7) return false;
  const count = u16(b, off + 1);
  if (count === 0) return false;
  let o = off + 3;
  for (let i = 0; i < count; i++) {
    if (o >= end) return false;
    const single = b[o];
    if (single === 1) o += 4;
    else if (single === 0) {
      if (o + 7 > end) return false;
      const lo = b[o + 1]! | (b[o + 2]! << 8) | (b[o + 3]! << 16);
      const hi = b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16);
      if (hi < lo) return false;
      o += 7;
    } else return false;
  }
  return o === end;
}

/** A connected datagram whose frames fill it exactly. */
export function connectedDatagram(b: Uint8Array, off: number, end: number): boolean {
  if ((b[off]! & 0xf0) !== 0x80) return false;
  let o = off + 4;
  let frames = 0;
  while (o < end) {
    if (o + 3 > end) return false;
    const flags = b[o]!;
    if ((flags & 0x0f) !== 0) return false;
    const reliability = flags >> 5;
    const bits = u16(b, o + 1);
    if (bits === 0) return false;
    o += 3;
    if (reliability === 2 || reliability === 3 || reliability === 4 || reliability === 6 || reliability === 7) o += 3;
    if (reliability === 1 || reliability === 4) o += 3;
    if (reliability === 1 || reliability === 3 || reliability === 4 || reliability === 7) o += 4;
    if ((flags & 0x10) !== 0) o += 10;
    o += (bits + 7) >> 3;
    frames++;
  }
  return o === end && frames > 0;
}

/** Sequence number (24 bits) of the last well-formed connected datagram per direction; -1 none. */
interface RakState {
  readonly seq: [number, number];
}

/** How far a datagram's sequence number may move on from the previous one of its direction. */
const MAX_SEQ_STEP = 64;

/** RakNet offline messages, ACK/NAKs and (twice) connected datagrams in the first packets. */
export const raknet: Dissector<RakState> = {
  name: 'RakNet',
  transport: 'udp',
  // The magic may sit behind a wrapping header: any first byte; an ACK/NAK is the shortest (7).
  first: { minLength: 7 },
  state: () => ({ seq: [-1, -1] }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (end - off < 4) return REJECT;
    if (hasOfflineMagic(b, off, end) || unconnectedPong(b, off, end) || ackNak(b, off, end)) return MATCH;
    if (connectedDatagram(b, off, end)) {
      // A second one in the same direction, its sequence number a little ahead (or repeated).
      const seq = b[off + 1]! | (b[off + 2]! << 8) | (b[off + 3]! << 16);
      const last = st.seq[p.dir];
      if (last >= 0 && ((seq - last) & 0xffffff) <= MAX_SEQ_STEP) return MATCH;
      st.seq[p.dir] = seq;
      return p.packets[0] + p.packets[1] >= 6 ? REJECT : CONTINUE;
    }
    return REJECT;
  },
};
