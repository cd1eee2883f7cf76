import { Decode, u16 } from './result.js';

/** ARP (RFC 826). Decoded so that it is counted and visible to consumers; it makes no flow. */
export class ArpView {
  private b!: Uint8Array;
  private off = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    this.b = b;
    this.off = off;
    const need = 8 + 2 * (b[off + 4]! + b[off + 5]!);
    return end - off < need ? Decode.Truncated : Decode.Ok;
  }
  get hardwareType(): number {
    return u16(this.b, this.off);
  }
  get protocolType(): number {
    return u16(this.b, this.off + 2);
  }
  /** 1 request, 2 reply. */
  get operation(): number {
    return u16(this.b, this.off + 6);
  }
}
