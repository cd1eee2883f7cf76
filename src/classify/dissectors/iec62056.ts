/**
 * IEC 62056 (DLMS/COSEM) on TCP/UDP 4059/4060: either HDLC frames (IEC 62056-46) — flag 0x7e,
 * frame format type 3 with an 11-bit length equal to the frame's (flags excluded), addresses and
 * control, a frame check sequence (CRC-16/X.25) before the closing flag — or the TCP/UDP
 * wrapper (IEC 62056-47): version 1, source and destination wPorts, and the APDU's length.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

/** CRC-16/X.25 (reflected 0x1021, initial 0xffff, complemented) of `b[off, end)`. */
export function crcX25(b: Uint8Array, off: number, end: number): number {
  let crc = 0xffff;
  for (let i = off; i < end; i++) {
    crc ^= b[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return ~crc & 0xffff;
}

/** True when `b[off, end)` is one HDLC frame of IEC 62056-46 whose FCS checks. */
export function isDlmsHdlc(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 9 || b[off] !== 0x7e || b[end - 1] !== 0x7e || (b[off + 1]! & 0xf0) !== 0xa0) return false;
  const len = ((b[off + 1]! & 0x07) << 8) | b[off + 2]!;
  if (len !== n - 2) return false;
  return crcX25(b, off + 1, end - 3) === (b[end - 3]! | (b[end - 2]! << 8));
}

/**
 * True when the byte starts a DLMS APDU: data-notification, ciphered initiate/read/write
 * (0x21..0x2f), association (AARQ, AARE, RLRQ, RLRE: 0x60..0x63), xDLMS get/set/action and
 * their ciphered, exception and general-ciphering forms (0xc0..0xdf).
 */
const isApduTag = (t: number): boolean => t === 0x0f || (t >= 0x21 && t <= 0x2f) || (t >= 0x60 && t <= 0x63) || (t >= 0xc0 && t <= 0xdf);

/** True when `b[off, end)` is a wrapper PDU: version 1, length of what follows, an APDU. */
export function isDlmsWrapper(b: Uint8Array, off: number, end: number): boolean {
  return end - off > 8 && u16(b, off) === 1 && u16(b, off + 6) === end - off - 8 && isApduTag(b[off + 8]!);
}

/** DLMS/COSEM, on the first payload. */
export const iec62056: Dissector = {
  name: 'IEC62056',
  transport: 'both',
  // HDLC flag, or the wrapper's version 1 (16-bit).
  first: { bytes: byteSet(0x7e, 0), minLength: 9 },
  inspect(p) {
    const { b, off, end } = p;
    return p.streamOffset === 0 && (isDlmsHdlc(b, off, end) || isDlmsWrapper(b, off, end)) ? MATCH : REJECT;
  },
};
