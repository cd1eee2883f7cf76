/**
 * CAN frames carried over UDP as ISO 11898 (nDPI's `Controller_Area_Network`): the datagram
 * starts with the ASCII tag `ISO11898` and a version byte (1).
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** CAN over UDP. */
export const canOverUdp: Dissector = {
  name: 'Controller_Area_Network',
  transport: 'udp',
  first: { bytes: byteSet('I'), minLength: 12 },
  inspect: (p) => (p.end - p.off >= 12 && startsWith(p.b, p.off, p.end, 'ISO11898') && p.b[p.off + 8] === 1 ? MATCH : REJECT),
};
