/**
 * Which worker a frame goes to: a symmetric hash of the address pair of the IP header its
 * flow key comes from, found by a walk that follows the decoder's own rules (link layers,
 * VLAN/QinQ, MPLS, PPPoE, then tunnels: GRE/PPTP/ERSPAN, IP-in-IP, GTP-U, VXLAN, Geneve,
 * Teredo, CAPWAP — with the decoder's views, so a tunnel whose inner header the decoder
 * rejects keeps the outer pair here too).
 *
 * Why an address pair and nothing more: both directions of a flow carry it, and so does every
 * fragment of a datagram (fragments after the first have no ports). A fragment stops the walk:
 * it goes by the pair of the fragmented header, where the defragmenter will look for its
 * siblings. So everything one flow is made of lands on one worker — except a tunnelled flow
 * whose tunnel packets are sometimes fragmented on the outer header (those go by the outer
 * pair, the others by the inner one).
 */
import { LinkType } from '../../capture/frame.js';
import { EtherType, EthernetView } from '../../decode/ethernet.js';
import { CapwapView } from '../../decode/capwap.js';
import { GeneveView } from '../../decode/geneve.js';
import { erspanHeaderLength, GreView } from '../../decode/gre.js';
import { GtpView } from '../../decode/gtp.js';
import { Ieee80211View } from '../../decode/ieee80211.js';
import { Ipv4View } from '../../decode/ipv4.js';
import { Ipv6View } from '../../decode/ipv6.js';
import { LinkHeaderView } from '../../decode/link.js';
import { MplsView } from '../../decode/mpls.js';
import { PppoeView, PppProto, PppView } from '../../decode/ppp.js';
import { Decode } from '../../decode/result.js';
import { TeredoView } from '../../decode/teredo.js';
import { UdpView } from '../../decode/udp.js';
import { VxlanView } from '../../decode/vxlan.js';

/** As in the decoder: one more VLAN tag is `vlan_stack_too_deep`, one more tunnel `tunnel_too_deep`. */
const MAX_VLAN_TAGS = 4;
const MAX_TUNNEL_DEPTH = 4;
const IP_IN_IP4 = 4;
const IP_IN_IP6 = 41;
const GRE = 47;
const UDP = 17;
const TCP = 6;
const PORT_GTP = 2152;
const PORT_VXLAN = 4789;
const PORT_GENEVE = 6081;
const PORT_TEREDO = 3544;
const PORT_CAPWAP = 5247;

/**
 * Finds the flow key's IP header of a frame and hashes its address pair, the same for both
 * directions. One instance per dispatching thread (its views are reused).
 */
export class FrameSharder {
  private readonly eth = new EthernetView();
  private readonly link = new LinkHeaderView();
  private readonly mpls = new MplsView();
  private readonly ppp = new PppView();
  private readonly pppoe = new PppoeView();
  private readonly wifi = new Ieee80211View();
  private readonly ip4 = new Ipv4View();
  private readonly ip6 = new Ipv6View();
  private readonly udp = new UdpView();
  private readonly gre = new GreView();
  private readonly gtp = new GtpView();
  private readonly vxlan = new VxlanView();
  private readonly geneve = new GeneveView();
  private readonly teredo = new TeredoView();
  private readonly capwap = new CapwapView();

