/**
 * World of Warcraft on TCP:
 * - the world server connection opens with a length-prefixed banner in each direction,
 *   `WORLD OF WARCRAFT CONNECTION - SERVER TO CLIENT` / `… - CLIENT TO SERVER`;
 * - the login (authentication) server on 3724 gets AUTH_LOGON_CHALLENGE: command 0, error
 *   byte, a little-endian size of the rest, and the game name `WoW\0`.
 */
import { type Dissector, MATCH, REJECT, startsWith, u16le } from '../dissector.js';

const BANNER = 'WORLD OF WARCRAFT CONNECTION - ';

/** WorldOfWarcraft: the world banner or the logon challenge at the start of a direction. */
export const worldOfWarcraft: Dissector = {
  name: 'WorldOfWarcraft',
  transport: 'tcp',
  // The banner's first byte is its length's low byte.
  first: { minLength: 8 },
  inspect(p) {
    const { b, off, end } = p;
    const n = end - off;
    if (p.streamOffset !== 0 || n < 8) return REJECT;
    if (u16le(b, off) <= n - 2 && u16le(b, off) >= BANNER.length && startsWith(b, off + 2, end, BANNER)) return MATCH;
    const logon = p.dir === 0 && b[off] === 0 && u16le(b, off + 2) === n - 4 && startsWith(b, off + 4, end, 'WoW\0');
    return logon ? MATCH : REJECT;
  },
};
