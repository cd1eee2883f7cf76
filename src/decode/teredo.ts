import { Decode, u16 } from './result.js';

/**
 * Teredo (RFC 4380) on UDP 3544: optional authentication and origin-indication headers, then
 * an IPv6 packet. Plain UDP on that port is common, so the inner header must check out exactly
 * (version 6 and a payload length that fills the datagram) before the packet counts as Teredo.
 */
export class TeredoView {
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    let o = off;
    if (end - o >= 4 && b[o] === 0 && b[o + 1] === 1) {
      const idLen = b[o + 2]!;
      const auLen = b[o + 3]!;
      o += 4 + idLen + auLen + 9;
    }
    if (end - o >= 8 && b[o] === 0 && b[o + 1] === 0) o += 8;
    if (end - o < 40) return Decode.Truncated;
    if (b[o]! >> 4 !== 6) return Decode.Unsupported;
    if (o + 40 + u16(b, o + 4) !== end) return Decode.Unsupported;
    this.payloadOffset = o;
    return Decode.Ok;
  }
}
