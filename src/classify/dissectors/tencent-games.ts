/**
 * Tencent Games (PUBG Mobile, Honor of Kings …) on TCP: the game gateways speak a few framed
 * protocols, each recognised from the client's first message and the server's first answer:
 * - `33 66 00 0B 00 0B` + a 16-bit command: the answer has the same six bytes and command + 1;
 * - `42 15 F7 87` + a 16-bit command + a 32-bit length of what follows: the answer has the same
 *   magic and command + 1;
 * - `43 66` then an `AA 00 00 00` frame: the answer is an `AA 00 00 00` frame.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';
import { hexPattern, startsWithBytes } from './group-c-bytes.js';

const GATEWAY = hexPattern('3366000b000b');
const FRAMED = hexPattern('4215f787');
const WRAPPED = hexPattern('4366aa000000');
const WRAPPED_ANSWER = hexPattern('aa000000');

/** The opening seen: none yet, gateway, framed, wrapped. */
const NONE = 0;
const GATEWAY_KIND = 1;
const FRAMED_KIND = 2;
const WRAPPED_KIND = 3;

/** Which opening the client used, and its command. */
class TencentFlow {
  kind = NONE;
  command = 0;
}

/** TencentGames: one of the openings above, answered in kind. */
export const tencentGames: Dissector<TencentFlow> = {
  name: 'TencentGames',
  transport: 'tcp',
  // The server's side needs the client's opening first.
  first: { bytes: byteSet(0x33, 0x42, 0x43), minLength: 12 },
  state: () => new TencentFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (p.dir === 0) {
      if (p.streamOffset !== 0) return st.kind !== NONE ? CONTINUE : REJECT;
      if (n >= 16 && startsWithBytes(b, off, end, GATEWAY)) {
        st.kind = GATEWAY_KIND;
        st.command = u16(b, off + 6);
      } else if (n >= 12 && startsWithBytes(b, off, end, FRAMED) && u32(b, off + 6) === n - 10) {
        st.kind = FRAMED_KIND;
        st.command = u16(b, off + 4);
      } else if (n >= 16 && startsWithBytes(b, off, end, WRAPPED)) st.kind = WRAPPED_KIND;
      else return REJECT;
      return CONTINUE;
    }
    if (p.streamOffset !== 0 || st.kind === NONE) return REJECT;
    switch (st.kind) {
      case GATEWAY_KIND:
        return n >= 16 && startsWithBytes(b, off, end, GATEWAY) && u16(b, off + 6) === st.command + 1 ? MATCH : REJECT;
      case FRAMED_KIND:
        return n >= 10 && startsWithBytes(b, off, end, FRAMED) && u16(b, off + 4) === st.command + 1 ? MATCH : REJECT;
      default:
        return n >= 12 && startsWithBytes(b, off, end, WRAPPED_ANSWER) ? MATCH : REJECT;
    }
  },
};
