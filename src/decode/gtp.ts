import { Decode, u16, u32 } from './result.js';

/** Extension headers followed before the packet is called malformed. */
const MAX_EXTENSIONS = 8;

/**
 * GTPv1-U (3GPP TS 29.281) on UDP port 2152. Only G-PDUs (message type 255) carry user
 * packets; other messages (echo, error indication, end marker) are signalling and make the
 * packet an ordinary UDP packet of the tunnel endpoints' flow.
 */
export class GtpView {
  messageType = 0;
  teid = 0;
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    const flags = b[off]!;
    if (flags >> 5 !== 1 || !(flags & 0x10)) return Decode.Unsupported; // not GTPv1, or GTP'
    this.messageType = b[off + 1]!;
    this.teid = u32(b, off + 4);
    let o = off + 8;
    if (flags & 0x07) {
      if (end - o < 4) return Decode.Truncated;
      let next = flags & 0x04 ? b[o + 3]! : 0;
      o += 4;
      for (let n = 0; next !== 0; n++) {
        if (n === MAX_EXTENSIONS) return Decode.Malformed;
        if (end - o < 4) return Decode.Truncated;
        const len = b[o]! << 2;
        if (len === 0 || end - o < len) return len === 0 ? Decode.Malformed : Decode.Truncated;
        next = b[o + len - 1]!;
        o += len;
      }
    }
    // The length field counts the bytes after the mandatory 8-byte header.
    const claimed = u16(b, off + 2);
    if (off + 8 + claimed < o) return Decode.Malformed;
    this.payloadOffset = o;
    return Decode.Ok;
  }
}
