/**
 * TiVo Connect discovery (port 2190, UDP broadcasts and TCP): a beacon of `key=value` lines
 * that starts with `tivoconnect=`.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWithNoCase } from '../dissector.js';

/** TiVoConnect beacons. */
export const tivoconnect: Dissector = {
  name: 'TiVoConnect',
  transport: 'both',
  first: { bytes: byteSet('tT'), minLength: 12 },
  inspect: (p) => (p.streamOffset === 0 && startsWithNoCase(p.b, p.off, p.end, 'tivoconnect=') ? MATCH : REJECT),
};
