/**
 * What a parsed filter means for one link type: the syntax tree becomes a tree of byte loads,
 * 32-bit arithmetic and comparisons at fixed offsets, following libpcap's code generator
 * (gencode.c) test for test, in the same order. The order matters: a load past the captured
 * bytes makes BPF reject the packet outright, so which loads run, and when, is part of the
 * meaning. Three libpcap habits are kept on purpose:
 * - primitives read the OUTERMOST headers after the link layer (no tunnel is followed);
 * - `vlan`, `mpls` and `pppoes` move the offsets of every primitive written after them in the
 *   expression, whatever the parentheses (`vlan or ip` tests `ip` inside the tag);
 * - protocol tests guarding `proto[…]` run before any load of the comparison.
 */
import { LinkType } from '../capture/frame.js';
import type { Arith, DirQ, FilterNode, Qual } from './parser.js';
import { parseIpv6, Tok } from './lexer.js';
import { ETHER_PROTOCOLS, IP_PROTOCOLS, SERVICES } from './names.js';

// ---- the lowered form -------------------------------------------------------------------

/** A 32-bit unsigned value. */
export type Val =
  | { readonly t: 'k'; readonly v: number }
  /** `size` bytes, big-endian, at frame offset `k + x` (`x` a 32-bit value, or none). */
  | { readonly t: 'ld'; readonly size: 1 | 2 | 4; readonly k: number; readonly x: Val | null }
  /** BPF's `4*([k]&0xf)`: the IPv4 header length. */
  | { readonly t: 'msh'; readonly k: number }
  /** The frame's length on the wire. */
  | { readonly t: 'len' }
  | { readonly t: 'alu'; readonly op: AluOp; readonly a: Val; readonly b: Val }
  | { readonly t: 'neg'; readonly a: Val };

export type AluOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

/** A test. `set` is BPF's `jset`: `(a & b) != 0`. Comparisons are unsigned. */
export type Bool =
  | { readonly t: 'const'; readonly v: boolean }
  | { readonly t: 'and' | 'or'; readonly a: Bool; readonly b: Bool }
  | { readonly t: 'not'; readonly a: Bool }
  | { readonly t: 'cmp'; readonly op: 'eq' | 'gt' | 'ge' | 'set'; readonly a: Val; readonly b: Val };

/** Thrown when an expression cannot apply (to this link type, or at all); `pos` is in the expression. */
export class LowerError extends Error {
  constructor(
    readonly pos: number,
    reason: string,
  ) {
    super(reason);
  }
}

// ---- constants --------------------------------------------------------------------------

const ETH_IP = 0x0800;
const ETH_ARP = 0x0806;
const ETH_REVARP = 0x8035;
const ETH_IPV6 = 0x86dd;
const ETH_MPLS = 0x8847;
const ETH_PPPOED = 0x8863;
const ETH_PPPOES = 0x8864;
const ETH_ATALK = 0x809b;
const ETH_AARP = 0x80f3;
const ETH_IPX = 0x8137;
const ETHERMTU = 1500;
const LLCSAP_IP = 0x06;
const LLCSAP_ISONS = 0xfe;
const LLCSAP_NETBEUI = 0xf0;
const LLCSAP_IPX = 0xe0;
const LLCSAP_8021D = 0x42;
const SLL_P_802_3 = 0x0001;
const SLL_P_802_2 = 0x0004;
const PPP_MPLS_UCAST = 0x0281;
/**
 * Address-family values of DLT_NULL/LOOP headers. For a capture file libpcap takes IPv6 to be
 * any of the BSDs' AF_INET6 values (24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin), the systems
 * that write such files.
 */
const AF_INET = 2;
const AF_INET6_BSD = [24, 28, 30] as const;
const IPPROTO_FRAGMENT = 44;

const PROTO_NUMBER: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132 };

const ETHERTYPE_TO_PPP: ReadonlyMap<number, number> = new Map([
  [ETH_IP, 0x0021], [ETH_IPV6, 0x0057], [0x6003, 0x0027], [ETH_ATALK, 0x0029], [0x0600, 0x0025],
  [LLCSAP_ISONS, 0x0023], [LLCSAP_8021D, 0x0031], [LLCSAP_IPX, 0x002b],
]);

/** Link types whose headers Sonda's filter knows (others never match). */
export function filterSupportsLinkType(linkType: number): boolean {
  return initialState(linkType) !== null;
}

// ---- building blocks --------------------------------------------------------------------

const TRUE: Bool = { t: 'const', v: true };
const FALSE: Bool = { t: 'const', v: false };
const k = (v: number): Val => ({ t: 'k', v: v >>> 0 });
const ld = (size: 1 | 2 | 4, off: number, x: Val | null = null): Val => ({ t: 'ld', size, k: off, x });
const and = (a: Bool, b: Bool): Bool => ({ t: 'and', a, b });
const or = (a: Bool, b: Bool): Bool => ({ t: 'or', a, b });
const not = (a: Bool): Bool => ({ t: 'not', a });
const cmp = (op: 'eq' | 'gt' | 'ge' | 'set', a: Val, b: Val): Bool => ({ t: 'cmp', op, a, b });
const eqk = (a: Val, v: number): Bool => cmp('eq', a, k(v));
/** libpcap's gen_mcmp: `(load & mask) == v`, the AND left out for an all-ones mask. */
const mcmp = (a: Val, v: number, mask: number): Bool => ((mask >>> 0) === 0xffffffff ? eqk(a, v) : eqk({ t: 'alu', op: '&', a, b: k(mask) }, v));

