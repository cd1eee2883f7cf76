import { Decode, u16 } from './result.js';

/** One 802.1Q / 802.1ad tag (the 4 bytes after the EtherType that announced it). */
export class VlanView {
  private b!: Uint8Array;
  private off = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 4) return Decode.Truncated;
    this.b = b;
    this.off = off;
    return Decode.Ok;
  }
  get vlanId(): number {
    return u16(this.b, this.off) & 0x0fff;
  }
  get priority(): number {
    return this.b[this.off]! >> 5;
  }
  get etherType(): number {
    return u16(this.b, this.off + 2);
  }
}
