/**
 * OpenFlow (TCP 6653, formerly 6633): every message has an 8-byte header — version 1..6
 * (OpenFlow 1.0..1.5), type, a 16-bit length (header included) and a transaction id. Both
 * switch and controller open with HELLO (type 0), possibly carrying a version bitmap element.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** True when `b[off, end)` starts with an OpenFlow HELLO whose length fits. */
export function isOpenflowHello(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 8 || b[off]! < 1 || b[off]! > 6 || b[off + 1] !== 0) return false;
  const len = u16(b, off + 2);
  if (len < 8 || len > n) return false;
  // Elements: type 1 (version bitmap) with a length of at least 8.
  return len === 8 || (len >= 16 && u16(b, off + 8) === 1 && u16(b, off + 10) >= 8);
}

/** OpenFlow: HELLO from both sides. */
export const openflow: Dissector<{ seen: number }> = {
  name: 'OpenFlow',
  transport: 'tcp',
  first: { bytes: byteSet([1, 6]), minLength: 8 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    if (p.streamOffset !== 0 || !isOpenflowHello(p.b, p.off, p.end)) return REJECT;
    st.seen |= 1 << p.dir;
    return st.seen === 3 ? MATCH : CONTINUE;
  },
};