/** Where headers are, as libpcap's compiler state tracks them while it reads the expression. */
interface State {
  /** The link type the tests are for (becomes PPP after `pppoes`). */
  dlt: number;
  offLinkHdr: number;
  /** Offset of the EtherType-like field, -1 when the link has none (raw IP). */
  offLinkType: number;
  offLinkPl: number;
  /** Bytes past `offLinkPl` where the network header starts (grows with `mpls`). */
  offNl: number;
  labelDepth: number;
}

function initialState(linkType: number): State | null {
  const s = (offLinkType: number, offLinkPl: number): State => ({ dlt: linkType, offLinkHdr: 0, offLinkType, offLinkPl, offNl: 0, labelDepth: 0 });
  switch (linkType) {
    case LinkType.Ethernet:
      return s(12, 14);
    case LinkType.LinuxSll:
      return s(14, 16);
    case LinkType.LinuxSll2:
      return s(0, 20);
    case LinkType.Raw:
    case LinkType.RawOpenBsd:
    case LinkType.RawIp:
    case LinkType.Ipv4:
    case LinkType.Ipv6:
      return s(-1, 0);
    case LinkType.Null:
    case LinkType.Loop:
      return s(0, 4);
    case LinkType.Ppp:
    case LinkType.PppHdlc:
    case LinkType.CiscoHdlc:
      return s(2, 4);
    default:
      return null;
  }
}

function isRaw(dlt: number): boolean {
  return dlt === LinkType.Raw || dlt === LinkType.RawOpenBsd || dlt === LinkType.RawIp;
}

function isPpp(dlt: number): boolean {
  return dlt === LinkType.Ppp || dlt === LinkType.PppHdlc;
}

// ---- the lowering -----------------------------------------------------------------------

/**
 * Lowers a parsed filter for frames of `linkType`. Throws `LowerError` when libpcap would
 * refuse the expression (for this link type or any).
 */
export function lowerFilter(node: FilterNode, linkType: number): Bool {
  const st = initialState(linkType);
  if (st === null) throw new LowerError(0, `link type ${linkType} is not supported by the filter`);
  return new Lowering(st).node(node);
}

interface Loaded {
  val: Val;
  /** Protocol tests that must pass before the value's loads run (libpcap's `inst->b`). */
  check: Bool | null;
}

class Lowering {
  constructor(private readonly st: State) {}

  node(n: FilterNode): Bool {
    switch (n.k) {
      case 'true':
        return TRUE;
      case 'and':
      case 'or': {
        // Left first: the offsets `vlan`/`mpls` move are read in expression order.
        const a = this.node(n.a);
        const b = this.node(n.b);
        return n.k === 'and' ? and(a, b) : or(a, b);
      }
      case 'not':
        return not(this.node(n.a));
      case 'id':
        return this.id(n);
      case 'abbrev':
        return this.abbrev(n.proto, n.pos);
      case 'rel':
        return this.relation(n.op, n.a, n.b);
      case 'broadcast':
        return this.broadcast(n.proto, n.pos);
      case 'multicast':
        return this.multicast(n.proto, n.pos);
      case 'greater':
        return cmp('ge', { t: 'len' }, k(n.n));
      case 'less':
        return not(cmp('gt', { t: 'len' }, k(n.n)));
      case 'vlan':
        return this.vlan(n.num, n.pos);
      case 'mpls':
        return this.mpls(n.num, n.pos);
      case 'pppoes':
        return this.pppoes(n.num, n.pos);
      case 'pppoed':
        return this.linktype(ETH_PPPOED, n.pos);
    }
  }

  // ---- offsets (libpcap's OR_* offset bases) ----

  /** Start of the network-layer header. */
  private get nl(): number {
    return this.st.offLinkPl + this.st.offNl;
  }

  /** A field of the transport header after an IPv4 header of variable length. */
  private tran4(size: 1 | 2 | 4, off: number, index: Val | null = null): Val {
    const hl: Val = { t: 'msh', k: this.nl };
    return ld(size, this.nl + off, index === null ? hl : { t: 'alu', op: '+', a: index, b: hl });
  }

  // ---- link-layer type tests (gen_linktype) ----

  private linktype(proto: number, pos: number): Bool {
    const st = this.st;
    if (st.labelDepth > 0) return this.mplsLinktype(proto, pos);
    const lt = st.offLinkType;
    switch (st.dlt) {
      case LinkType.Ethernet:
        return this.etherLinktype(proto);
      case LinkType.LinuxSll:
      case LinkType.LinuxSll2:
        return this.sllLinktype(proto);
      case LinkType.Ipv4:
        return proto === ETH_IP ? TRUE : FALSE;
      case LinkType.Ipv6:
        return proto === ETH_IPV6 ? TRUE : FALSE;
      case LinkType.Null:
      case LinkType.Loop: {
        const afs = proto === ETH_IP ? [AF_INET] : proto === ETH_IPV6 ? AF_INET6_BSD : [];
        let b: Bool = FALSE;
        for (const af of afs) {
          const w = ld(4, st.offLinkHdr);
          // DLT_LOOP is network order; DLT_NULL is the writer's order, which libpcap knows from
          // the file header and a frame does not tell: either order is taken.
          const t = st.dlt === LinkType.Loop ? eqk(w, af) : or(eqk(w, (af << 24) >>> 0), eqk(w, af));
          b = b === FALSE ? t : or(b, t);
        }
        return b;
      }
      case LinkType.Ppp:
      case LinkType.PppHdlc:
        return eqk(ld(2, lt), ETHERTYPE_TO_PPP.get(proto) ?? proto);
      case LinkType.CiscoHdlc:
        return eqk(ld(2, lt), proto);
      default:
        if (isRaw(st.dlt)) {
          if (proto === ETH_IP) return mcmp(ld(1, st.offLinkHdr), 0x40, 0xf0);
          if (proto === ETH_IPV6) return mcmp(ld(1, st.offLinkHdr), 0x60, 0xf0);
          return FALSE;
        }
        throw new LowerError(pos, `link type ${st.dlt} is not supported by the filter`);
    }
  }

