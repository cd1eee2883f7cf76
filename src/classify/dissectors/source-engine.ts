/**
 * Valve's Source Engine server queries (developer.valvesoftware.com/wiki/Server_queries): a
 * connectionless packet is the header 0xFFFFFFFF and a type byte. Named from:
 * - `T` A2S_INFO with its fixed payload "Source Engine Query\0" (an optional challenge after);
 * - `I` the info answer: protocol version, then four NUL-terminated strings (name, map, folder,
 *   game);
 * - a challenge request (`U` players, `V` rules, `W` challenge: 4-byte challenge or nothing)
 *   answered by `A` (the 4-byte challenge), `D` (players) or `E` (rules).
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith, u32 } from '../dissector.js';
import { isPrintable } from './group-c-bytes.js';

const CONNECTIONLESS = 0xffffffff;
const QUERY_TEXT = 'Source Engine Query\0';

/** A2S_INFO: `T` and the fixed query text, optionally followed by a 4-byte challenge. */
function isInfoQuery(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return (n === 5 + QUERY_TEXT.length || n === 9 + QUERY_TEXT.length) && b[off + 4] === 0x54 && startsWith(b, off + 5, end, QUERY_TEXT);
}

/** The info answer: `I`, a protocol byte, then four short printable NUL-terminated strings. */
function isInfoAnswer(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 6 + 4 + 2 || b[off + 4] !== 0x49 || b[off + 5]! > 64) return false;
  let at = off + 6;
  for (let s = 0; s < 4; s++) {
    const start = at;
    while (at < end && b[at] !== 0 && at - start < 256) at++;
    if (at >= end || b[at] !== 0 || !isPrintable(b, start, at)) return false;
    at++;
  }
  // Then the app id (2), players, max players, bots, server type, environment.
  return end - at >= 7;
}

/** Per-flow state: the client asked for a challenge. */
class SourceFlow {
  askedChallenge = false;
}

/** Source_Engine: an A2S query or answer (see the file comment). */
export const sourceEngine: Dissector<SourceFlow> = {
  name: 'Source_Engine',
  transport: 'udp',
  first: { bytes: byteSet(0xff), minLength: 5 },
  state: () => new SourceFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    if (end - off < 5 || u32(b, off) !== CONNECTIONLESS) return REJECT;
    const type = b[off + 4]!;
    const n = end - off;
    if (p.dir === 0) {
      if (isInfoQuery(b, off, end)) return MATCH;
      if (((type === 0x55 || type === 0x56) && n === 9) || (type === 0x57 && n === 5)) {
        st.askedChallenge = true;
        return CONTINUE;
      }
      return REJECT;
    }
    if (isInfoAnswer(b, off, end)) return MATCH;
    if (st.askedChallenge && ((type === 0x41 && n === 9) || type === 0x44 || type === 0x45)) return MATCH;
    return REJECT;
  },
};
