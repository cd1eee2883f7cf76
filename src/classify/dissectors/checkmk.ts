/**
 * Checkmk's agent protocol (TCP 6556): the agent sends its report unprompted, starting with the
 * section header `<<<check_mk>>>`.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** Checkmk: the agent's first section header. */
export const checkmk: Dissector = {
  name: 'CHECKMK',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1 && p.streamOffset === 0) return startsWith(p.b, p.off, p.end, '<<<check_mk>>>') ? MATCH : REJECT;
    return p.packets[0] > 1 ? REJECT : CONTINUE;
  },
};