  /** 802.3 frame: the type/length field holds a length. */
  private isLengthField(): Bool {
    return not(cmp('gt', ld(2, this.st.offLinkType), k(ETHERMTU)));
  }

  private etherLinktype(proto: number): Bool {
    const lt = this.st.offLinkType;
    const llc = this.st.offLinkPl;
    switch (proto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        return and(this.isLengthField(), eqk(ld(2, llc), (proto << 8) | proto));
      case LLCSAP_IPX: {
        // Ethernet II, then 802.3 frames: 802.2 with the IPX SAP, "raw" 802.3 (0xFFFF), SNAP.
        let b1 = or(eqk(ld(1, llc), LLCSAP_IPX), eqk(ld(2, llc), 0xffff));
        b1 = or(this.snap(0x000000, ETH_IPX), b1);
        b1 = and(this.isLengthField(), b1);
        return or(eqk(ld(2, lt), ETH_IPX), b1);
      }
      case ETH_ATALK:
      case ETH_AARP: {
        const snap = proto === ETH_ATALK ? this.snap(0x080007, ETH_ATALK) : this.snap(0x000000, ETH_AARP);
        return or(eqk(ld(2, lt), proto), and(this.isLengthField(), snap));
      }
      default:
        if (proto <= ETHERMTU) return and(this.isLengthField(), eqk(ld(1, lt + 2), proto));
        return eqk(ld(2, lt), proto);
    }
  }

  private sllLinktype(proto: number): Bool {
    const lt = this.st.offLinkType;
    const llc = this.st.offLinkPl;
    const is8022 = (): Bool => eqk(ld(2, lt), SLL_P_802_2);
    switch (proto) {
      case LLCSAP_ISONS:
      case LLCSAP_IP:
      case LLCSAP_NETBEUI:
        return and(is8022(), eqk(ld(2, this.nl), (proto << 8) | proto));
      case LLCSAP_IPX: {
        let b1 = or(eqk(ld(1, llc), LLCSAP_IPX), this.snap(0x000000, ETH_IPX));
        b1 = and(is8022(), b1);
        b1 = or(eqk(ld(2, lt), SLL_P_802_3), b1);
        return or(eqk(ld(2, lt), ETH_IPX), b1);
      }
      case ETH_ATALK:
      case ETH_AARP: {
        const snap = proto === ETH_ATALK ? this.snap(0x080007, ETH_ATALK) : this.snap(0x000000, ETH_AARP);
        return or(eqk(ld(2, lt), proto), and(is8022(), snap));
      }
      default:
        if (proto <= ETHERMTU) return and(is8022(), eqk(ld(1, this.st.offLinkHdr + this.st.offLinkPl), proto));
        return eqk(ld(2, lt), proto);
    }
  }

  /** An 802.2 SNAP header (AA AA 03, OUI, type) at the LLC offset. */
  private snap(oui: number, type: number): Bool {
    const bytes = [0xaa, 0xaa, 0x03, (oui >> 16) & 0xff, (oui >> 8) & 0xff, oui & 0xff, (type >> 8) & 0xff, type & 0xff];
    return this.bytesEqual(this.st.offLinkPl, bytes);
  }

  /** libpcap's gen_bcmp: compares bytes from the end, a word at a time. */
  private bytesEqual(off: number, bytes: number[]): Bool {
    let b: Bool | null = null;
    let size = bytes.length;
    const add = (t: Bool): void => {
      b = b === null ? t : and(b, t);
    };
    while (size >= 4) {
      const p = size - 4;
      add(eqk(ld(4, off + p), ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0));
      size -= 4;
    }
    while (size >= 2) {
      const p = size - 2;
      add(eqk(ld(2, off + p), (bytes[p]! << 8) | bytes[p + 1]!));
      size -= 2;
    }
    if (size > 0) add(eqk(ld(1, off), bytes[0]!));
    return b ?? TRUE;
  }

  private mplsLinktype(proto: number, pos: number): Bool {
    const nl = this.nl;
    // The previous label must be the bottom of the stack, and the IP version must match.
    if (proto === ETH_IP || proto === 0x0021) return and(mcmp(ld(1, nl - 2), 0x01, 0x01), mcmp(ld(1, nl), 0x40, 0xf0));
    if (proto === ETH_IPV6 || proto === 0x0057) return and(mcmp(ld(1, nl - 2), 0x01, 0x01), mcmp(ld(1, nl), 0x60, 0xf0));
    throw new LowerError(pos, 'unsupported protocol over mpls');
  }

  // ---- protocols ----

