/**
 * IEC 60870-5-104 on TCP (nDPI: `IEC60870`). Every APDU starts with 0x68 and a length byte
 * (4-253) counting the bytes after it; the four control octets that follow say the frame kind:
 *
 * - U (unnumbered): 0x03 plus exactly one of STARTDT/STOPDT/TESTFR act or con, then zeros;
 *   the frame is the 6 bytes alone.
 * - S (supervisory): 0x01, 0x00, then the receive sequence number; 6 bytes alone.
 * - I (information): bit 0 clear, then an ASDU of at least 6 bytes whose type identification
 *   is a defined one (1-127 less the reserved gaps) and cause of transmission is 1-47.
 *
 * A payload must be a chain of such APDUs ending exactly at its end.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';

const START = 0x68;
/** U-frame functions: STARTDT act/con, STOPDT act/con, TESTFR act/con. */
const U_FUNCTIONS = new Set([0x07, 0x0b, 0x13, 0x23, 0x43, 0x83]);

/** Defined ASDU type identifications (IEC 60870-5-101/104). */
function knownType(t: number): boolean {
  return (t >= 1 && t <= 40) || (t >= 45 && t <= 51) || (t >= 58 && t <= 64) || t === 70 || (t >= 100 && t <= 107) || (t >= 110 && t <= 113) || (t >= 120 && t <= 127);
}

/** True when `b[off, end)` is a chain of whole APDUs (they are small: a segment holds them whole). */
export function isIec104Chain(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 6) return false;
  let at = off;
  while (at < end) {
    if (end - at < 6 || b[at] !== START) return false;
    const length = b[at + 1]!;
    if (length < 4 || length > 253) return false;
    const c0 = b[at + 2]!;
    if ((c0 & 0x01) === 0) {
      // I frame: ASDU type, variable structure qualifier, cause of transmission …
      if (length < 10 || end - at < 10) return false;
      const cot = b[at + 8]! & 0x3f;
      if (!knownType(b[at + 6]!) || (b[at + 7]! & 0x7f) === 0 || cot === 0 || cot > 47) return false;
    } else if (c0 === 0x01) {
      if (length !== 4 || b[at + 3] !== 0) return false;
    } else if ((c0 & 0x03) === 0x03) {
      if (length !== 4 || !U_FUNCTIONS.has(c0) || b[at + 3] !== 0 || b[at + 4] !== 0 || b[at + 5] !== 0) return false;
    } else return false;
    at += 2 + length;
  }
  return at === end;
}

/** IEC60870: the first payload of a direction is a chain of well-formed APDUs. */
export const iec60870: Dissector = {
  name: 'IEC60870',
  transport: 'tcp',
  first: { bytes: byteSet(0x68), minLength: 6 },
  inspect: (p) => (isIec104Chain(p.b, p.off, p.end) ? MATCH : REJECT),
};
