/**
 * DNP3 (IEEE 1815) over TCP: a link-layer frame starts with 0x05 0x64, a length (5..255: the
 * octets from control to the end of user data, without CRCs), control, destination and source
 * addresses (little endian), and a CRC over those eight octets. The CRC must agree.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

/** DNP3's CRC-16 (polynomial 0x3D65, reflected 0xA6BC, initial 0, complemented). */
export function dnp3Crc(b: Uint8Array, off: number, end: number): number {
  let crc = 0;
  for (let i = off; i < end; i++) {
    crc ^= b[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa6bc : crc >>> 1;
  }
  return ~crc & 0xffff;
}

/** True when `b[off, end)` starts with a DNP3 link header whose CRC checks. */
export function isDnp3Header(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 10 || b[off] !== 0x05 || b[off + 1] !== 0x64 || b[off + 2]! < 5) return false;
  return dnp3Crc(b, off, off + 8) === (b[off + 8]! | (b[off + 9]! << 8));
}

/** DNP3 link frames at the start of either direction's stream. */
export const dnp3: Dissector = {
  name: 'DNP3',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isDnp3Header(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
