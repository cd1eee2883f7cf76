/**
 * Diameter (RFC 6733) on TCP. A 20-byte header: version 1, a 24-bit message length (a multiple
 * of 4, at least the header), flags (R request, P proxiable, E error, T retransmitted; the low
 * four bits reserved as zero), a 24-bit command code, the application id and two identifiers.
 * Then AVPs, the first of which must look like one: flags V/M/P only, a length of at least 8
 * that fits the message. The command code must be one the base protocol or a common
 * application defines.
 */
import { byteSet, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const HEADER = 20;
const MAX_MESSAGE = 1 << 20;

/** Command codes: base (257-282), NASREQ/EAP (265, 268), credit control and Gx/Rx (272, 258,
 * 274, 275), Cx/Dx/Sh (300-309), 3GPP S6a/S13/S6d (316-324), SLh/SLg and MTC (8388620-8388730 range). */
function knownCommand(code: number): boolean {
  if (code >= 257 && code <= 282) return true;
  if (code >= 300 && code <= 330) return true;
  return code >= 8388608 && code <= 8388800;
}

/** True when `b[off, end)` starts with a Diameter message header and a first AVP that agree. */
export function isDiameterMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + 8 || b[off] !== 1) return false;
  const length = u32(b, off) & 0xffffff;
  const flags = b[off + 4]!;
  if (length < HEADER + 8 || (length & 3) !== 0 || length > MAX_MESSAGE || (flags & 0x0f) !== 0) return false;
  // An error answer is never a request.
  if ((flags & 0xa0) === 0xa0 || !knownCommand(u32(b, off + 4) & 0xffffff)) return false;
  const avp = off + HEADER;
  const avpFlags = b[avp + 4]!;
  const avpLength = u32(b, avp + 4) & 0xffffff;
  if (u32(b, avp) === 0 || (avpFlags & 0x1f) !== 0 || avpLength < 8 || HEADER + avpLength > length) return false;
  // A vendor-specific AVP carries a 4-byte vendor id: it needs 12 bytes.
  return (avpFlags & 0x80) === 0 || avpLength >= 12;
}

/** Diameter: either side's first payload starts with a message. */
export const diameter: Dissector = {
  name: 'Diameter',
  transport: 'tcp',
  first: { bytes: byteSet(1), minLength: HEADER + 8 },
  inspect: (p) => (isDiameterMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
