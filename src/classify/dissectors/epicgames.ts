/**
 * Epic Games (Unreal Engine servers: Fortnite, Rocket League …) on UDP: a connection opens with
 * the engine's stateless handshake. The client's initial request carries its handshake header
 * and network version in the first ten bytes, packet type 0 in byte 3, and an all-zero
 * timestamp and cookie after them; the server's challenge repeats the header bytes (0..2 and
 * 4..9) with another packet type and fills in the cookie.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { allZero, sameBytes } from './group-c-bytes.js';

const HEADER = 10;
const ZEROS_END = 38;
const MIN_LEN = 40;
const MAX_LEN = 128;

/** The header of the client's initial request. */
class EpicFlow {
  readonly header = new Uint8Array(HEADER);
  seen = false;
}

/** EpicGames: a stateless handshake request and its challenge. */
export const epicGames: Dissector<EpicFlow> = {
  name: 'EpicGames',
  transport: 'udp',
  // The client's request starts with its header (any byte); the server's challenge alone is rejected.
  first: { minLength: MIN_LEN },
  state: () => new EpicFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (p.dir === 0) {
      if (st.seen) return p.packets[1] === 0 && p.index < 4 ? CONTINUE : REJECT;
      if (p.index > 0 || n < MIN_LEN || n > MAX_LEN || b[off + 3] !== 0 || !allZero(b, off + HEADER, off + ZEROS_END)) return REJECT;
      st.header.set(b.subarray(off, off + HEADER));
      st.seen = true;
      return CONTINUE;
    }
    if (!st.seen || n < MIN_LEN || n > MAX_LEN) return REJECT;
    const echoed = sameBytes(b, off, st.header, 0, 3) && sameBytes(b, off + 4, st.header, 4, HEADER - 4);
    return echoed && b[off + 3] !== 0 ? MATCH : REJECT;
  },
};
