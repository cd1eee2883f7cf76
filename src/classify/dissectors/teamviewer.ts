/**
 * TeamViewer. Its TCP protocol (master/router servers on 5938) frames client commands with the
 * magic `17 24` and server commands with `11 30`, then a command byte; its UDP (hole-punched
 * peer traffic) carries the `17 24` magic after an 11-byte header whose byte 10 is 0x03.
 * TCP needs the client's and the server's magic, or one of them on 5938; UDP needs two datagrams
 * with the magic, or one on 5938.
 */
import { CONTINUE, type Dissector, MATCH, onPort, REJECT } from '../dissector.js';

const PORT = 5938;
const CLIENT_MAGIC = 0x1724;
const SERVER_MAGIC = 0x1130;

/** Datagrams or directions seen with the magic. */
class TeamViewerFlow {
  hits = 0;
}

const magicAt = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** TeamViewer: the command magic in both directions (TCP) or in two datagrams (UDP). */
export const teamViewer: Dissector<TeamViewerFlow> = {
  name: 'TeamViewer',
  transport: 'both',
  // UDP puts the magic after an 11-byte header of any first byte.
  first: { minLength: 4 },
  state: () => new TeamViewerFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const needed = onPort(p.flow, PORT) ? 1 : 2;
    if (p.flow.transport === 6) {
      if (p.streamOffset !== 0) return p.dir === 0 && st.hits > 0 ? CONTINUE : REJECT;
      if (end - off < 4 || magicAt(b, off) !== (p.dir === 0 ? CLIENT_MAGIC : SERVER_MAGIC)) return REJECT;
      return ++st.hits >= needed ? MATCH : CONTINUE;
    }
    if (end - off < 16 || b[off + 10] !== 0x03 || magicAt(b, off + 11) !== CLIENT_MAGIC) return REJECT;
    return ++st.hits >= needed ? MATCH : CONTINUE;
  },
};
