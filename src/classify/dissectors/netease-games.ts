/**
 * NetEase Games (Identity V, Knives Out …) on UDP, two openings:
 * - the session protocol puts the same 4-byte header, `07 08 08 0C`, at the start of every
 *   datagram in both directions, followed by a per-direction session word and sequence fields;
 * - the connect exchange: the client sends 30 bytes, a 4-byte connection token, `FF 00` and a
 *   24-character printable key; the server answers with 30 bytes that start with the same token
 *   and `FF 00`.
 * Both sides must show it.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { hexPattern, sameBytes, startsWithBytes } from './group-c-bytes.js';

const HEADER = hexPattern('0708080c');
const MIN_LEN = 20;
const CONNECT_LEN = 30;
const TOKEN = 6;

/** Which opening the client used, and (connect) its token. */
class NeteaseFlow {
  kind = 0;
  readonly token = new Uint8Array(TOKEN);
}

/** A visible ASCII character (the key has no spaces or controls). */
const keyChar = (c: number): boolean => c > 0x20 && c < 0x7f;

function isConnect(b: Uint8Array, off: number, end: number): boolean {
  if (end - off !== CONNECT_LEN || b[off + 4] !== 0xff || b[off + 5] !== 0x00) return false;
  for (let i = off + TOKEN; i < end; i++) if (!keyChar(b[i]!)) return false;
  return true;
}

/** NetEaseGames: the session header both ways, or the connect exchange. */
export const neteaseGames: Dissector<NeteaseFlow> = {
  name: 'NetEaseGames',
  transport: 'udp',
  // The connect opening starts with a token of any value; the session header needs 20 bytes.
  first: { minLength: MIN_LEN },
  state: () => new NeteaseFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    if (end - off >= MIN_LEN && startsWithBytes(b, off, end, HEADER)) {
      if (st.kind === 2) return REJECT;
      st.kind = 1;
      return p.packets[0] > 0 && p.packets[1] > 0 ? MATCH : CONTINUE;
    }
    if (p.dir === 0 && p.index === 0 && st.kind === 0 && isConnect(b, off, end)) {
      st.kind = 2;
      st.token.set(b.subarray(off, off + TOKEN));
      return CONTINUE;
    }
    if (p.dir === 0 && st.kind === 2) return p.packets[1] === 0 && p.index < 3 ? CONTINUE : REJECT;
    if (p.dir === 1 && st.kind === 2) return end - off === CONNECT_LEN && sameBytes(b, off, st.token, 0, TOKEN) ? MATCH : REJECT;
    return REJECT;
  },
};
