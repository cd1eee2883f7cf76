/** rsync daemon protocol (TCP 873): both sides start with the greeting `@RSYNCD: <version>`. */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** rsync: the daemon greeting from either side. */
export const rsync: Dissector = {
  name: 'RSYNC',
  transport: 'tcp',
  inspect(p) {
    const { b, off, end } = p;
    if (p.streamOffset === 0 && startsWith(b, off, end, '@RSYNCD: ') && end - off > 10 && b[off + 9]! >= 0x30 && b[off + 9]! <= 0x39) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
