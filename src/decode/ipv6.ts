import { Decode, u16, u32 } from './result.js';

const PAYLOAD_LEN = 4;
const NEXT = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;
const HDR = 40;
/** Extension headers walked before the packet is called malformed (RFC 8200 sets no limit). */
const MAX_EXT_HEADERS = 16;

/** IPv6 next-header values that are extension headers Sonda walks through. */
export const Ipv6Ext = { HopByHop: 0, Routing: 43, Fragment: 44, Esp: 50, Ah: 51, DestOpts: 60, Mobility: 135, Hip: 139, Shim6: 140, NoNext: 59 } as const;

/**
 * IPv6 header (RFC 8200) and its extension-header chain. After `reset()`, `protocol` and
 * `payloadOffset` describe the upper layer (ESP and "no next header" end the walk), and the
 * fragment header, if any, is described by the `frag*` fields.
 */
export class Ipv6View {
  private b!: Uint8Array;
  private off = 0;
  end = 0;
  clipped = false;
  /** Upper-layer protocol after the extension headers. */
  protocol = 0;
  payloadOffset = 0;
  hasFragmentHeader = false;
  fragmentOffset = 0;
  moreFragments = false;
  fragmentId = 0;
  /** Offset of the fragment header, and of the next-header byte that points at it. */
  fragmentHeaderOffset = 0;
  fragmentPrevNextOffset = 0;
  /** Why the extension-header walk stopped, when it did not reach an upper layer cleanly. */
  extStatus: Decode = Decode.Ok;

  reset(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < HDR) return Decode.Truncated;
    this.b = b;
    this.off = off;
    if (b[off]! >> 4 !== 6) return Decode.Malformed;
    let plen = u16(b, off + PAYLOAD_LEN);
    // Jumbograms and TSO captures put 0 here: take the frame's bytes.
    if (plen === 0) plen = end - off - HDR;
    this.clipped = off + HDR + plen > end;
    this.end = this.clipped ? end : off + HDR + plen;
    this.hasFragmentHeader = false;
    this.extStatus = Decode.Ok;
    this.walkExtensions();
    return Decode.Ok;
  }

  private walkExtensions(): void {
    const b = this.b;
    const end = this.end;
    let next = b[this.off + NEXT]!;
    let prevNext = this.off + NEXT;
    let o = this.off + HDR;
    for (let n = 0; ; n++) {
      const isExtension =
        next === Ipv6Ext.HopByHop || next === Ipv6Ext.Routing || next === Ipv6Ext.DestOpts || next === Ipv6Ext.Mobility || next === Ipv6Ext.Hip || next === Ipv6Ext.Shim6 || next === Ipv6Ext.Fragment || next === Ipv6Ext.Ah;
      if (isExtension && n === MAX_EXT_HEADERS) {
        this.extStatus = Decode.Malformed;
        break;
      }
      if (next === Ipv6Ext.HopByHop || next === Ipv6Ext.Routing || next === Ipv6Ext.DestOpts || next === Ipv6Ext.Mobility || next === Ipv6Ext.Hip || next === Ipv6Ext.Shim6) {
        if (end - o < 8) {
          this.extStatus = Decode.Truncated;
          break;
        }
        prevNext = o;
        const len = (b[o + 1]! + 1) << 3;
        next = b[o]!;
        o += len;
      } else if (next === Ipv6Ext.Fragment) {
        if (end - o < 8) {
          this.extStatus = Decode.Truncated;
          break;
        }
        this.hasFragmentHeader = true;
        this.fragmentHeaderOffset = o;
        this.fragmentPrevNextOffset = prevNext;
        const fo = u16(b, o + 2);
        this.fragmentOffset = fo & 0xfff8;
        this.moreFragments = (fo & 1) !== 0;
        this.fragmentId = u32(b, o + 4);
        prevNext = o;
        next = b[o]!;
        o += 8;
        // The upper-layer header is only in the first fragment; stop here for the others.
        if (this.fragmentOffset !== 0) break;
      } else if (next === Ipv6Ext.Ah) {
        if (end - o < 8) {
          this.extStatus = Decode.Truncated;
          break;
        }
        prevNext = o;
        const len = (b[o + 1]! + 2) << 2;
        next = b[o]!;
        o += len;
      } else break;
    }
    if (o > end) {
      this.extStatus = Decode.Truncated;
      o = end;
    }
    this.protocol = next;
    this.payloadOffset = o;
  }

  get offset(): number {
    return this.off;
  }
  get trafficClass(): number {
    return ((this.b[this.off]! & 0x0f) << 4) | (this.b[this.off + 1]! >> 4);
  }
  get flowLabel(): number {
    return ((this.b[this.off + 1]! & 0x0f) << 16) | u16(this.b, this.off + 2);
  }
  get payloadLength(): number {
    return u16(this.b, this.off + PAYLOAD_LEN);
  }
  get hopLimit(): number {
    return this.b[this.off + HOP_LIMIT]!;
  }
  get srcOffset(): number {
    return this.off + SRC;
  }
  get dstOffset(): number {
    return this.off + DST;
  }
  get isFragment(): boolean {
    return this.hasFragmentHeader && (this.fragmentOffset !== 0 || this.moreFragments);
  }
}