  /**
   * The frame's shard hash (an unsigned 32-bit integer), or -1 when the decoder would find no
   * IP header in it (ARP, STP, truncated or unknown frames).
   */
  hash(b: Uint8Array, off: number, end: number, linkType: number): number {
    switch (linkType) {
      case LinkType.Ethernet:
        return this.ethernet(b, off, end, 0);
      case LinkType.Raw:
      case LinkType.RawOpenBsd:
      case LinkType.RawIp:
        if (off >= end) return -1;
        return b[off]! >> 4 === 6 ? this.ipv6(b, off, end, 0) : b[off]! >> 4 === 4 ? this.ipv4(b, off, end, 0) : -1;
      case LinkType.Ipv4:
        return this.ipv4(b, off, end, 0);
      case LinkType.Ipv6:
        return this.ipv6(b, off, end, 0);
      case LinkType.LinuxSll:
        if (this.link.sll(b, off, end) !== Decode.Ok) return -1;
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end, 0);
      case LinkType.LinuxSll2:
        if (this.link.sll2(b, off, end) !== Decode.Ok) return -1;
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end, 0);
      case LinkType.Null:
      case LinkType.Loop:
        if (this.link.nullLoop(b, off, end, linkType === LinkType.Loop) !== Decode.Ok) return -1;
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end, 0);
      case LinkType.Ppp:
      case LinkType.PppHdlc:
        // Cisco HDLC framing in PPP captures, as the decoder tells them apart.
        if (end - off >= 4 && (b[off] === 0x0f || b[off] === 0x8f) && b[off + 1] === 0x00) {
          this.link.ciscoHdlc(b, off, end);
          return this.etherType(this.link.etherType, b, this.link.payloadOffset, end, 0);
        }
        if (this.ppp.reset(b, off, end) !== Decode.Ok) return -1;
        return this.pppPayload(this.ppp.protocol, b, this.ppp.payloadOffset, end, 0);
      case LinkType.CiscoHdlc:
        if (this.link.ciscoHdlc(b, off, end) !== Decode.Ok) return -1;
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end, 0);
      case LinkType.Ieee80211:
        if (this.wifi.reset(b, off, end) !== Decode.Ok) return -1;
        return this.etherType(this.wifi.etherType, b, this.wifi.payloadOffset, end, 0);
      case LinkType.Radiotap:
        if (this.wifi.radiotap(b, off, end) !== Decode.Ok) return -1;
        return this.etherType(this.wifi.etherType, b, this.wifi.payloadOffset, end, 0);
      default:
        return -1;
    }
  }

  // Each step returns the hash of the key's header found from here, or -1 when there is none
  // (inside a tunnel, -1 makes the caller keep the outer header, as the decoder does).

  private ethernet(b: Uint8Array, off: number, end: number, depth: number): number {
    if (end - off < 14) return -1;
    // The common case first: Ethernet II straight to IP.
    const t = (b[off + 12]! << 8) | b[off + 13]!;
    if (t === EtherType.Ipv4) return this.ipv4(b, off + 14, end, depth);
    if (t === EtherType.Ipv6) return this.ipv6(b, off + 14, end, depth);
    if (this.eth.reset(b, off, end) !== Decode.Ok) return -1;
    return this.etherType(this.eth.etherType, b, this.eth.payloadOffset, end, depth);
  }

  private etherType(type: number, b: Uint8Array, o: number, end: number, depth: number): number {
    for (let tags = 0; ; tags++) {
      if (type === EtherType.Ipv4) return this.ipv4(b, o, end, depth);
      if (type === EtherType.Ipv6) return this.ipv6(b, o, end, depth);
      if (type === EtherType.Vlan || type === EtherType.QinQ || type === EtherType.QinQOld || type === EtherType.QinQOld2) {
        if (tags === MAX_VLAN_TAGS || end - o < 4) return -1;
        type = (b[o + 2]! << 8) | b[o + 3]!;
        o += 4;
        continue;
      }
      if (type === EtherType.Mpls || type === EtherType.MplsMulticast) {
        if (this.mpls.reset(b, o, end) !== Decode.Ok) return -1;
        const k = this.mpls.payloadKind;
        const p = this.mpls.payloadOffset;
        if (k === 4) return this.ipv4(b, p, end, depth);
        if (k === 6) return this.ipv6(b, p, end, depth);
        // Ethernet over a pseudowire: each level eats bytes, so this recursion is bounded.
        if (k === 0x6558) return this.ethernet(b, p, end, depth);
        return -1;
      }
      if (type === EtherType.PppoeSession) {
        if (this.pppoe.reset(b, o, end) !== Decode.Ok) return -1;
        return this.pppPayload(this.pppoe.pppProtocol, b, this.pppoe.payloadOffset, end, depth);
      }
      return -1;
    }
  }

  private pppPayload(proto: number, b: Uint8Array, o: number, end: number, depth: number): number {
    if (proto === PppProto.Ipv4) return this.ipv4(b, o, end, depth);
    if (proto === PppProto.Ipv6) return this.ipv6(b, o, end, depth);
    if (proto === PppProto.Mpls) return this.etherType(EtherType.Mpls, b, o, end, depth);
    return -1;
  }

  private ipv4(b: Uint8Array, o: number, end: number, depth: number): number {
    const ip = this.ip4;
    if (ip.reset(b, o, end) !== Decode.Ok) return -1;
    const here = v4PairHash(b, o);
    if (ip.isFragment) return here;
    const proto = ip.protocol;
    if (proto === TCP) return here;
    const inner = this.transport(proto, b, ip.payloadOffset, ip.end, depth);
    return inner < 0 ? here : inner;
  }

  private ipv6(b: Uint8Array, o: number, end: number, depth: number): number {
    const ip = this.ip6;
    if (ip.reset(b, o, end) !== Decode.Ok) return -1;
    const here = v6PairHash(b, o);
    if (ip.isFragment) return here;
    const proto = ip.protocol;
    if (proto === TCP) return here;
    const inner = this.transport(proto, b, ip.payloadOffset, ip.end, depth);
    return inner < 0 ? here : inner;
  }

  /** The inner key's hash when this L4 payload is a tunnel the decoder enters, else -1. */
  private transport(proto: number, b: Uint8Array, o: number, end: number, depth: number): number {
    if (proto === UDP) {
      if (depth >= MAX_TUNNEL_DEPTH || this.udp.reset(b, o, end) !== Decode.Ok) return -1;
      const sp = (b[o]! << 8) | b[o + 1]!;
      const dp = (b[o + 2]! << 8) | b[o + 3]!;
      if (dp === PORT_GTP || sp === PORT_GTP || dp === PORT_VXLAN || dp === PORT_GENEVE || dp === PORT_TEREDO || sp === PORT_TEREDO || dp === PORT_CAPWAP || sp === PORT_CAPWAP) {
        return this.udpTunnel(sp, dp, b, o + 8, this.udp.end, depth + 1);
      }
      return -1;
    }
    if (proto === IP_IN_IP4 || proto === IP_IN_IP6) {
      if (depth >= MAX_TUNNEL_DEPTH) return -1;
      return proto === IP_IN_IP4 ? this.ipv4(b, o, end, depth + 1) : this.ipv6(b, o, end, depth + 1);
    }
    if (proto === GRE) {
      const g = this.gre;
      if (g.reset(b, o, end) !== Decode.Ok || depth >= MAX_TUNNEL_DEPTH) return -1;
      const p = g.payloadOffset;
      const inner = depth + 1;
      switch (g.protocol) {
        case EtherType.Ppp:
          if (this.ppp.reset(b, p, end) !== Decode.Ok) return -1;
          return this.pppPayload(this.ppp.protocol, b, this.ppp.payloadOffset, end, inner);
        case EtherType.Teb:
          return this.ethernet(b, p, end, inner);
        case EtherType.Erspan2:
        case EtherType.Erspan3: {
          const n = erspanHeaderLength(b, p, end, g.protocol === EtherType.Erspan3, g.hasSequence);
          return n < 0 ? -1 : this.ethernet(b, p + n, end, inner);
        }
        default:
          return this.etherType(g.protocol, b, p, end, inner);
      }
    }
    return -1;
  }

  /** The UDP tunnels, tried in the decoder's order. `depth` counts this tunnel already. */
  private udpTunnel(sp: number, dp: number, b: Uint8Array, o: number, end: number, depth: number): number {
    if (dp === PORT_GTP || sp === PORT_GTP) {
      if (this.gtp.reset(b, o, end) !== Decode.Ok || this.gtp.messageType !== 0xff) return -1;
      const p = this.gtp.payloadOffset;
      if (p >= end) return -1;
      const v = b[p]! >> 4;
      return v === 4 ? this.ipv4(b, p, end, depth) : v === 6 ? this.ipv6(b, p, end, depth) : -1;
    }
    if (dp === PORT_VXLAN) {
      if (this.vxlan.reset(b, o, end) !== Decode.Ok) return -1;
      return this.ethernet(b, this.vxlan.payloadOffset, end, depth);
    }
    if (dp === PORT_GENEVE) {
      if (this.geneve.reset(b, o, end) !== Decode.Ok) return -1;
      const p = this.geneve.payloadOffset;
      return this.geneve.protocol === EtherType.Teb ? this.ethernet(b, p, end, depth) : this.etherType(this.geneve.protocol, b, p, end, depth);
    }
    if (dp === PORT_CAPWAP || sp === PORT_CAPWAP) {
      if (this.capwap.reset(b, o, end) !== Decode.Ok) return -1;
      const p = this.capwap.payloadOffset;
      if (!this.capwap.ieee80211) return this.ethernet(b, p, end, depth);
      if (this.wifi.reset(b, p, end) !== Decode.Ok) return -1;
      return this.etherType(this.wifi.etherType, b, this.wifi.payloadOffset, end, depth);
    }
    if (this.teredo.reset(b, o, end) !== Decode.Ok) return -1;
    return this.ipv6(b, this.teredo.payloadOffset, end, depth);
  }
}

function v4PairHash(b: Uint8Array, o: number): number {
  const a = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
  const c = ((b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!) >>> 0;
  return a < c ? pairHash(a, c) : pairHash(c, a);
}

function v6PairHash(b: Uint8Array, o: number): number {
  const a = fold16(b, o + 8);
  const c = fold16(b, o + 24);
  return a < c ? pairHash(a, c) : pairHash(c, a);
}

/** 16 address bytes to 32 bits (murmur3 rounds): equal addresses give equal words. */
function fold16(b: Uint8Array, o: number): number {
  let h = 0x2545f491;
  for (let i = 0; i < 16; i += 4) h = mix(h, (b[o + i]! << 24) | (b[o + i + 1]! << 16) | (b[o + i + 2]! << 8) | b[o + i + 3]!);
  return fmix(h);
}

/** Hash of an ordered pair (lower first): the order makes it symmetric. */
function pairHash(lo: number, hi: number): number {
  return fmix(mix(mix(0x9747b28c, lo), hi));
}

function mix(h: number, word: number): number {
  let x = Math.imul(word, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  h ^= Math.imul(x, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