  /** A protocol keyword alone (gen_proto_abbrev). */
  private abbrev(proto: string, pos: number): Bool {
    switch (proto) {
      case 'sctp':
      case 'tcp':
      case 'udp':
        return this.proto(PROTO_NUMBER[proto]!, 'default', 'default', pos);
      case 'gre':
        return this.proto(47, 'default', 'default', pos);
      case 'icmp':
        return this.proto(1, 'ip', 'default', pos);
      case 'igmp':
        return this.proto(2, 'ip', 'default', pos);
      case 'igrp':
        return this.proto(9, 'ip', 'default', pos);
      case 'pim':
        return this.proto(103, 'default', 'default', pos);
      case 'vrrp':
      case 'carp':
        return this.proto(112, 'ip', 'default', pos);
      case 'ip':
        return this.linktype(ETH_IP, pos);
      case 'arp':
        return this.linktype(ETH_ARP, pos);
      case 'rarp':
        return this.linktype(ETH_REVARP, pos);
      case 'atalk':
        return this.linktype(ETH_ATALK, pos);
      case 'aarp':
        return this.linktype(ETH_AARP, pos);
      case 'decnet':
        return this.linktype(0x6003, pos);
      case 'sca':
        return this.linktype(0x6007, pos);
      case 'lat':
        return this.linktype(0x6004, pos);
      case 'mopdl':
        return this.linktype(0x6001, pos);
      case 'moprc':
        return this.linktype(0x6002, pos);
      case 'ip6':
        return this.linktype(ETH_IPV6, pos);
      case 'icmp6':
        return this.proto(58, 'ip6', 'default', pos);
      case 'ah':
        return this.proto(51, 'default', 'default', pos);
      case 'esp':
        return this.proto(50, 'default', 'default', pos);
      case 'iso':
        return this.linktype(LLCSAP_ISONS, pos);
      case 'stp':
        return this.linktype(LLCSAP_8021D, pos);
      case 'ipx':
        return this.linktype(LLCSAP_IPX, pos);
      case 'netbeui':
        return this.linktype(LLCSAP_NETBEUI, pos);
      case 'link':
        throw new LowerError(pos, 'link layer applied in wrong context');
      default:
        throw new LowerError(pos, `'${proto}' is not supported by Sonda's filter`);
    }
  }

  /** `[ip|ip6|ether] proto N` (gen_proto). */
  private proto(v: number, proto: string, dir: DirQ, pos: number): Bool {
    if (dir !== 'default') throw new LowerError(pos, "direction applied to 'proto'");
    const nl = this.nl;
    switch (proto) {
      case 'default':
        return or(this.proto(v, 'ip', dir, pos), this.proto(v, 'ip6', dir, pos));
      case 'link':
        return this.linktype(v, pos);
      case 'ip':
        return and(this.linktype(ETH_IP, pos), eqk(ld(1, nl + 9), v));
      case 'ip6': {
        const b0 = this.linktype(ETH_IPV6, pos);
        // Also the protocol after a fragment header.
        const frag = and(eqk(ld(1, nl + 6), IPPROTO_FRAGMENT), eqk(ld(1, nl + 40), v));
        return and(b0, or(eqk(ld(1, nl + 6), v), frag));
      }
      default:
        throw new LowerError(pos, `'${proto} proto' is not supported`);
    }
  }

  // ---- addresses and ports ----

  private id(n: Extract<FilterNode, { k: 'id' }>): Bool {
    const { q, tok, pos } = n;
    switch (tok.kind) {
      case Tok.Num:
        return this.numberId(null, tok.value, q, pos);
      case Tok.Hid:
        if (n.maskLen !== null || n.mask !== null) return this.maskedNet(tok.text, n.mask?.text ?? null, n.maskLen ?? 0, q, pos);
        if (q.addr === 'port' || q.addr === 'portrange' || q.addr === 'proto') throw new LowerError(pos, `'${q.addr}' modifier applied to IP address`);
        return this.numberId(tok.text, 0, q, pos);
      case Tok.Hid6:
        return this.ipv6Net(tok.text, n.maskLen ?? 128, q, pos);
      case Tok.Eid:
        return this.etherAddress(tok.text, q, pos);
      default:
        return this.nameId(tok.text, q, pos);
    }
  }

