/**
 * Call of Duty: Mobile on UDP: before a match the client measures its latency to the game
 * servers with 12-byte probes, an 8-byte token followed by ASCII `ping`, which the server sends
 * back unchanged.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';
import { sameBytes } from './group-c-bytes.js';

const PROBE_LEN = 12;

/** The client's probe. */
class CodFlow {
  readonly probe = new Uint8Array(PROBE_LEN);
  seen = false;
}

const isProbe = (b: Uint8Array, off: number, end: number): boolean => end - off === PROBE_LEN && startsWith(b, off + 8, end, 'ping');

/** CoD_Mobile: a latency probe and its unchanged echo. */
export const codMobile: Dissector<CodFlow> = {
  name: 'CoD_Mobile',
  transport: 'udp',
  // The probe starts with a random token: any first byte.
  first: { minLength: PROBE_LEN },
  state: () => new CodFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    if (!isProbe(b, off, end)) return REJECT;
    if (p.dir === 0) {
      st.probe.set(b.subarray(off, end));
      st.seen = true;
      return p.index < 4 ? CONTINUE : REJECT;
    }
    return st.seen && sameBytes(b, off, st.probe, 0, PROBE_LEN) ? MATCH : REJECT;
  },
};
