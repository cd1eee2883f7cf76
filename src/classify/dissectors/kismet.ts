/**
 * Kismet's client/server protocol (TCP 2501): the server greets with `*KISMET: ` and its
 * version; clients send `!<id> ENABLE …` commands.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** Kismet: the server's greeting. */
export const kismet: Dissector = {
  name: 'Kismet',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1 && p.streamOffset === 0) return startsWith(p.b, p.off, p.end, '*KISMET: ') ? MATCH : REJECT;
    return p.packets[1] > 0 || p.packets[0] >= 2 ? REJECT : CONTINUE;
  },
};
