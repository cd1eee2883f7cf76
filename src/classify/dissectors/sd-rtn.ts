/**
 * SD-RTN, Agora's real-time media network (UDP). A session opens with a handshake message:
 * type byte 0, the sender's 4-byte connection id, a 16-bit message code (0x0021 from the
 * client, 0x0023 in the edge server's reply), a zero byte, the peer's id (zero in the first
 * message), then tags of four letters, each with a little-endian 16-bit length: the client's
 * first tag is `SNI\0`, the edge server's name (nDPI reports it as the host), the reply's is `PEID`.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith, u16 } from '../dissector.js';

const CODE = 5;
const PEER = 8;
const TAGS = 12;
const CLIENT_HELLO = 0x0021;
const SERVER_HELLO = 0x0023;

/** SD-RTN handshake messages, with the edge server's name from the client's. */
export const sdRtn: Dissector = {
  name: 'SD-RTN',
  transport: 'udp',
  inspect(p) {
    const { b, off, end } = p;
    if (end - off >= TAGS + 7 && b[off] === 0 && b[off + PEER - 1] === 0 && b[off + TAGS] === 0x04) {
      const code = u16(b, off + CODE);
      if (code === CLIENT_HELLO && startsWith(b, off + TAGS + 1, end, 'SNI\0')) {
        const len = b[off + TAGS + 5]! | (b[off + TAGS + 6]! << 8);
        const at = off + TAGS + 7;
        if (len > 0 && len <= 255 && at + len <= end) {
          let host = '';
          for (let i = at; i < at + len; i++) {
            const c = b[i]!;
            if (c < 0x21 || c > 0x7e) return REJECT;
            host += String.fromCharCode(c);
          }
          p.host(host.toLowerCase());
          return MATCH;
        }
      }
      if (code === SERVER_HELLO && startsWith(b, off + TAGS + 1, end, 'PEID')) return MATCH;
    }
    return p.packets[0] + p.packets[1] >= 4 ? REJECT : CONTINUE;
  },
};
