/**
 * Java RMI's wire protocol (JRMP, TCP 1099): the client opens with `JRMI`, version 2 and the
 * protocol — 0x4b stream, 0x4c single operation, 0x4d multiplex.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** JRMI: the client's header. */
export const jrmi: Dissector = {
  name: 'JRMI',
  transport: 'tcp',
  first: { bytes: byteSet('J'), minLength: 7 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir !== 0 || p.streamOffset !== 0 || end - off < 7 || !startsWith(b, off, end, 'JRMI')) return REJECT;
    return b[off + 4] === 0 && b[off + 5] === 2 && b[off + 6]! >= 0x4b && b[off + 6]! <= 0x4d ? MATCH : REJECT;
  },
};
