import { LinkType } from '../capture/frame.js';
import { ArpView } from './arp.js';
import { CapwapView } from './capwap.js';
import { DEFAULT_DEFRAG_LIMITS, type DefragLimits, Defragmenter } from './defrag.js';
import { EtherType, EthernetView } from './ethernet.js';
import { GeneveView } from './geneve.js';
import { erspanHeaderLength, GreView } from './gre.js';
import { GtpView } from './gtp.js';
import { IcmpView } from './icmp.js';
import { Ieee80211View } from './ieee80211.js';
import { Ipv4View } from './ipv4.js';
import { Ipv6View } from './ipv6.js';
import { LinkHeaderView } from './link.js';
import { MplsView } from './mpls.js';
import { PppoeView, PppProto, PppView } from './ppp.js';
import { Decode } from './result.js';
import { SctpView } from './sctp.js';
import { TcpView } from './tcp.js';
import { TeredoView } from './teredo.js';
import { UdpView } from './udp.js';
import { VlanView } from './vlan.js';
import { VxlanView } from './vxlan.js';
import { W, type WeirdCounters } from './weirds.js';

/** What `PacketDecoder.decode()` found. */
export const PacketKind = {
  /** An IP packet with a flow key (innermost IP header, L4 ports where the protocol has them). */
  Ip: 0,
  /** A frame with no IP in it (ARP, STP, LLDP …): counted, makes no flow. */
  NonIp: 1,
  /** A fragment held for reassembly: its datagram is delivered when complete. */
  Held: 2,
  /** Undecodable: a weird was counted. */
  Invalid: 3,
} as const;
export type PacketKind = (typeof PacketKind)[keyof typeof PacketKind];

/** Encapsulations a flow can be found in; the names are those of the flow record's `tunnel`. */
export const TUNNEL_NAMES = ['', 'GRE', 'IPIP', '6in4', '4in6', '6in6', 'GTP', 'VXLAN', 'Geneve', 'Teredo', 'CAPWAP'] as const;
export const Tunnel = { None: 0, Gre: 1, IpIp: 2, SixInFour: 3, FourInSix: 4, SixInSix: 5, Gtp: 6, Vxlan: 7, Geneve: 8, Teredo: 9, Capwap: 10 } as const;

/** IANA protocol numbers the decoder treats specially. */
export const IpProto = { Icmp: 1, Ipv4: 4, Tcp: 6, Udp: 17, Ipv6: 41, Gre: 47, Esp: 50, Ah: 51, Icmpv6: 58, Sctp: 132 } as const;

/** Nested encapsulations followed before the packet is reported as `tunnel_too_deep`. */
const MAX_TUNNEL_DEPTH = 4;
const MAX_VLAN_TAGS = 4;

export const UdpTunnelPort = { Gtp: 2152, Vxlan: 4789, Geneve: 6081, Teredo: 3544, CapwapData: 5247 } as const;

/**
 * One reusable decoder per engine (STYLE.md §3): it walks the layers of a frame with views
 * that are overwritten for every packet, follows tunnels to the innermost IP header, hands
 * fragments to the defragmenter, and leaves the flow key and per-packet facts in plain fields.
 * Nothing is allocated per packet; every field is valid until the next `decode()`.
 */
export class PacketDecoder {
  readonly eth = new EthernetView();
  readonly vlanTag = new VlanView();
  readonly mpls = new MplsView();
  readonly pppoe = new PppoeView();
  readonly ppp = new PppView();
  readonly arp = new ArpView();
  readonly link = new LinkHeaderView();
  readonly wifi = new Ieee80211View();
  readonly ip4 = new Ipv4View();
  readonly ip6 = new Ipv6View();
  readonly tcp = new TcpView();
  readonly udp = new UdpView();
  readonly icmp = new IcmpView();
  readonly sctp = new SctpView();
  readonly gre = new GreView();
  readonly gtp = new GtpView();
  readonly vxlan = new VxlanView();
  readonly geneve = new GeneveView();
  readonly teredo = new TeredoView();
  readonly capwap = new CapwapView();
  readonly defrag: Defragmenter;

