/**
 * RTPS, the DDS wire protocol (OMG DDSI-RTPS): every message starts with `RTPS` (or `RTPX`),
 * protocol version 1.x or 2.x and a 2-byte vendor id.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** RTPS messages, on the first datagram. */
export const rtps: Dissector = {
  name: 'RTPS',
  transport: 'udp',
  first: { bytes: byteSet('R'), minLength: 8 },
  inspect(p) {
    const { b, off, end } = p;
    if (end - off < 8 || !(startsWith(b, off, end, 'RTPS') || startsWith(b, off, end, 'RTPX'))) return REJECT;
    return b[off + 4] === 1 || b[off + 4] === 2 ? MATCH : REJECT;
  },
};
