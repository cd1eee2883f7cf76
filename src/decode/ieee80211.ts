import { Decode, u16 } from './result.js';

/**
 * IEEE 802.11 data frames down to their LLC/SNAP EtherType (management, control, protected and
 * null-data frames have no network layer to follow). Also strips a radiotap header.
 */
export class Ieee80211View {
  etherType = 0;
  payloadOffset = 0;

  /** LINKTYPE_IEEE802_11_RADIOTAP: little-endian header length at byte 2. */
  radiotap(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    const len = b[off + 2]! | (b[off + 3]! << 8);
    if (len < 8) return Decode.Malformed;
    if (end - off < len) return Decode.Truncated;
    // Bit 4 of the flags field (when present) says the frame ends with an FCS; we leave it:
    // the IP length bounds the datagram anyway.
    return this.reset(b, off + len, end);
  }

  reset(b: Uint8Array, off: number, end: number): Decode {
    this.etherType = 0;
    if (end - off < 24) return Decode.Truncated;
    const fc0 = b[off]!;
    const fc1 = b[off + 1]!;
    if (((fc0 >> 2) & 3) !== 2) return Decode.Unsupported; // not a data frame
    const subtype = fc0 >> 4;
    if (subtype & 0x04) return Decode.Unsupported; // null function: no body
    if (fc1 & 0x40) return Decode.Unsupported; // protected: the body is encrypted
    let hl = 24;
    if ((fc1 & 0x03) === 0x03) hl += 6; // four addresses (WDS)
    if (subtype & 0x08) hl += 2; // QoS control
    if (subtype & 0x08 && fc1 & 0x80) hl += 4; // HT control (order bit on QoS frames)
    if (end - off < hl + 8) return Decode.Truncated;
    const o = off + hl;
    if (b[o] !== 0xaa || b[o + 1] !== 0xaa || b[o + 2] !== 0x03) return Decode.Unsupported;
    this.etherType = u16(b, o + 6);
    this.payloadOffset = o + 8;
    return Decode.Ok;
  }
}
