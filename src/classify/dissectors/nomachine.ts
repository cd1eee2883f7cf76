/**
 * NoMachine (NX, TCP 4000 and UDP for media). A TCP session opens in clear with a version
 * banner — `NXSH-<version>` from the client, `NXD-<version>` from the server — before its TLS
 * handshake. The UDP media datagrams start with a little-endian header: a 16-bit field, the
 * value 1, the datagram's own length, then two more 16-bit fields of which the second is zero.
 */
import { type Dissector, MATCH, type Payload, REJECT, startsWith, u16le, type Verdict } from '../dissector.js';

/** The longest banner: prefix, a version such as 8.10.1, an end of line. */
const MAX_BANNER = 32;

/** True when `b[off, end)` is a version banner. Exported for tests. */
export function nxBanner(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 6 || n > MAX_BANNER || b[off] !== 0x4e /* N */) return false;
  let at: number;
  if (startsWith(b, off, end, 'NXSH-')) at = off + 5;
  else if (startsWith(b, off, end, 'NXD-')) at = off + 4;
  else return false;
  // A version: digits and dots, starting with a digit; then only an end of line.
  if (b[at]! < 0x30 || b[at]! > 0x39) return false;
  let i = at;
  while (i < end && ((b[i]! >= 0x30 && b[i]! <= 0x39) || b[i] === 0x2e)) i++;
  for (; i < end; i++) if (b[i] !== 0x0a && b[i] !== 0x0d && b[i] !== 0x20 && b[i] !== 0) return false;
  return true;
}

/** True when `b[off, end)` has the media header: 1, its own length, a zero word. Exported for tests. */
export function nxDatagram(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return n >= 10 && u16le(b, off + 2) === 1 && u16le(b, off + 4) === n && b[off + 8] === 0 && b[off + 9] === 0;
}

function inspectNoMachine(p: Payload): Verdict {
  if (p.flow.transport === 17) return nxDatagram(p.b, p.off, p.end) ? MATCH : REJECT;
  return p.streamOffset === 0 && nxBanner(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** NoMachine: the NX version banner on TCP, the media header on UDP. */
export const noMachine: Dissector = {
  name: 'NoMachine',
  transport: 'both',
  // UDP media headers start with any value; a TCP banner is 6 bytes or more.
  first: { minLength: 6 },
  inspect: inspectNoMachine,
};
