import { Decode, u32 } from './result.js';

/** Deepest label stack followed before the packet is called malformed. */
export const MPLS_MAX_LABELS = 16;

/**
 * An MPLS label stack. `reset()` walks to the bottom-of-stack entry; the payload type is then
 * guessed from the first nibble, as routers do (4 → IPv4, 6 → IPv6, 0 → pseudowire control word
 * followed by Ethernet).
 */
export class MplsView {
  labels = 0;
  /** Outermost label. */
  topLabel = 0;
  payloadOffset = 0;
  /** 4 or 6 for IP, 0x6558 for Ethernet over a pseudowire, 0 unknown. */
  payloadKind = 0;

  reset(b: Uint8Array, off: number, end: number): Decode {
    this.labels = 0;
    let o = off;
    for (;;) {
      if (end - o < 4) return Decode.Truncated;
      const e = u32(b, o);
      if (this.labels === 0) this.topLabel = e >>> 12;
      this.labels++;
      o += 4;
      if (e & 0x100) break;
      if (this.labels >= MPLS_MAX_LABELS) return Decode.Malformed;
    }
    this.payloadOffset = o;
    if (o >= end) {
      this.payloadKind = 0;
      return Decode.Ok;
    }
    const nib = b[o]! >> 4;
    if (nib === 4) this.payloadKind = 4;
    else if (nib === 6) this.payloadKind = 6;
    else if (nib === 0 && end - o >= 4 + 14) {
      // RFC 4385 control word, then an Ethernet frame (Ethernet pseudowire).
      this.payloadKind = 0x6558;
      this.payloadOffset = o + 4;
    } else this.payloadKind = 0;
    return Decode.Ok;
  }
}