  /** libpcap's gen_ncode: a number or a dotted (possibly short) IPv4 address under qualifiers. */
  private numberId(text: string | null, value: number, q: Qual, pos: number): Bool {
    switch (q.addr) {
      case 'default':
      case 'host':
      case 'net': {
        if (q.proto === 'decnet') throw new LowerError(pos, 'DECnet addresses are not supported');
        if (q.proto === 'link') throw new LowerError(pos, 'illegal link layer address');
        let v = value >>> 0;
        let mask = 0xffffffff;
        if (text !== null) {
          // A short dotted address is a prefix: `host 10.1` is 10.1.0.0/16, as in libpcap.
          const a = dottedToNumber(text, pos);
          v = (a.value * 2 ** (32 - a.bits)) >>> 0;
          mask = (mask * 2 ** (32 - a.bits)) >>> 0;
        } else if (q.addr === 'net') {
          // `net 10` is 10.0.0.0/8: a short net number moves to the top bytes.
          while (v !== 0 && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        }
        return this.host(v, mask, q.proto, q.dir, q.addr === 'net' ? 'net' : 'host', pos);
      }
      case 'port': {
        const p = this.portProto(q.proto, 'port', pos);
        if (value > 65535) throw new LowerError(pos, `illegal port number ${value} > 65535`);
        return or(this.port6(value, value, p, q.dir, pos), this.port4(value, value, p, q.dir, pos));
      }
      case 'portrange': {
        const p = this.portProto(q.proto, 'portrange', pos);
        if (value > 65535) throw new LowerError(pos, `illegal port number ${value} > 65535`);
        return or(this.port6(value, value, p, q.dir, pos), this.port4(value, value, p, q.dir, pos));
      }
      case 'proto':
        return this.proto(value, q.proto, q.dir, pos);
    }
  }

  private maskedNet(addr: string, maskText: string | null, maskLen: number, q: Qual, pos: number): Bool {
    const a = dottedToNumber(addr, pos);
    const n = (a.value * 2 ** (32 - a.bits)) >>> 0;
    let m: number;
    if (maskText !== null) {
      const b = dottedToNumber(maskText, pos);
      m = (b.value * 2 ** (32 - b.bits)) >>> 0;
      if ((n & ~m) !== 0) throw new LowerError(pos, `non-network bits set in "${addr} mask ${maskText}"`);
    } else {
      if (maskLen > 32) throw new LowerError(pos, 'mask length must be <= 32');
      m = maskLen === 0 ? 0 : (0xffffffff * 2 ** (32 - maskLen)) >>> 0;
      if ((n & ~m) !== 0) throw new LowerError(pos, `non-network bits set in "${addr}/${maskLen}"`);
    }
    if (q.addr !== 'net') throw new LowerError(pos, 'Mask syntax for networks only');
    return this.host(n, m, q.proto, q.dir, 'net', pos);
  }

  /** IPv4 host/net under a protocol qualifier (gen_host). */
  private host(addr: number, mask: number, proto: string, dir: DirQ, type: 'host' | 'net', pos: number): Bool {
    switch (proto) {
      case 'default': {
        let b = this.host(addr, mask, 'ip', dir, type, pos);
        // Inside MPLS only IPv4 can be there.
        if (this.st.labelDepth === 0) {
          b = or(b, this.host(addr, mask, 'arp', dir, type, pos));
          b = or(b, this.host(addr, mask, 'rarp', dir, type, pos));
        }
        return b;
      }
      case 'ip':
        return this.hostop(addr, mask, dir, ETH_IP, 12, 16, pos);
      case 'arp':
        return this.hostop(addr, mask, dir, ETH_ARP, 14, 24, pos);
      case 'rarp':
        return this.hostop(addr, mask, dir, ETH_REVARP, 14, 24, pos);
      case 'link':
        throw new LowerError(pos, `link-layer modifier applied to ${type}`);
      default:
        throw new LowerError(pos, `'${proto}' modifier applied to ${type}`);
    }
  }

  private hostop(addr: number, mask: number, dir: DirQ, llProto: number, srcOff: number, dstOff: number, pos: number): Bool {
    if (dir === 'and') return and(this.hostop(addr, mask, 'src', llProto, srcOff, dstOff, pos), this.hostop(addr, mask, 'dst', llProto, srcOff, dstOff, pos));
    if (dir === 'or' || dir === 'default') return or(this.hostop(addr, mask, 'src', llProto, srcOff, dstOff, pos), this.hostop(addr, mask, 'dst', llProto, srcOff, dstOff, pos));
    const off = dir === 'src' ? srcOff : dstOff;
    return and(this.linktype(llProto, pos), mcmp(ld(4, this.nl + off), addr & mask, mask));
  }

  private ipv6Net(text: string, maskLen: number, q: Qual, pos: number): Bool {
    const addr = parseIpv6(text);
    if (addr === null) throw new LowerError(pos, `bogus IPv6 address ${text}`);
    if (maskLen > 128) throw new LowerError(pos, 'mask length must be <= 128');
    const mask = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const bits = Math.max(0, Math.min(8, maskLen - 8 * i));
      mask[i] = (0xff << (8 - bits)) & 0xff;
    }
    for (let i = 0; i < 16; i++) if ((addr[i]! & ~mask[i]!) !== 0) throw new LowerError(pos, `non-network bits set in "${text}/${maskLen}"`);
    if (q.addr === 'default' || q.addr === 'host') {
      if (maskLen !== 128) throw new LowerError(pos, 'Mask syntax for networks only');
    } else if (q.addr !== 'net') throw new LowerError(pos, 'invalid qualifier against IPv6 address');
    const type = q.addr === 'net' ? 'net' : 'host';
    switch (q.proto) {
      case 'default':
      case 'ip6':
        return this.hostop6(addr, mask, q.dir, pos);
      case 'ip':
        throw new LowerError(pos, `'ip' modifier applied to ip6 ${type}`);
      case 'link':
        throw new LowerError(pos, `link-layer modifier applied to ip6 ${type}`);
      default:
        throw new LowerError(pos, `'${q.proto}' modifier applied to ip6 ${type}`);
    }
  }

  private hostop6(addr: Uint8Array, mask: Uint8Array, dir: DirQ, pos: number): Bool {
    if (dir === 'and') return and(this.hostop6(addr, mask, 'src', pos), this.hostop6(addr, mask, 'dst', pos));
    if (dir === 'or' || dir === 'default') return or(this.hostop6(addr, mask, 'src', pos), this.hostop6(addr, mask, 'dst', pos));
    const off = this.nl + (dir === 'src' ? 8 : 24);
    const word = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    let b = this.linktype(ETH_IPV6, pos);
    for (let i = 0; i < 16; i += 4) b = and(b, mcmp(ld(4, off + i), word(addr, i) & word(mask, i), word(mask, i)));
    return b;
  }

