import { Decode, u16, u32 } from './result.js';

/** SCTP common header (RFC 9260): ports, verification tag, checksum; chunks follow. */
export class SctpView {
  private b!: Uint8Array;
  private off = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 12) return Decode.Truncated;
    this.b = b;
    this.off = off;
    return Decode.Ok;
  }
  get srcPort(): number {
    return u16(this.b, this.off);
  }
  get dstPort(): number {
    return u16(this.b, this.off + 2);
  }
  get verificationTag(): number {
    return u32(this.b, this.off + 4);
  }
  get payloadOffset(): number {
    return this.off + 12;
  }
}
