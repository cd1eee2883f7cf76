/**
 * Spotify's LAN discovery (UDP 57621): broadcasts that start with the ASCII tag `SpotUdp0`.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, startsWith } from '../dissector.js';

const PORT = 57621;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** Spotify LAN discovery on UDP 57621. */
export const spotify: Dissector = {
  name: 'Spotify',
  transport: 'udp',
  first: { bytes: byteSet('S'), minLength: 12 },
  accepts: onPort,
  inspect: (p) => (p.end - p.off >= 12 && startsWith(p.b, p.off, p.end, 'SpotUdp0') ? MATCH : REJECT),
};
