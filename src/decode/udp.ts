import { Decode, u16 } from './result.js';

const SRC = 0;
const DST = 2;
const LEN = 4;
const HDR = 8;

/** UDP header (RFC 768). A length below 8 is malformed; a length past the datagram is clipped. */
export class UdpView {
  private b!: Uint8Array;
  private off = 0;
  /** End of the UDP payload (captured part). */
  end = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < HDR) return Decode.Truncated;
    this.b = b;
    this.off = off;
    const len = u16(b, off + LEN);
    // Length 0 is legal for jumbograms (RFC 2675) and seen with offload: use the IP length.
    if (len === 0) {
      this.end = end;
      return Decode.Ok;
    }
    if (len < HDR) return Decode.Malformed;
    this.end = off + len < end ? off + len : end;
    return Decode.Ok;
  }
  get srcPort(): number {
    return u16(this.b, this.off + SRC);
  }
  get dstPort(): number {
    return u16(this.b, this.off + DST);
  }
  get length(): number {
    return u16(this.b, this.off + LEN);
  }
  get checksum(): number {
    return u16(this.b, this.off + 6);
  }
  get payloadOffset(): number {
    return this.off + HDR;
  }
}
