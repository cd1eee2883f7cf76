/**
 * StarCraft II on Battle.net 2.0 (TCP 1119): the client opens the login connection with a fixed
 * 10-byte preamble (`4A 00 00 0A 66 02 0A ED 2D 66`) before its first RPC. nDPI names the flow
 * `Starcraft` from that preamble on the game's port; other traffic on 1119 is left to the port
 * guess.
 */
import { CONTINUE, type Dissector, MATCH, onPort, REJECT } from '../dissector.js';
import { hexPattern, startsWithBytes } from './group-c-bytes.js';

const PORT = 1119;
const PREAMBLE = hexPattern('4a00000a66020aed2d66');

/** Starcraft: the Battle.net 2.0 preamble at the start of the client's stream on port 1119. */
export const starcraft: Dissector = {
  name: 'Starcraft',
  transport: 'tcp',
  accepts: (f) => onPort(f, PORT),
  inspect(p) {
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && startsWithBytes(p.b, p.off, p.end, PREAMBLE) ? MATCH : REJECT;
  },
};
