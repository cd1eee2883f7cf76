/**
 * IEEE C37.118 synchrophasor frames (TCP/UDP 4712/4713): SYNC (0xAA, then frame type 0..5 in
 * bits 6..4 and version 1..3 in bits 3..0), the frame size, the PMU id code, SOC, FRACSEC, data,
 * and a CRC-CCITT (0x1021, initial 0xffff) over the frame without its last two bytes.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** CRC-CCITT (0x1021, initial 0xffff, not reflected) of `b[off, end)`. */
export function crcCcitt(b: Uint8Array, off: number, end: number): number {
  let crc = 0xffff;
  for (let i = off; i < end; i++) {
    crc ^= b[i]! << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** True when `b[off, end)` starts with a C37.118 frame whose size fits and whose CRC checks. */
export function isC37118Frame(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 16 || b[off] !== 0xaa) return false;
  const type = (b[off + 1]! >> 4) & 0x07;
  const version = b[off + 1]! & 0x0f;
  if ((b[off + 1]! & 0x80) !== 0 || type > 5 || version < 1 || version > 3) return false;
  const size = u16(b, off + 2);
  if (size < 16 || size > end - off) return false;
  return crcCcitt(b, off, off + size - 2) === u16(b, off + size - 2);
}

/** C37.118 frames, on the first payload of either direction. */
export const ieeeC37118: Dissector = {
  name: 'IEEE-C37118',
  transport: 'both',
  first: { bytes: byteSet(0xaa), minLength: 16 },
  inspect: (p) => (p.streamOffset === 0 && isC37118Frame(p.b, p.off, p.end) ? MATCH : REJECT),
};
