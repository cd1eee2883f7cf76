/**
 * Activision (Call of Duty) game traffic on UDP 3074: the client and server open with echoed
 * handshakes.
 * - Connect: the client sends `0D 02` + 27 bytes, the server answers `0C 02` + the same 27 bytes.
 * - Keep-alive: the client sends `28` + its token (4) + zeros (4) + a counter (4) + 5 bytes
 *   (18 in all); the server answers `29` + the counter + the token + zeros and a status (27).
 * The server's echo of the client's values is what identifies the exchange.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { sameBytes } from './group-c-bytes.js';

const CONNECT_LEN = 29;
const KEEPALIVE_LEN = 18;
const KEEPALIVE_ANSWER_LEN = 27;

/** The client's first datagram (up to 32 bytes) and its length. */
class ActivisionFlow {
  readonly first = new Uint8Array(32);
  length = 0;
}

/** Activision: the server echoes the client's connect or keep-alive. */
export const activision: Dissector<ActivisionFlow> = {
  name: 'Activision',
  transport: 'udp',
  // The client's connect or keep-alive; the server's echo alone (no client datagram yet) is rejected.
  first: { bytes: byteSet(0x0d, 0x28), minLength: 18 },
  state: () => new ActivisionFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (p.dir === 0) {
      if (p.index > 0 || st.length !== 0) return p.packets[1] === 0 && p.index < 3 ? CONTINUE : REJECT;
      const connect = n === CONNECT_LEN && b[off] === 0x0d && b[off + 1] === 0x02;
      const keepalive = n === KEEPALIVE_LEN && b[off] === 0x28;
      if (!connect && !keepalive) return REJECT;
      st.first.set(b.subarray(off, end));
      st.length = n;
      return CONTINUE;
    }
    if (st.length === CONNECT_LEN) {
      return n === CONNECT_LEN && b[off] === 0x0c && b[off + 1] === 0x02 && sameBytes(b, off + 2, st.first, 2, CONNECT_LEN - 2) ? MATCH : REJECT;
    }
    if (st.length === KEEPALIVE_LEN) {
      return n === KEEPALIVE_ANSWER_LEN && b[off] === 0x29 && sameBytes(b, off + 1, st.first, 9, 4) && sameBytes(b, off + 5, st.first, 1, 4) ? MATCH : REJECT;
    }
    return REJECT;
  },
};