  // ---- the flow key, from the innermost IP header -------------------------------------------
  /** Buffer holding the innermost IP header (the frame, or the defragmenter's output). */
  keyBuf: Uint8Array = new Uint8Array(0);
  /**
   * The frame last given to `decode` (for frame-level filters run on a decoded packet); the
   * buffer is the caller's and valid only while that packet is handled.
   */
  frameData: Uint8Array = new Uint8Array(0);
  frameOffset = 0;
  frameCaplen = 0;
  frameLinkType = 0;
  ipVersion = 0;
  srcOffset = 0;
  dstOffset = 0;
  /** L4 protocol number of the innermost IP packet. */
  l4Proto = 0;
  /** Ports for TCP, UDP and SCTP; 0 for the others (and for non-first fragments never whole). */
  srcPort = 0;
  dstPort = 0;
  /** Outermost VLAN id, -1 when untagged. */
  vlan = -1;
  /** Outermost encapsulation (a `Tunnel` value), 0 when none. */
  tunnel = 0;

  // ---- per-packet facts ----------------------------------------------------------------------
  ttl = 0;
  /** L4 payload bytes, as the headers count them (not limited by the capture length). */
  payloadLength = 0;
  /** Offset and end of the captured L4 payload in `keyBuf`. */
  payloadOffset = 0;
  payloadEnd = 0;
  /** TCP fields, valid when `l4Proto` is TCP and `tcpValid`. */
  tcpValid = false;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** Frames and wire bytes this packet stands for: >1 frames for a reassembled datagram. */
  frames = 1;
  wireBytes = 0;
  /** Timestamp of the first frame this packet stands for (earlier than the current for a reassembled datagram). */
  firstTsUs = 0;

  /** Decoding an incomplete datagram: short L4 headers are expected, not weird. */
  private partial = false;
  private depth = 0;
  private pendingTunnel = 0;
  private tsUs = 0;

  constructor(
    private readonly weirds: WeirdCounters,
    defragLimits: DefragLimits = DEFAULT_DEFRAG_LIMITS,
  ) {
    this.defrag = new Defragmenter(weirds, defragLimits);
  }