  private etherAddress(text: string, q: Qual, pos: number): Bool {
    if (!((q.addr === 'host' || q.addr === 'default') && q.proto === 'link')) throw new LowerError(pos, 'ethernet address used in non-ether expression');
    return this.etherHost(parseMac(text, pos), q.dir, pos);
  }

  private etherHost(mac: number[], dir: DirQ, pos: number): Bool {
    if (this.st.dlt !== LinkType.Ethernet) throw new LowerError(pos, 'ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel');
    const base = this.st.offLinkHdr;
    switch (dir) {
      case 'src':
        return this.bytesEqual(base + 6, mac);
      case 'dst':
        return this.bytesEqual(base, mac);
      case 'and':
        return and(this.bytesEqual(base + 6, mac), this.bytesEqual(base, mac));
      default:
        return or(this.bytesEqual(base + 6, mac), this.bytesEqual(base, mac));
    }
  }

  /** A name under qualifiers (gen_scode): services and protocol names; host names need DNS, which the filter does not do. */
  private nameId(name: string, q: Qual, pos: number): Bool {
    switch (q.addr) {
      case 'default':
      case 'host':
        throw new LowerError(pos, q.proto === 'link' ? `unknown ether host '${name}'` : `unknown host '${name}' (the filter does not resolve names)`);
      case 'net':
        throw new LowerError(pos, `unknown network '${name}'`);
      case 'port': {
        const p = this.portProto(q.proto, 'port', pos);
        const service = SERVICES.get(name);
        if (service === undefined) throw new LowerError(pos, `unknown port '${name}'`);
        const [port, real] = service;
        return or(this.port6(port, port, this.serviceProto(p, real, name, pos), q.dir, pos), this.port4(port, port, this.serviceProto(p, real, name, pos), q.dir, pos));
      }
      case 'portrange': {
        const p = this.portProto(q.proto, 'portrange', pos);
        const [lo, hi, real] = portRange(name, pos);
        const proto = this.serviceProto(p, real, name, pos);
        return or(this.port6(lo, hi, proto, q.dir, pos), this.port4(lo, hi, proto, q.dir, pos));
      }
      case 'proto': {
        let v: number | undefined;
        if (q.proto === 'default' || q.proto === 'ip' || q.proto === 'ip6') {
          v = IP_PROTOCOLS.get(name);
          if (v === undefined) throw new LowerError(pos, `unknown ip proto '${name}'`);
        } else if (q.proto === 'link') {
          v = ETHER_PROTOCOLS.get(name);
          if (v === undefined) throw new LowerError(pos, `unknown ether proto '${name}'`);
        } else throw new LowerError(pos, `'${q.proto} proto' is not supported`);
        return this.proto(v, q.proto, q.dir, pos);
      }
    }
  }

  /** The IP protocol a port primitive is about: 0 for TCP, UDP and SCTP together. */
  private portProto(proto: string, what: string, pos: number): number {
    if (proto === 'default') return 0;
    const p = PROTO_NUMBER[proto];
    if (p === undefined) throw new LowerError(pos, `illegal qualifier of '${what}'`);
    return p;
  }

  /** The transport of `[tcp|udp|sctp] port name`: the qualifier's, which the service must have. */
  private serviceProto(qualified: number, service: number, name: string, pos: number): number {
    if (qualified === 0) return service;
    if (service !== 0 && service !== qualified) throw new LowerError(pos, `port '${name}' is ${service === 6 ? 'tcp' : 'udp'}`);
    return qualified;
  }

  /** IPv4 ports (gen_port / gen_portrange): only in the first fragment. */
  private port4(lo: number, hi: number, ipProto: number, dir: DirQ, pos: number): Bool {
    const b0 = this.linktype(ETH_IP, pos);
    const op = (p: number): Bool => {
      const first = and(eqk(ld(1, this.nl + 9), p), this.firstFragment());
      return and(first, this.portDir(lo, hi, dir, (off) => this.tran4(2, off)));
    };
    return and(b0, ipProto === 0 ? or(or(op(6), op(17)), op(132)) : op(ipProto));
  }

  /** IPv6 ports (gen_port6): the header right after the fixed one, no extension headers followed. */
  private port6(lo: number, hi: number, ipProto: number, dir: DirQ, pos: number): Bool {
    const b0 = this.linktype(ETH_IPV6, pos);
    const op = (p: number): Bool => and(eqk(ld(1, this.nl + 6), p), this.portDir(lo, hi, dir, (off) => ld(2, this.nl + 40 + off)));
    return and(b0, ipProto === 0 ? or(or(op(6), op(17)), op(132)) : op(ipProto));
  }

  private portDir(lo: number, hi: number, dir: DirQ, field: (off: number) => Val): Bool {
    const atom = (off: number): Bool => {
      if (lo === hi) return eqk(field(off), lo);
      const [a, b] = lo > hi ? [hi, lo] : [lo, hi];
      return and(cmp('ge', field(off), k(a)), not(cmp('gt', field(off), k(b))));
    };
    switch (dir) {
      case 'src':
        return atom(0);
      case 'dst':
        return atom(2);
      case 'and':
        return and(atom(0), atom(2));
      default:
        return or(atom(0), atom(2));
    }
  }

