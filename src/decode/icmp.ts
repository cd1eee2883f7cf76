import { Decode, u16 } from './result.js';

/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) share their first four bytes: type, code, checksum.
 * Echo messages carry an identifier and a sequence number after them.
 */
export class IcmpView {
  private b!: Uint8Array;
  private off = 0;
  private len = 0;
  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 4) return Decode.Truncated;
    this.b = b;
    this.off = off;
    this.len = end - off;
    return Decode.Ok;
  }
  get type(): number {
    return this.b[this.off]!;
  }
  get code(): number {
    return this.b[this.off + 1]!;
  }
  /** Echo identifier, or -1 when the message is shorter than an echo header. */
  get echoId(): number {
    return this.len >= 8 ? u16(this.b, this.off + 4) : -1;
  }
  get echoSeq(): number {
    return this.len >= 8 ? u16(this.b, this.off + 6) : -1;
  }
  /** ICMP payload starts after the 8-byte header for every message type Sonda reads. */
  get payloadOffset(): number {
    return this.off + (this.len >= 8 ? 8 : this.len);
  }
}
