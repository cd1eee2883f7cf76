/**
 * TiVo Connect discovery (port 2190, UDP broadcasts and TCP): a beacon of `key=value` lines
 * that starts with `tivoconnect=`.
 */
import { type Dissector, MATCH, REJECT, startsWithNoCase } from '../dissector.js';

/** TiVoConnect beacons. */
export const tivoconnect: Dissector = {
  name: 'TiVoConnect',
  transport: 'both',
  inspect: (p) => (p.streamOffset === 0 && startsWithNoCase(p.b, p.off, p.end, 'tivoconnect=') ? MATCH : REJECT),
};
