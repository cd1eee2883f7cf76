import { Decode, u16 } from './result.js';

const DST = 0;
const SRC = 6;
const TYPE = 12;
const HDR = 14;
const LLC = 14;
const SNAP_TYPE = 20;

/**
 * Ethernet II and IEEE 802.3 frames. For 802.3 (type/length field <= 1500), an LLC header
 * follows; with SNAP (AA AA 03) the real EtherType is read from it, so that `etherType` and
 * `payloadOffset` describe the next layer either way. View is valid until the next `reset()`.
 */
export class EthernetView {
  private b!: Uint8Array;
  private off = 0;
  /** EtherType of the payload; 0 for LLC frames that are not SNAP. */
  etherType = 0;
  /** Offset of the payload in the buffer. */
  payloadOffset = 0;
  /** True for 802.3 length-field frames (with LLC). */
  isLlc = false;

  reset(b: Uint8Array, off: number, end: number): Decode {
    this.isLlc = false;
    if (end - off < HDR) return Decode.Truncated;
    this.b = b;
    this.off = off;
    const t = u16(b, off + TYPE);
    if (t >= 0x0600) {
      this.isLlc = false;
      this.etherType = t;
      this.payloadOffset = off + HDR;
      return Decode.Ok;
    }
    this.isLlc = true;
    // 802.3: LLC DSAP/SSAP/control; SNAP carries an OUI and an EtherType.
    if (end - off < LLC + 3) return Decode.Truncated;
    if (b[off + LLC] === 0xaa && b[off + LLC + 1] === 0xaa && b[off + LLC + 2] === 0x03) {
      if (end - off < SNAP_TYPE + 2) return Decode.Truncated;
      this.etherType = u16(b, off + SNAP_TYPE);
      this.payloadOffset = off + SNAP_TYPE + 2;
    } else {
      this.etherType = 0;
      this.payloadOffset = off + LLC + 3;
    }
    return Decode.Ok;
  }
  get dstOffset(): number {
    return this.off + DST;
  }
  get srcOffset(): number {
    return this.off + SRC;
  }
  /** LLC DSAP (only for `isLlc`). */
  get dsap(): number {
    return this.b[this.off + LLC]!;
  }
}

/** EtherTypes Sonda follows. */
export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Teb: 0x6558,
  Vlan: 0x8100,
  QinQ: 0x88a8,
  QinQOld: 0x9100,
  QinQOld2: 0x9200,
  Ipv6: 0x86dd,
  Mpls: 0x8847,
  MplsMulticast: 0x8848,
  PppoeDiscovery: 0x8863,
  PppoeSession: 0x8864,
  Ppp: 0x880b,
  Erspan2: 0x88be,
  Erspan3: 0x22eb,
  Nsh: 0x894f,
} as const;