  /** The IPv4 fragment offset is 0 (gen_ipfrag). */
  private firstFragment(): Bool {
    return not(cmp('set', ld(2, this.nl + 6), k(0x1fff)));
  }

  // ---- broadcast, multicast ----

  private broadcast(proto: string, pos: number): Bool {
    if (proto === 'default' || proto === 'link') {
      if (this.st.dlt !== LinkType.Ethernet) throw new LowerError(pos, 'not a broadcast link');
      return this.bytesEqual(this.st.offLinkHdr, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    }
    if (proto === 'ip') {
      // tcpdump reading a file compiles with netmask 0: the all-zeros and all-ones addresses.
      const b0 = this.linktype(ETH_IP, pos);
      return and(b0, or(eqk(ld(4, this.nl + 16), 0), eqk(ld(4, this.nl + 16), 0xffffffff)));
    }
    throw new LowerError(pos, 'only link-layer/IP broadcast filters supported');
  }

  private multicast(proto: string, pos: number): Bool {
    if (proto === 'default' || proto === 'link') {
      if (this.st.dlt === LinkType.Ethernet) return cmp('set', ld(1, this.st.offLinkHdr), k(1));
    } else if (proto === 'ip') {
      return and(this.linktype(ETH_IP, pos), cmp('ge', ld(1, this.nl + 16), k(224)));
    } else if (proto === 'ip6') {
      return and(this.linktype(ETH_IPV6, pos), eqk(ld(1, this.nl + 24), 255));
    }
    throw new LowerError(pos, 'link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel');
  }

  // ---- encapsulations that move the offsets ----

  private vlan(num: number | null, pos: number): Bool {
    const st = this.st;
    if (st.labelDepth > 0) throw new LowerError(pos, 'no VLAN match after MPLS');
    if (st.dlt !== LinkType.Ethernet) throw new LowerError(pos, `no VLAN support for data link type ${st.dlt}`);
    const tpid = ld(2, st.offLinkType);
    let b = or(or(eqk(tpid, 0x8100), eqk(tpid, 0x88a8)), eqk(tpid, 0x9100));
    if (num !== null) {
      if (num > 0x0fff) throw new LowerError(pos, `VLAN tag ${num} greater than maximum 4095`);
      b = and(b, mcmp(ld(2, this.nl), num, 0x0fff));
    }
    st.offLinkPl += 4;
    st.offLinkType += 4;
    return b;
  }

  private mpls(num: number | null, pos: number): Bool {
    const st = this.st;
    let b: Bool;
    if (st.labelDepth > 0) {
      // Not the bottom of the stack yet.
      b = mcmp(ld(1, this.nl - 4 + 2), 0, 0x01);
    } else if (st.dlt === LinkType.Ethernet || st.dlt === LinkType.CiscoHdlc) {
      b = this.linktype(ETH_MPLS, pos);
    } else if (isPpp(st.dlt)) {
      b = this.linktype(PPP_MPLS_UCAST, pos);
    } else {
      throw new LowerError(pos, `no MPLS support for data link type ${st.dlt}`);
    }
    if (num !== null) {
      if (num > 0xfffff) throw new LowerError(pos, `MPLS label ${num} greater than maximum 1048575`);
      b = and(b, mcmp(ld(4, this.nl), num * 4096, 0xfffff000));
    }
    st.offNl += 4;
    st.labelDepth++;
    return b;
  }

  private pppoes(num: number | null, pos: number): Bool {
    const st = this.st;
    let b = this.linktype(ETH_PPPOES, pos);
    if (num !== null) {
      if (num > 0xffff) throw new LowerError(pos, `PPPoE session number ${num} greater than maximum 65535`);
      b = and(b, mcmp(ld(4, this.nl), num, 0xffff));
    }
    // From here on the frame is PPP: its protocol field 6 bytes past the PPPoE header start.
    const hdr = this.nl + 6;
    st.dlt = LinkType.Ppp;
    st.offLinkHdr = hdr;
    st.offLinkType = hdr;
    st.offLinkPl = hdr + 2;
    st.offNl = 0;
    return b;
  }

  // ---- byte-offset expressions ----

  private relation(op: string, a0: Arith, a1: Arith): Bool {
    const a = this.arith(a0);
    const b = this.arith(a1);
    let c: Bool;
    switch (op) {
      case '>':
        c = cmp('gt', a.val, b.val);
        break;
      case '>=':
        c = cmp('ge', a.val, b.val);
        break;
      case '=':
        c = cmp('eq', a.val, b.val);
        break;
      case '<=':
        c = not(cmp('gt', a.val, b.val));
        break;
      case '<':
        c = not(cmp('ge', a.val, b.val));
        break;
      default:
        c = not(cmp('eq', a.val, b.val));
    }
    const check = a.check !== null && b.check !== null ? and(a.check, b.check) : (a.check ?? b.check);
    return check === null ? c : and(check, c);
  }

  private arith(a: Arith): Loaded {
    switch (a.k) {
      case 'num':
        return { val: k(a.v), check: null };
      case 'len':
        return { val: { t: 'len' }, check: null };
      case 'neg': {
        const x = this.arith(a.a);
        return { val: { t: 'neg', a: x.val }, check: x.check };
      }
      case 'bin': {
        const x = this.arith(a.a);
        const y = this.arith(a.b);
        // libpcap refuses a zero divisor and a shift past 31 bits when the right operand's
        // code starts by loading such a constant, which is also the case of `ip[0]` (its index
        // is loaded first) or `(40 - 39)`: tcpdump rejects `len / ip[0]`, so do we.
        const first = firstImmediate(a.b);
        if (first !== null) {
          if (a.op === '/' && first === 0) throw new LowerError(a.pos, 'division by zero');
          if (a.op === '%' && first === 0) throw new LowerError(a.pos, 'modulus by zero');
          if ((a.op === '<<' || a.op === '>>') && first > 31) throw new LowerError(a.pos, 'shift by more than 31 bits');
        }
        // libpcap 1.10 keeps only the left operand's protocol test here (`0 + ip[0]` tests no
        // protocol at all, `ip[0] + tcp[0]` only IPv4): tcpdump's behaviour, so ours too.
        return { val: { t: 'alu', op: a.op as AluOp, a: x.val, b: y.val }, check: x.check };
      }
      case 'load':
        return this.load(a.proto, this.arith(a.index), a.size as 1 | 2 | 4, a.pos);
    }
  }

  /** `proto[index:size]` (gen_load): the value, and the protocol test that guards it. */
  private load(proto: string, index: Loaded, size: 1 | 2 | 4, pos: number): Loaded {
    const idx = index.val;
    const constIdx = idx.t === 'k' ? idx.v : -1;
    const at = (base: number): Val => (constIdx >= 0 ? ld(size, base + constIdx) : ld(size, base, idx));
    let val: Val;
    let guard: Bool | null;
    switch (proto) {
      case 'link':
        val = at(this.st.offLinkHdr);
        guard = null;
        break;
      case 'ip':
      case 'arp':
      case 'rarp':
      case 'atalk':
      case 'decnet':
      case 'sca':
      case 'lat':
      case 'moprc':
      case 'mopdl':
      case 'ip6':
        val = at(this.nl);
        guard = this.abbrev(proto, pos);
        break;
      case 'icmp6':
        guard = and(this.abbrev('ip6', pos), eqk(ld(1, this.nl + 6), 58));
        val = at(this.nl + 40);
        break;
      default: {
        // Transport protocols: past the IPv4 header, first fragment only. libpcap tests IPv4
        // first, then the index's own tests, then the protocol (whose IPv6 forms can never
        // pass after the IPv4 test) and the fragment offset.
        const inner = and(this.abbrev(proto, pos), this.firstFragment());
        // BPF adds index and header length in 32 bits: fold a constant index only where that cannot wrap.
        val = constIdx >= 0 && constIdx < 0x7fffffff ? this.tran4(size, constIdx) : this.tran4(size, 0, idx);
        return { val, check: and(this.linktype(ETH_IP, pos), index.check === null ? inner : and(index.check, inner)) };
      }
    }
    const check = index.check !== null && guard !== null ? and(index.check, guard) : (guard ?? index.check);
    return { val, check };
  }
}

/** The constant the code of `a` starts by loading, as libpcap emits it (index first, left operand first), or null. */
function firstImmediate(a: Arith): number | null {
  switch (a.k) {
    case 'num':
      return a.v;
    case 'len':
      return null;
    case 'load':
      return firstImmediate(a.index);
    case 'bin':
    case 'neg':
      return firstImmediate(a.a);
  }
}

/** libpcap's __pcap_atoin: 1 to 4 dotted decimal bytes; the number and how many bits it holds. */
function dottedToNumber(text: string, pos: number): { value: number; bits: number } {
  const parts = text.split('.');
  let value = 0;
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p) || Number(p) > 255) throw new LowerError(pos, `invalid IPv4 address '${text}'`);
    value = value * 256 + Number(p);
  }
  return { value, bits: 8 * parts.length };
}

