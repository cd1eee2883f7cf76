/**
 * AVAST: the antivirus' own binary protocol to its cloud servers (seen on TCP 80). Each message
 * starts with the ASCII magic `NOSA` ("ASON" backwards), a 16-bit big-endian message length that
 * counts the whole message, and a version byte of 1.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';
import { startsWithBytes } from './group-c-bytes.js';

const MAGIC = Uint8Array.from([0x4e, 0x4f, 0x53, 0x41]); // "NOSA"
const MIN_MESSAGE = 12;

/** A message header at the start of `b[off, end)`. */
export function isAvastMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8 || !startsWithBytes(b, off, end, MAGIC)) return false;
  return u16(b, off + 4) >= MIN_MESSAGE && b[off + 6] === 1;
}

/** AVAST: a `NOSA` message at the start of the stream, either direction. */
export const avast: Dissector = {
  name: 'AVAST',
  transport: 'tcp',
  first: { bytes: byteSet('N'), minLength: 8 },
  inspect: (p) => (p.streamOffset === 0 && isAvastMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