  /** Decodes one frame. Returns a `PacketKind`; weirds are counted, never thrown. */
  decode(b: Uint8Array, off: number, caplen: number, wireLen: number, linkType: number, tsUs: number): PacketKind {
    this.ipVersion = 0;
    this.vlan = -1;
    this.tunnel = 0;
    this.pendingTunnel = 0;
    this.depth = 0;
    this.frames = 1;
    this.wireBytes = wireLen;
    this.tsUs = tsUs;
    this.firstTsUs = tsUs;
    this.frameData = b;
    this.frameOffset = off;
    this.frameCaplen = caplen;
    this.frameLinkType = linkType;
    const end = off + caplen;
    switch (linkType) {
      case LinkType.Ethernet:
        return this.ethernet(b, off, end);
      case LinkType.Raw:
      case LinkType.RawOpenBsd:
      case LinkType.RawIp:
        return this.rawIp(b, off, end);
      case LinkType.Ipv4:
        return this.ipv4(b, off, end);
      case LinkType.Ipv6:
        return this.ipv6(b, off, end);
      case LinkType.LinuxSll:
        if (this.link.sll(b, off, end) !== Decode.Ok) return this.weird(W.truncated_link_header);
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end);
      case LinkType.LinuxSll2:
        if (this.link.sll2(b, off, end) !== Decode.Ok) return this.weird(W.truncated_link_header);
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end);
      case LinkType.Null:
      case LinkType.Loop:
        if (this.link.nullLoop(b, off, end, linkType === LinkType.Loop) !== Decode.Ok) return this.weird(W.truncated_link_header);
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end);
      case LinkType.Ppp:
      case LinkType.PppHdlc:
        return this.pppFrame(b, off, end);
      case LinkType.CiscoHdlc:
        if (this.link.ciscoHdlc(b, off, end) !== Decode.Ok) return this.weird(W.truncated_link_header);
        return this.etherType(this.link.etherType, b, this.link.payloadOffset, end);
      case LinkType.Ieee80211:
        return this.wifiFrame(this.wifi.reset(b, off, end), b, end);
      case LinkType.Radiotap:
        return this.wifiFrame(this.wifi.radiotap(b, off, end), b, end);
      default:
        this.weirds.hit(W.unknown_link_type);
        return PacketKind.NonIp;
    }
  }

  /**
   * Decodes what is left of a datagram that never completed, after `defrag.expire()` or
   * `defrag.flush()` wrote it to `defrag.out`: its frames still count in a flow (with ports
   * when the first fragment was there, 0 otherwise). L4 truncation is expected here and not
   * counted as a weird.
   */
  decodeIncomplete(): PacketKind {
    const df = this.defrag;
    const ctx = df.outContext;
    this.ipVersion = 0;
    this.vlan = (ctx & 0xffff) - 1;
    this.pendingTunnel = ctx >>> 16;
    this.tunnel = 0;
    this.depth = this.pendingTunnel === 0 ? 0 : 1;
    this.frames = df.outFrames;
    this.wireBytes = df.outWireBytes;
    this.firstTsUs = df.outFirstTs;
    this.tsUs = df.outLastTs;
    this.partial = true;
    const k = df.outVersion === 4 ? this.ipv4(df.out, 0, df.outLength) : this.ipv6(df.out, 0, df.outLength);
    this.partial = false;
    return k;
  }

  private context(): number {
    return ((this.vlan + 1) & 0xffff) | (this.pendingTunnel << 16);
  }

  private weird(slot: number): PacketKind {
    this.weirds.hit(slot);
    return PacketKind.Invalid;
  }

  private ethernet(b: Uint8Array, off: number, end: number): PacketKind {
    const r = this.eth.reset(b, off, end);
    if (r !== Decode.Ok) return this.weird(this.eth.isLlc ? W.truncated_llc : W.truncated_link_header);
    return this.etherType(this.eth.etherType, b, this.eth.payloadOffset, end);
  }

  private rawIp(b: Uint8Array, off: number, end: number): PacketKind {
    if (off >= end) return this.weird(W.truncated_ip);
    const v = b[off]! >> 4;
    if (v === 4) return this.ipv4(b, off, end);
    if (v === 6) return this.ipv6(b, off, end);
    return this.weird(W.bad_ip_version);
  }

  private wifiFrame(r: Decode, b: Uint8Array, end: number): PacketKind {
    if (r === Decode.Truncated) return this.weird(W.truncated_link_header);
    if (r !== Decode.Ok) return PacketKind.NonIp;
    return this.etherType(this.wifi.etherType, b, this.wifi.payloadOffset, end);
  }

  private pppFrame(b: Uint8Array, off: number, end: number): PacketKind {
    // Cisco HDLC framing is common in LINKTYPE_PPP captures from routers (address 0x0F/0x8F).
    if (end - off >= 4 && (b[off] === 0x0f || b[off] === 0x8f) && b[off + 1] === 0x00) {
      this.link.ciscoHdlc(b, off, end);
      return this.etherType(this.link.etherType, b, this.link.payloadOffset, end);
    }
    if (this.ppp.reset(b, off, end) !== Decode.Ok) return this.weird(W.truncated_link_header);
    return this.pppPayload(this.ppp.protocol, b, this.ppp.payloadOffset, end);
  }

  private pppPayload(proto: number, b: Uint8Array, o: number, end: number): PacketKind {
    if (proto === PppProto.Ipv4) return this.ipv4(b, o, end);
    if (proto === PppProto.Ipv6) return this.ipv6(b, o, end);
    if (proto === PppProto.Mpls) return this.etherType(EtherType.Mpls, b, o, end);
    return PacketKind.NonIp;
  }

  /** Follows VLAN tags, MPLS and PPPoE down to IP; everything else is non-IP. */
  private etherType(type: number, b: Uint8Array, o: number, end: number): PacketKind {
    for (let tags = 0; ; tags++) {
      if (type === EtherType.Ipv4) return this.ipv4(b, o, end);
      if (type === EtherType.Ipv6) return this.ipv6(b, o, end);
      if (type === EtherType.Vlan || type === EtherType.QinQ || type === EtherType.QinQOld || type === EtherType.QinQOld2) {
        if (tags === MAX_VLAN_TAGS) return this.weird(W.vlan_stack_too_deep);
        if (this.vlanTag.reset(b, o, end) !== Decode.Ok) return this.weird(W.truncated_vlan);
        if (this.vlan < 0) this.vlan = this.vlanTag.vlanId;
        type = this.vlanTag.etherType;
        o += 4;
        continue;
      }
      if (type === EtherType.Mpls || type === EtherType.MplsMulticast) {
        const r = this.mpls.reset(b, o, end);
        if (r !== Decode.Ok) return this.weird(r === Decode.Truncated ? W.truncated_mpls : W.mpls_stack_too_deep);
        const k = this.mpls.payloadKind;
        if (k === 4) return this.ipv4(b, this.mpls.payloadOffset, end);
        if (k === 6) return this.ipv6(b, this.mpls.payloadOffset, end);
        if (k === 0x6558) return this.ethernet(b, this.mpls.payloadOffset, end);
        return PacketKind.NonIp;
      }
      if (type === EtherType.PppoeSession) {
        if (this.pppoe.reset(b, o, end) !== Decode.Ok) return this.weird(W.truncated_pppoe);
        return this.pppPayload(this.pppoe.pppProtocol, b, this.pppoe.payloadOffset, end);
      }
      if (type === EtherType.Arp) {
        if (this.arp.reset(b, o, end) !== Decode.Ok) this.weirds.hit(W.truncated_arp);
        return PacketKind.NonIp;
      }
      return PacketKind.NonIp;
    }
  }

  private commitIp(version: number, b: Uint8Array, src: number, dst: number, ttl: number): void {
    this.keyBuf = b;
    this.ipVersion = version;
    this.srcOffset = src;
    this.dstOffset = dst;
    this.ttl = ttl;
    this.tunnel = this.pendingTunnel;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpValid = false;
  }

  private ipv4(b: Uint8Array, o: number, end: number): PacketKind {
    const ip = this.ip4;
    const r = ip.reset(b, o, end);
    if (r !== Decode.Ok) {
      if (r === Decode.Truncated) return this.weird(W.truncated_ip);
      // Malformed: the version, the header length, or a total length below the header's.
      return this.weird(b[o]! >> 4 !== 4 ? W.bad_ip_version : ip.headerLength < 20 ? W.bad_ip_header_len : W.bad_ip_total_len);
    }
    const ipEnd = ip.end;
    if (ip.isFragment) {
      const done = this.defrag.add(4, b, o, ip.payloadOffset, ip.payloadOffset, ipEnd, ip.fragmentOffset, ip.moreFragments, ip.id, ip.protocol, -1, this.tsUs, this.wireBytes, this.context());
      if (!done) return PacketKind.Held;
      this.frames = this.defrag.outFrames;
      this.wireBytes = this.defrag.outWireBytes;
      this.firstTsUs = this.defrag.outFirstTs;
      return this.ipv4(this.defrag.out, 0, this.defrag.outLength);
    }
    this.commitIp(4, b, ip.srcOffset, ip.dstOffset, ip.ttl);
    return this.transport(ip.protocol, b, ip.payloadOffset, ipEnd, ip.totalLength - ip.headerLength);
  }

  private ipv6(b: Uint8Array, o: number, end: number): PacketKind {
    const ip = this.ip6;
    const r = ip.reset(b, o, end);
    if (r !== Decode.Ok) return this.weird(r === Decode.Truncated ? W.truncated_ipv6 : W.bad_ip_version);
    if (ip.extStatus !== Decode.Ok) this.weirds.hit(ip.extStatus === Decode.Truncated ? W.truncated_ipv6_ext_header : W.bad_ipv6_ext_header);
    const ipEnd = ip.end;
    if (ip.isFragment) {
      const fh = ip.fragmentHeaderOffset;
      const done = this.defrag.add(6, b, o, fh, fh + 8, ipEnd, ip.fragmentOffset, ip.moreFragments, ip.fragmentId, b[fh]!, ip.fragmentPrevNextOffset, this.tsUs, this.wireBytes, this.context());
      if (!done) return PacketKind.Held;
      this.frames = this.defrag.outFrames;
      this.wireBytes = this.defrag.outWireBytes;
      this.firstTsUs = this.defrag.outFirstTs;
      return this.ipv6(this.defrag.out, 0, this.defrag.outLength);
    }
    this.commitIp(6, b, ip.srcOffset, ip.dstOffset, ip.hopLimit);
    const claimedEnd = o + 40 + ip.payloadLength;
    const l4Len = ip.payloadLength === 0 ? ipEnd - ip.payloadOffset : claimedEnd - ip.payloadOffset;
    return this.transport(ip.protocol, b, ip.payloadOffset, ipEnd, l4Len > 0 ? l4Len : 0);
  }

  /**
   * Upper layer of a committed IP packet. `l4Len` is the L4 length the IP header claims,
   * `end` the end of what was captured of it.
   */
  private transport(proto: number, b: Uint8Array, o: number, end: number, l4Len: number): PacketKind {
    this.l4Proto = proto;
    this.payloadOffset = o;
    this.payloadEnd = end;
    this.payloadLength = l4Len;
    switch (proto) {
      case IpProto.Tcp: {
        const t = this.tcp;
        const r = t.reset(b, o, end);
        if (r !== Decode.Ok) {
          if (!this.partial) this.weirds.hit(r === Decode.Truncated ? W.truncated_tcp : W.bad_tcp_header_len);
          // Ports are still worth a flow when at least they were captured.
          if (end - o >= 4) this.setPorts(b, o);
          return PacketKind.Ip;
        }
        this.srcPort = t.srcPort;
        this.dstPort = t.dstPort;
        this.tcpValid = true;
        this.tcpFlags = t.flags;
        this.tcpSeq = t.seq;
        this.tcpAck = t.ack;
        this.tcpWindow = t.window;
        const hl = t.headerLength;
        this.payloadOffset = o + hl;
        this.payloadLength = l4Len > hl ? l4Len - hl : 0;
        return PacketKind.Ip;
      }
      case IpProto.Udp: {
        const u = this.udp;
        const r = u.reset(b, o, end);
        if (r !== Decode.Ok) {
          if (!this.partial) this.weirds.hit(r === Decode.Truncated ? W.truncated_udp : W.bad_udp_length);
          if (end - o >= 4) this.setPorts(b, o);
          return PacketKind.Ip;
        }
        const sp = u.srcPort;
        const dp = u.dstPort;
        this.srcPort = sp;
        this.dstPort = dp;
        const ulen = u.length;
        if (ulen !== 0 && ulen > l4Len && !this.partial) this.weirds.hit(W.bad_udp_length);
        this.payloadOffset = o + 8;
        this.payloadEnd = u.end;
        this.payloadLength = (ulen !== 0 && ulen <= l4Len ? ulen : l4Len) - 8;
        if (this.payloadLength < 0) this.payloadLength = 0;
        if (this.depth < MAX_TUNNEL_DEPTH && (dp === UdpTunnelPort.Gtp || sp === UdpTunnelPort.Gtp || dp === UdpTunnelPort.Vxlan || dp === UdpTunnelPort.Geneve || dp === UdpTunnelPort.Teredo || sp === UdpTunnelPort.Teredo || dp === UdpTunnelPort.CapwapData || sp === UdpTunnelPort.CapwapData)) {
          return this.udpTunnel(sp, dp, b, o + 8, u.end);
        }
        return PacketKind.Ip;
      }
      case IpProto.Sctp:
        if (this.sctp.reset(b, o, end) !== Decode.Ok) {
          if (!this.partial) this.weirds.hit(W.truncated_sctp);
          if (end - o >= 4) this.setPorts(b, o);
          return PacketKind.Ip;
        }
        this.srcPort = this.sctp.srcPort;
        this.dstPort = this.sctp.dstPort;
        this.payloadOffset = o + 12;
        this.payloadLength = l4Len > 12 ? l4Len - 12 : 0;
        return PacketKind.Ip;
      case IpProto.Icmp:
      case IpProto.Icmpv6:
        if (this.icmp.reset(b, o, end) !== Decode.Ok && !this.partial) this.weirds.hit(W.truncated_icmp);
        return PacketKind.Ip;
      case IpProto.Ipv4:
      case IpProto.Ipv6:
        return this.ipInIp(proto, b, o, end);
      case IpProto.Gre:
        return this.greTunnel(b, o, end);
      default:
        return PacketKind.Ip;
    }
  }

  private setPorts(b: Uint8Array, o: number): void {
    this.srcPort = (b[o]! << 8) | b[o + 1]!;
    this.dstPort = (b[o + 2]! << 8) | b[o + 3]!;
  }

  /**
   * Tries the inner packet of a tunnel. When the inner bytes do not decode to IP, the packet
   * stays what the outer headers made it (the tunnel endpoints' flow), which is why this
   * returns `Ip` on every failure: the outer key is still committed.
   */
  private enter(tunnel: number): boolean {
    if (this.depth >= MAX_TUNNEL_DEPTH) {
      this.weirds.hit(W.tunnel_too_deep);
      return false;
    }
    this.depth++;
    if (this.pendingTunnel === 0) this.pendingTunnel = tunnel;
    return true;
  }

  private inner(kind: PacketKind): PacketKind {
    // NonIp / Invalid inside a tunnel: keep the outer flow (its key is still committed).
    return kind === PacketKind.Held ? kind : PacketKind.Ip;
  }

  private ipInIp(proto: number, b: Uint8Array, o: number, end: number): PacketKind {
    const outer = this.ipVersion;
    const t = proto === IpProto.Ipv4 ? (outer === 4 ? Tunnel.IpIp : Tunnel.FourInSix) : outer === 4 ? Tunnel.SixInFour : Tunnel.SixInSix;
    if (!this.enter(t)) return PacketKind.Ip;
    return this.inner(proto === IpProto.Ipv4 ? this.ipv4(b, o, end) : this.ipv6(b, o, end));
  }

  private greTunnel(b: Uint8Array, o: number, end: number): PacketKind {
    const g = this.gre;
    const r = g.reset(b, o, end);
    if (r !== Decode.Ok) {
      this.weirds.hit(r === Decode.Truncated ? W.truncated_gre : r === Decode.Unsupported && g.version === 0 ? W.gre_source_routing : W.unknown_gre_version);
      return PacketKind.Ip;
    }
    if (!this.enter(Tunnel.Gre)) return PacketKind.Ip;
    const p = g.payloadOffset;
    switch (g.protocol) {
      case EtherType.Ppp:
        if (this.ppp.reset(b, p, end) !== Decode.Ok) return PacketKind.Ip;
        return this.inner(this.pppPayload(this.ppp.protocol, b, this.ppp.payloadOffset, end));
      case EtherType.Teb:
        return this.inner(this.ethernet(b, p, end));
      case EtherType.Erspan2:
      case EtherType.Erspan3: {
        const n = erspanHeaderLength(b, p, end, g.protocol === EtherType.Erspan3, g.hasSequence);
        if (n < 0) {
          this.weirds.hit(W.truncated_tunnel);
          return PacketKind.Ip;
        }
        return this.inner(this.ethernet(b, p + n, end));
      }
      default:
        return this.inner(this.etherType(g.protocol, b, p, end));
    }
  }

  private udpTunnel(sp: number, dp: number, b: Uint8Array, o: number, end: number): PacketKind {
    if (dp === UdpTunnelPort.Gtp || sp === UdpTunnelPort.Gtp) {
      if (this.gtp.reset(b, o, end) !== Decode.Ok || this.gtp.messageType !== 0xff) return PacketKind.Ip;
      const p = this.gtp.payloadOffset;
      if (p >= end) return PacketKind.Ip;
      const v = b[p]! >> 4;
      if (v !== 4 && v !== 6) return PacketKind.Ip;
      if (!this.enter(Tunnel.Gtp)) return PacketKind.Ip;
      return this.inner(v === 4 ? this.ipv4(b, p, end) : this.ipv6(b, p, end));
    }
    if (dp === UdpTunnelPort.Vxlan) {
      if (this.vxlan.reset(b, o, end) !== Decode.Ok || !this.enter(Tunnel.Vxlan)) return PacketKind.Ip;
      return this.inner(this.ethernet(b, this.vxlan.payloadOffset, end));
    }
    if (dp === UdpTunnelPort.Geneve) {
      if (this.geneve.reset(b, o, end) !== Decode.Ok || !this.enter(Tunnel.Geneve)) return PacketKind.Ip;
      const p = this.geneve.payloadOffset;
      return this.inner(this.geneve.protocol === EtherType.Teb ? this.ethernet(b, p, end) : this.etherType(this.geneve.protocol, b, p, end));
    }
    if (dp === UdpTunnelPort.CapwapData || sp === UdpTunnelPort.CapwapData) {
      if (this.capwap.reset(b, o, end) !== Decode.Ok || !this.enter(Tunnel.Capwap)) return PacketKind.Ip;
      const p = this.capwap.payloadOffset;
      if (!this.capwap.ieee80211) return this.inner(this.ethernet(b, p, end));
      if (this.wifi.reset(b, p, end) !== Decode.Ok) return PacketKind.Ip;
      return this.inner(this.etherType(this.wifi.etherType, b, this.wifi.payloadOffset, end));
    }
    // Teredo
    if (this.teredo.reset(b, o, end) !== Decode.Ok || !this.enter(Tunnel.Teredo)) return PacketKind.Ip;
    return this.inner(this.ipv6(b, this.teredo.payloadOffset, end));
  }
}
