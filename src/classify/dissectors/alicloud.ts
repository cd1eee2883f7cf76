/**
 * Alibaba Cloud's IoT / link connection (nDPI's `AliCloud`): the client opens with the 4-byte
 * magic `ce fa be ba` (0xbabeface little-endian) and a 32-bit flags word, alone in its segment
 * or ahead of the first message.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const MAGIC = 0xcefabeba;

/** AliCloud over TCP: the client's first bytes. */
export const alicloud: Dissector = {
  name: 'AliCloud',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && p.end - p.off >= 8 && u32(p.b, p.off) === MAGIC ? MATCH : REJECT;
  },
};
