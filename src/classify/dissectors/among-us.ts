/**
 * Among Us on its server port (UDP 22023): the game speaks Hazel, whose first datagram is the
 * Hello: send option 0x08, a 16-bit nonce, Hazel version 0, a 32-bit client version, then the
 * player name as a length-prefixed string.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';
import { isPrintable } from './group-c-bytes.js';

const PORT = 22023;
const HELLO = 0x08;
/** Option, nonce, Hazel version, client version, name length. */
const HELLO_HEADER = 9;

/** AmongUs: the Hazel Hello to port 22023 (with a printable player name). */
export const amongUs: Dissector = {
  name: 'AmongUs',
  transport: 'udp',
  // The client's Hello with a player name of a byte or more.
  first: { bytes: byteSet(HELLO), minLength: HELLO_HEADER + 1 },
  accepts: (f) => f.serverPort === PORT,
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir !== 0 || end - off < HELLO_HEADER || b[off] !== HELLO || b[off + 3] !== 0) return REJECT;
    const nameLen = b[off + 8]!;
    const nameEnd = off + HELLO_HEADER + nameLen;
    return nameLen > 0 && nameEnd <= end && isPrintable(b, off + HELLO_HEADER, nameEnd) ? MATCH : REJECT;
  },
};
