import { Decode, u16 } from './result.js';

const VER_IHL = 0;
const TOTAL_LEN = 2;
const ID = 4;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTO = 9;
const SRC = 12;
const DST = 16;
const MIN_HDR = 20;

/**
 * IPv4 header (RFC 791), options included. `reset()` checks version and header length once so
 * the getters cannot read past the buffer. `end` is the end of the datagram as far as it was
 * captured: min(total length, captured bytes); a total length of 0 (TCP segmentation offload on
 * the capturing host) means "up to the end of the frame".
 */
export class Ipv4View {
  private b!: Uint8Array;
  private off = 0;
  /** End of the datagram's bytes in the buffer (captured part). */
  end = 0;
  /** Total length the header claims (0 replaced by the captured length). */
  totalLength = 0;
  /** True when the header claims more bytes than the frame holds (snaplen or a lie). */
  clipped = false;

  reset(b: Uint8Array, off: number, end: number): Decode {
    this.totalLength = 0;
    if (end - off < MIN_HDR) return Decode.Truncated;
    this.b = b;
    this.off = off;
    if (b[off + VER_IHL]! >> 4 !== 4) return Decode.Malformed;
    const hl = (b[off + VER_IHL]! & 0x0f) << 2;
    if (hl < MIN_HDR) return Decode.Malformed;
    if (end - off < hl) return Decode.Truncated;
    let total = u16(b, off + TOTAL_LEN);
    if (total === 0) total = end - off;
    this.totalLength = total;
    if (total < hl) return Decode.Malformed;
    this.clipped = off + total > end;
    this.end = this.clipped ? end : off + total;
    return Decode.Ok;
  }
  get offset(): number {
    return this.off;
  }
  get headerLength(): number {
    return (this.b[this.off]! & 0x0f) << 2;
  }
  get tos(): number {
    return this.b[this.off + 1]!;
  }
  get id(): number {
    return u16(this.b, this.off + ID);
  }
  get dontFragment(): boolean {
    return (this.b[this.off + FLAGS_FRAG]! & 0x40) !== 0;
  }
  get moreFragments(): boolean {
    return (this.b[this.off + FLAGS_FRAG]! & 0x20) !== 0;
  }
  /** Fragment offset in bytes. */
  get fragmentOffset(): number {
    return (u16(this.b, this.off + FLAGS_FRAG) & 0x1fff) << 3;
  }
  get isFragment(): boolean {
    return (u16(this.b, this.off + FLAGS_FRAG) & 0x3fff) !== 0;
  }
  get ttl(): number {
    return this.b[this.off + TTL]!;
  }
  get protocol(): number {
    return this.b[this.off + PROTO]!;
  }
  get srcOffset(): number {
    return this.off + SRC;
  }
  get dstOffset(): number {
    return this.off + DST;
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
}
