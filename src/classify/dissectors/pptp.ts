/**
 * PPTP control connections (RFC 2637, TCP 1723): every control message is length (2, the whole
 * message) + PPTP message type (1 = control) + the magic cookie 0x1A2B3C4D + control message
 * type (1..15) + a reserved zero word. The tunnel's data goes over GRE, named by IP protocol.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';

const MAGIC = 0x1a2b3c4d;
const HEADER = 12;

/** True when `b[off, end)` starts with a PPTP control message header of a plausible length. */
export function isPptpControl(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER) return false;
  const length = u16(b, off);
  const type = u16(b, off + 8);
  return length >= 16 && length <= 220 && u16(b, off + 2) === 1 && u32(b, off + 4) === MAGIC && type >= 1 && type <= 15 && u16(b, off + 10) === 0;
}

/** PPTP: a control message at the start of either direction. */
export const pptp: Dissector = {
  name: 'PPTP',
  transport: 'tcp',
  first: { bytes: byteSet(0), minLength: HEADER },
  inspect: (p) => (p.streamOffset === 0 && isPptpControl(p.b, p.off, p.end) ? MATCH : REJECT),
};
