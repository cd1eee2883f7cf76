/**
 * MySQL / MariaDB client protocol: the server speaks first with a handshake packet — a 3-byte
 * little-endian payload length equal to the rest of the segment, sequence id 0, protocol
 * version 10, the server version as NUL-terminated text starting with a digit, a 4-byte
 * connection id, 8 bytes of scramble and a zero filler.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

/** True when `b[off, end)` is a protocol-10 server greeting. */
export function isMysqlGreeting(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 40 || b[off + 3] !== 0 || b[off + 4] !== 10) return false;
  const len = b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16);
  if (len !== n - 4) return false;
  const v = off + 5;
  if (b[v]! < 0x31 || b[v]! > 0x39) return false;
  let i = v;
  while (i < end && i - v < 64 && b[i] !== 0) {
    if (b[i]! < 0x20 || b[i]! > 0x7e) return false;
    i++;
  }
  // NUL, connection id (4), scramble (8), filler 0.
  return i + 13 < end && b[i] === 0 && b[i + 13] === 0;
}

/** MySQL: the server's greeting. */
export const mysql: Dissector = {
  name: 'MySQL',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1 && p.streamOffset === 0) return isMysqlGreeting(p.b, p.off, p.end) ? MATCH : REJECT;
    return p.packets[1] > 0 || p.packets[0] >= 2 ? REJECT : CONTINUE;
  },
};
