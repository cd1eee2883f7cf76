/**
 * UFTP, the encrypted multicast file transfer (versions 4 and 5, UDP 1044): a 16-byte header —
 * version byte 0x40 or 0x50, message function, sequence number, source id, group id, group
 * instance, GRTT, group size, a reserved byte — and the message, which repeats the function in
 * its first byte.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';

const HEADER = 16;
/** Functions whose message is not encrypted (ANNOUNCE … PROXY_KEY, ABORT, congestion control). */
const FUNCTIONS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, 100, 101]);

/** True when `b[off, end)` is a UFTP v4/v5 message. */
export function isUftp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + 4 || (b[off] !== 0x40 && b[off] !== 0x50)) return false;
  const func = b[off + 1]!;
  return FUNCTIONS.has(func) && b[off + HEADER] === func;
}

/** UFTP, on the first datagram. */
export const uftp: Dissector = {
  name: 'UFTP',
  transport: 'udp',
  first: { bytes: byteSet(0x40, 0x50), minLength: 20 },
  inspect: (p) => (isUftp(p.b, p.off, p.end) ? MATCH : REJECT),
};
