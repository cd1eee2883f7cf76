import { Decode, u16, u32 } from './result.js';

const SPORT = 0;
const DPORT = 2;
const SEQ = 4;
const ACK = 8;
const DOFF = 12;
const FLAGS = 13;
const WIN = 14;
const MIN_HDR = 20;

/** TCP flag bits as they sit in byte 13 (plus NS from byte 12, shifted to bit 8). */
export const TcpFlag = { Fin: 0x01, Syn: 0x02, Rst: 0x04, Psh: 0x08, Ack: 0x10, Urg: 0x20, Ece: 0x40, Cwr: 0x80 } as const;

/**
 * TCP header (RFC 9293) with its options. `reset()` reports `Truncated` when fewer than 20
 * bytes, or fewer than the data offset says, were captured, and `Malformed` for a data offset
 * below 5; the
 * options are parsed on demand by `parseOptions()`, since most packets never need them.
 */
export class TcpView {
  private b!: Uint8Array;
  private off = 0;
  private segEnd = 0;
  /** Options (valid after `parseOptions()`); -1 where absent. */
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  sackBlocks = 0;
  tsVal = -1;
  tsEcr = -1;

  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < MIN_HDR) return Decode.Truncated;
    this.b = b;
    this.off = off;
    this.segEnd = end;
    const hl = (b[off + DOFF]! >> 4) << 2;
    if (hl < MIN_HDR) return Decode.Malformed;
    if (hl > end - off) return Decode.Truncated;
    return Decode.Ok;
  }
  get srcPort(): number {
    return u16(this.b, this.off + SPORT);
  }
  get dstPort(): number {
    return u16(this.b, this.off + DPORT);
  }
  get seq(): number {
    return u32(this.b, this.off + SEQ);
  }
  get ack(): number {
    return u32(this.b, this.off + ACK);
  }
  get headerLength(): number {
    return (this.b[this.off + DOFF]! >> 4) << 2;
  }
  get flags(): number {
    return this.b[this.off + FLAGS]!;
  }
  get window(): number {
    return u16(this.b, this.off + WIN);
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  /** Reads MSS, window scale, SACK and timestamps. Returns Malformed on a bad option length. */
  parseOptions(): Decode {
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.sackBlocks = 0;
    this.tsVal = -1;
    this.tsEcr = -1;
    const b = this.b;
    const end = Math.min(this.off + this.headerLength, this.segEnd);
    let o = this.off + MIN_HDR;
    while (o < end) {
      const kind = b[o]!;
      if (kind === 0) break;
      if (kind === 1) {
        o++;
        continue;
      }
      if (o + 1 >= end) return Decode.Truncated;
      const len = b[o + 1]!;
      if (len < 2 || o + len > end) return Decode.Malformed;
      if (kind === 2 && len === 4) this.mss = u16(b, o + 2);
      else if (kind === 3 && len === 3) this.windowScale = b[o + 2]!;
      else if (kind === 4 && len === 2) this.sackPermitted = true;
      else if (kind === 5) this.sackBlocks = (len - 2) >> 3;
      else if (kind === 8 && len === 10) {
        this.tsVal = u32(b, o + 2);
        this.tsEcr = u32(b, o + 6);
      }
      o += len;
    }
    return Decode.Ok;
  }
}
