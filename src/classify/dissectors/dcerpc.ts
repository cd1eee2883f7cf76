/**
 * DCE/RPC (MS-RPCE): connection-oriented PDUs over TCP (port 135 and dynamic ports) — version
 * 5, minor 0 or 1, packet type 0..19, flags, a data representation whose integer order byte is
 * 0x10 (little endian) or 0x00 and whose last two bytes are zero, a fragment length no shorter
 * than the header, an auth length that fits in it. Connectionless PDUs (UDP) have version 4 and
 * an 80-byte header.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16, u16le } from '../dissector.js';

/** True when `b[off, end)` starts with a connection-oriented DCE/RPC PDU header. */
export function isDcerpcCo(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 16 || b[off] !== 5 || b[off + 1]! > 1 || b[off + 2]! > 19) return false;
  const drep = b[off + 4]!;
  if ((drep !== 0x10 && drep !== 0x00) || b[off + 5]! > 3 || b[off + 6] !== 0 || b[off + 7] !== 0) return false;
  const le = drep === 0x10;
  const frag = le ? u16le(b, off + 8) : u16(b, off + 8);
  const auth = le ? u16le(b, off + 10) : u16(b, off + 10);
  if (frag < 16 || auth + 16 > frag) return false;
  return frag <= n || n >= 536;
}

/** True when `b[off, end)` is a connectionless (version 4) DCE/RPC PDU. */
export function isDcerpcCl(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 80 || b[off] !== 4 || b[off + 1]! > 10) return false;
  const drep = b[off + 4]!;
  if ((drep !== 0x10 && drep !== 0x00) || b[off + 6] !== 0) return false;
  const len = drep === 0x10 ? u16le(b, off + 74) : u16(b, off + 74);
  return len === n - 80;
}

/** DCE/RPC at the start of either direction. */
export const dcerpc: Dissector = {
  name: 'DCERPC',
  transport: 'both',
  // Over UDP a datagram decides at once: a connectionless header (version 4, 80 bytes).
  first: { transport: 'udp', bytes: byteSet(4), minLength: 80 },
  inspect(p) {
    const udp = p.flow.transport === 17;
    if (p.streamOffset === 0 && (udp ? isDcerpcCl(p.b, p.off, p.end) : isDcerpcCo(p.b, p.off, p.end))) return MATCH;
    return udp || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
