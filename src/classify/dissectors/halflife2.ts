/**
 * Half-Life 2 and other Source games' connection setup: a connectionless packet (header
 * 0xFFFFFFFF) whose challenge request is padded with ASCII zeros and ends in a NUL, as in
 * `\xFF\xFF\xFF\xFFq<challenge>0000000000\0` (20 bytes). Server queries (Source_Engine) are
 * tried first; this takes the rest of the connectionless traffic that ends that way.
 */
import { byteSet, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const PAD_END = 0x30303000; // "000\0"

/** HalfLife2: the first datagram is a connectionless packet ending in "000\0". */
export const halfLife2: Dissector = {
  name: 'HalfLife2',
  transport: 'udp',
  first: { bytes: byteSet(0xff), minLength: 20 },
  inspect(p) {
    const { b, off, end } = p;
    const n = end - off;
    return n >= 20 && n <= 128 && u32(b, off) === 0xffffffff && u32(b, end - 4) === PAD_END ? MATCH : REJECT;
  },
};
