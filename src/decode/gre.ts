import { Decode, u16, u32 } from './result.js';

/**
 * GRE (RFC 2784, keys and sequence numbers of RFC 2890) and PPTP's enhanced GRE (RFC 2637,
 * version 1: key field holds payload length and call id, optional acknowledgement). After
 * `reset()`, `protocol` is the payload's EtherType (0x880b PPP for PPTP) and `payloadOffset`
 * where it starts. Source routing (R bit, obsolete) is unsupported.
 */
export class GreView {
  version = 0;
  protocol = 0;
  payloadOffset = 0;
  /** Key (version 0, 32 bits) or call id (version 1); -1 when absent. */
  key = -1;
  /** The S bit: a sequence number is present (ERSPAN type II/III set it, type I does not). */
  hasSequence = false;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 4) return Decode.Truncated;
    const f0 = b[off]!;
    const f1 = b[off + 1]!;
    this.version = f1 & 0x07;
    this.protocol = u16(b, off + 2);
    this.hasSequence = (f0 & 0x10) !== 0;
    let len = 4;
    if (this.version === 0) {
      if (f0 & 0x40) return Decode.Unsupported;
      if (f0 & 0x80) len += 4; // checksum + reserved
      if (f0 & 0x20) len += 4;
      if (f0 & 0x10) len += 4;
      if (end - off < len) return Decode.Truncated;
      this.key = f0 & 0x20 ? u32(b, off + 4 + (f0 & 0x80 ? 4 : 0)) : -1;
    } else if (this.version === 1) {
      if (!(f0 & 0x20)) return Decode.Malformed; // the key is mandatory in PPTP GRE
      len += 4;
      if (f0 & 0x10) len += 4;
      if (f1 & 0x80) len += 4;
      if (end - off < len) return Decode.Truncated;
      this.key = u16(b, off + 6);
    } else return Decode.Unsupported;
    this.payloadOffset = off + len;
    return Decode.Ok;
  }
}

/**
 * Length of the ERSPAN header inside GRE (mirrored Ethernet frames follow it): type I (GRE
 * 0x88BE without a sequence number) has none, type II 8 bytes, type III 12 (+8 with the O bit).
 */
export function erspanHeaderLength(b: Uint8Array, off: number, end: number, type3: boolean, hasSequence: boolean): number {
  if (!type3) return !hasSequence ? 0 : end - off >= 8 ? 8 : -1;
  if (end - off < 12) return -1;
  // Type III: an optional 8-byte platform sub-header when the O bit is set.
  return b[off + 11]! & 0x01 ? (end - off >= 20 ? 20 : -1) : 12;
}
