/**
 * Munin, the monitoring node protocol (TCP 4949): the node greets with `# munin node at
 * <name>\n`; the name is the flow's host.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const BANNER = '# munin node at ';

/** Munin's node greeting, with the node's name. */
export const munin: Dissector = {
  name: 'Munin',
  transport: 'tcp',
  // Only the node's greeting (a client speaking first is rejected), with a name and an end of line.
  first: { bytes: byteSet('#'), minLength: 18 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir === 1 && p.streamOffset === 0) {
      if (!startsWith(b, off, end, BANNER)) return REJECT;
      let name = '';
      let i = off + BANNER.length;
      for (; i < end && b[i] !== 0x0a && b[i] !== 0x0d; i++) {
        const c = b[i]!;
        if (c < 0x21 || c > 0x7e || name.length >= 255) return REJECT;
        name += String.fromCharCode(c);
      }
      if (i >= end || name === '') return REJECT;
      p.host(name);
      return MATCH;
    }
    // The client waits for the greeting: a client that speaks first is something else.
    return p.dir === 0 && p.packets[1] === 0 ? REJECT : CONTINUE;
  },
};
