import { Decode, u16, u32 } from './result.js';

/** Geneve (RFC 8926) on UDP 6081: 8 bytes plus options; `protocol` is an EtherType. */
export class GeneveView {
  vni = 0;
  protocol = 0;
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    if (b[off]! >> 6 !== 0) return Decode.Unsupported;
    const len = 8 + ((b[off]! & 0x3f) << 2);
    if (end - off < len) return Decode.Truncated;
    this.protocol = u16(b, off + 2);
    this.vni = u32(b, off + 4) >>> 8;
    this.payloadOffset = off + len;
    return Decode.Ok;
  }
}
