import { Decode, u32 } from './result.js';

/** VXLAN (RFC 7348) on UDP 4789: 8 bytes, I flag set, then an Ethernet frame. */
export class VxlanView {
  vni = 0;
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8 + 14) return Decode.Truncated;
    if (!(b[off]! & 0x08)) return Decode.Malformed;
    this.vni = u32(b, off + 4) >>> 8;
    this.payloadOffset = off + 8;
    return Decode.Ok;
  }
}
