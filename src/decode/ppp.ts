import { Decode, u16 } from './result.js';

/** PPP protocol numbers Sonda follows (RFC 1661 / IANA). */
export const PppProto = { Ipv4: 0x0021, Ipv6: 0x0057, Mpls: 0x0281, VjComp: 0x002d, VjUncomp: 0x002f } as const;

/**
 * A PPP header as found in PPP captures (LINKTYPE_PPP, PPP in HDLC framing), in PPPoE sessions
 * and in PPTP's GRE: optional address/control bytes FF 03, then a protocol field of one byte
 * (compressed, odd) or two.
 */
export class PppView {
  protocol = 0;
  payloadOffset = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    let o = off;
    if (end - o >= 2 && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
    if (end - o < 1) return Decode.Truncated;
    if (b[o]! & 1) {
      this.protocol = b[o]!;
      o += 1;
    } else {
      if (end - o < 2) return Decode.Truncated;
      this.protocol = u16(b, o);
      o += 2;
    }
    this.payloadOffset = o;
    return Decode.Ok;
  }
}

/** PPPoE session header (RFC 2516): version/type, code, session id, length, then PPP. */
export class PppoeView {
  private b!: Uint8Array;
  private off = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 8) return Decode.Truncated;
    this.b = b;
    this.off = off;
    return b[off] === 0x11 ? Decode.Ok : Decode.Malformed;
  }
  get sessionId(): number {
    return u16(this.b, this.off + 2);
  }
  get length(): number {
    return u16(this.b, this.off + 4);
  }
  /** PPP protocol field (PPPoE never compresses it). */
  get pppProtocol(): number {
    return u16(this.b, this.off + 6);
  }
  get payloadOffset(): number {
    return this.off + 8;
  }
}
