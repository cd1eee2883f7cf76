/**
 * CPHA, Check Point's ClusterXL high-availability protocol: UDP 8116 on both sides, every
 * packet starting with the magic number 0x1A90 and a small protocol version.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** CPHA heartbeats between cluster members. */
export const cpha: Dissector = {
  name: 'CPHA',
  transport: 'udp',
  first: { bytes: byteSet(0x1a), minLength: 16 },
  accepts: (f) => f.clientPort === 8116 && f.serverPort === 8116,
  inspect(p) {
    const { b, off, end } = p;
    return end - off >= 16 && u16(b, off) === 0x1a90 ? MATCH : REJECT;
  },
};
