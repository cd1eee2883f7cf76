/**
 * Riot Games (League of Legends, Valorant) latency probes: the game client pings Riot's edge
 * servers on UDP with a short datagram that ends in the marker `AAAAAAAA BBBBBBBB`, and the
 * server echoes it with its own header: the reply's first word is the request's second, and the
 * rest after the first eight bytes is the same. The marker alone decides (it ends both). The game
 * traffic proper is encrypted and is named by Riot's networks (data/protocols/apps-games.txt).
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { endsWithBytes, hexPattern } from './group-c-bytes.js';

const MARKER = hexPattern('aaaaaaaa bbbbbbbb');
const MIN_PING = 24;
const MAX_PING = 128;

/** RiotGames: a ping with the marker in the first datagram of either direction. */
export const riotGames: Dissector = {
  name: 'RiotGames',
  transport: 'udp',
  inspect(p) {
    const n = p.end - p.off;
    if (n >= MIN_PING && n <= MAX_PING && endsWithBytes(p.b, p.off, p.end, MARKER)) return MATCH;
    return p.index === 0 && p.packets[1 - p.dir] === 0 ? CONTINUE : REJECT;
  },
};
