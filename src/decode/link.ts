import { Decode, u16, u32 } from './result.js';

/**
 * Link headers that only say where the network layer starts and what it is: Linux cooked
 * (SLL, SLL2), BSD null/loopback, Cisco HDLC. Each `reset()` sets `etherType` (or 0 when the
 * payload is not something Sonda follows) and `payloadOffset`.
 */
export class LinkHeaderView {
  etherType = 0;
  payloadOffset = 0;

  /** LINKTYPE_LINUX_SLL: 16 bytes, protocol at 14. */
  sll(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 16) return Decode.Truncated;
    this.etherType = u16(b, off + 14);
    this.payloadOffset = off + 16;
    // ARPHRD_IEEE80211 and friends put non-EtherType values here; the caller checks the type.
    return Decode.Ok;
  }

  /** LINKTYPE_LINUX_SLL2: 20 bytes, protocol first. */
  sll2(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 20) return Decode.Truncated;
    this.etherType = u16(b, off);
    this.payloadOffset = off + 20;
    return Decode.Ok;
  }

  /**
   * LINKTYPE_NULL (address family in the capturing host's byte order) and LINKTYPE_LOOP
   * (network byte order). The IPv6 family differs between BSDs (24, 28, 30), so all are taken.
   */
  nullLoop(b: Uint8Array, off: number, end: number, networkOrder: boolean): Decode {
    if (end - off < 4) return Decode.Truncated;
    let af = u32(b, off);
    // Host order is unknown: a little-endian family has its value in the first byte.
    if (!networkOrder && af > 0xffff) af = (b[off]! | (b[off + 1]! << 8)) >>> 0;
    this.payloadOffset = off + 4;
    this.etherType = af === 2 ? 0x0800 : af === 24 || af === 28 || af === 30 || af === 10 ? 0x86dd : 0;
    return Decode.Ok;
  }

  /** LINKTYPE_C_HDLC: address, control, then an EtherType-valued protocol. */
  ciscoHdlc(b: Uint8Array, off: number, end: number): Decode {
    if (end - off < 4) return Decode.Truncated;
    this.etherType = u16(b, off + 2);
    this.payloadOffset = off + 4;
    return Decode.Ok;
  }
}
