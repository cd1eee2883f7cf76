/**
 * RTMP's handshake (Adobe RTMP specification, 5.2): the client sends C0 (the version byte, 3
 * plain or 6 encrypted) and C1 (1536 bytes), then waits; the server answers S0 with the same
 * version byte. So the client's stream holds exactly 1537 bytes when the server first speaks,
 * however the segments fell.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const C0_C1 = 1 + 1536;

interface RtmpState {
  version: number;
  clientBytes: number;
}

/** RTMP over TCP. */
export const rtmp: Dissector<RtmpState> = {
  name: 'RTMP',
  transport: 'tcp',
  // The server's S0 only counts after the client's C0: a first payload must be C0.
  first: { bytes: byteSet(3, 6) },
  state: () => ({ version: -1, clientBytes: 0 }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.dir === 0) {
      if (p.streamOffset === 0) {
        const v = b[off]!;
        if (v !== 3 && v !== 6) return REJECT;
        st.version = v;
      }
      st.clientBytes = p.streamOffset + end - off;
      return st.clientBytes > C0_C1 ? REJECT : CONTINUE;
    }
    if (p.streamOffset !== 0 || st.version < 0) return REJECT;
    return st.clientBytes === C0_C1 && b[off] === st.version ? MATCH : REJECT;
  },
};
