/**
 * OICQ, the QQ instant-messaging protocol. Every packet is framed by STX and ETX:
 * `0x02 version(2) command(2) sequence(2) QQ-number(4) … 0x03`; over TCP the frame is preceded
 * by its 16-bit length. Commands are small numbers (login, keep-alive, messages …).
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const STX = 0x02;
const ETX = 0x03;
/** STX, version, command, sequence, QQ number, ETX. */
const MIN_LEN = 12;
const MAX_LEN = 4096;
const MAX_COMMAND = 0x03ff;

/** An OICQ frame filling `b[off, end)`. */
export function isOicqFrame(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < MIN_LEN || n > MAX_LEN || b[off] !== STX || b[end - 1] !== ETX) return false;
  const version = u16(b, off + 1);
  const command = u16(b, off + 3);
  return version !== 0 && command !== 0 && command <= MAX_COMMAND;
}

/** OICQ (QQ) over UDP, or over TCP with a length prefix. */
export const oicq: Dissector = {
  name: 'OICQ',
  transport: 'both',
  // UDP: STX. TCP: a length prefix of at most 4096 + 2, so a high byte of 0..0x10.
  first: { bytes: byteSet([0, 0x10]), minLength: MIN_LEN },
  inspect(p) {
    const { b, off, end } = p;
    if (p.flow.transport === 17) return isOicqFrame(b, off, end) ? MATCH : REJECT;
    if (p.streamOffset !== 0 || end - off < 2 + MIN_LEN) return REJECT;
    const len = u16(b, off); // with or without itself, as clients differ
    return (len === end - off || len === end - off - 2) && isOicqFrame(b, off + 2, end) ? MATCH : REJECT;
  },
};
