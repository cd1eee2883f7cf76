/**
 * HP_VIRTGRP (the HP "virtual group" service on TCP 5223): each message starts with a type
 * byte and the message's total length (16 bits at offset 1). The client opens with type 0x16,
 * the server answers with type 0x17; both lengths must equal the segment's.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** Both opening messages seen so far (bit 0 client hello, bit 1 server reply). */
interface HpState {
  seen: number;
}

/** HP_VIRTGRP: the client's 0x16 and the server's 0x17 opening messages. */
export const hpVirtgrp: Dissector<HpState> = {
  name: 'HP_VIRTGRP',
  transport: 'tcp',
  first: { bytes: byteSet(0x16, 0x17), minLength: 16 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.streamOffset !== 0) return REJECT;
    const n = end - off;
    const want = p.dir === 0 ? 0x16 : 0x17;
    if (n < 16 || b[off] !== want || b[off + 3] !== 0 || u16(b, off + 1) !== n) return REJECT;
    st.seen |= 1 << p.dir;
    return st.seen === 3 ? MATCH : CONTINUE;
  },
};