function parseMac(text: string, pos: number): number[] {
  const groups = text.includes(':') || text.includes('-') ? text.split(/[:-]/) : text.includes('.') ? text.split('.') : (text.match(/../g) ?? []);
  const out: number[] = [];
  if (groups.length === 3) {
    for (const g of groups) out.push(Number.parseInt(g.slice(0, 2), 16), Number.parseInt(g.slice(2), 16));
  } else for (const g of groups) out.push(Number.parseInt(g, 16));
  if (out.length !== 6 || out.some((b) => !(b >= 0 && b <= 255))) throw new LowerError(pos, `bad ethernet address '${text}'`);
  return out;
}

/**
 * `lo-hi` where each end is a number or a service name (pcap_nametoportrange): the ports and
 * the transport (0 when numbers, or names of different transports).
 */
function portRange(name: string, pos: number): [number, number, number] {
  const m = /^(\d+)-(\d+)/.exec(name);
  let lo: number | undefined;
  let hi: number | undefined;
  let proto = 0;
  if (m) {
    lo = Number(m[1]);
    hi = Number(m[2]);
  } else {
    const dash = name.indexOf('-');
    const a = dash > 0 ? SERVICES.get(name.slice(0, dash)) : undefined;
    const b = dash > 0 ? SERVICES.get(name.slice(dash + 1)) : undefined;
    if (a !== undefined && b !== undefined) {
      lo = a[0];
      hi = b[0];
      proto = a[1] === b[1] ? a[1] : 0;
    }
  }
  if (lo === undefined || hi === undefined) throw new LowerError(pos, `unknown port in range '${name}'`);
  if (lo > 65535) throw new LowerError(pos, `illegal port number ${lo} > 65535`);
  if (hi > 65535) throw new LowerError(pos, `illegal port number ${hi} > 65535`);
  return [lo, hi, proto];
}
