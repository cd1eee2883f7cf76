import { Decode } from './result.js';

/**
 * CAPWAP data channel (RFC 5415) on UDP 5247. The payload is an IEEE 802.11 frame when the T
 * bit is set with wireless binding 1, otherwise an 802.3 (Ethernet) frame. Keep-alives
 * (K bit) carry no frame.
 */
export class CapwapView {
  /** True when the payload is a native 802.11 frame. */
  ieee80211 = false;
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    if (b[off] !== 0) return Decode.Unsupported; // version 0, type 0 (CAPWAP header follows)
    const hlen = (b[off + 1]! >> 3) << 2;
    if (hlen < 8) return Decode.Malformed;
    if (end - off <= hlen) return Decode.Truncated;
    // Bits 18-22 of the first word (RFC 5415 §4.3): preamble 8, HLEN 5, RID 5, WBID 5, T …
    const wbid = (b[off + 2]! >> 1) & 0x1f;
    const t = (b[off + 2]! & 0x01) !== 0;
    const k = (b[off + 3]! & 0x08) !== 0;
    if (k) return Decode.Unsupported;
    this.ieee80211 = t && wbid === 1;
    this.payloadOffset = off + hlen;
    return Decode.Ok;
  }
}
