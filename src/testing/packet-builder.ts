/**
 * Test tooling: builds packets as bytes, layer by layer, with correct lengths and checksums
 * unless told otherwise. Readability over speed; never used on the hot path.
 *
 * Every builder takes an options object and returns a fresh `Uint8Array`; the outer layer
 * takes the inner one as `payload`:
 * ```ts
 * const frame = ethernet({ etherType: EtherType.IPv4, payload:
 *   ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, payload:
 *     udp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5353, dport: 53, payload: dnsQuery }) }) });
 * ```
 * or, for the common case, `ipUdp({ src, dst, sport, dport, payload })`.
 */

/** EtherType values used by the builders. */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  MPLS: 0x8847,
  PPPoEDiscovery: 0x8863,
  PPPoESession: 0x8864,
  QinQ: 0x88a8,
  TransparentEthernet: 0x6558,
} as const;

/** IP protocol numbers used by the builders. */
export const IpProto = {
  HopByHop: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  Routing: 43,
  Fragment: 44,
  GRE: 47,
  ESP: 50,
  ICMPv6: 58,
  NoNext: 59,
  DestOpts: 60,
  SCTP: 132,
} as const;

/** TCP flag bits. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

// ---------------------------------------------------------------------------------------------
// Bytes and addresses

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytes from hex, whitespace and colons ignored: `hex('45 00 00 1c')`. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 bytes of a string. */
export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** 6 bytes of a MAC address `'02:00:00:00:00:01'`. */
export function mac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC address: ${s}`);
  return Uint8Array.from(parts, (p) => Number.parseInt(p, 16));
}

/** 4 bytes of a dotted-quad IPv4 address. */
export function ipv4Addr(s: string): Uint8Array {
  const parts = s.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${s}`);
  return Uint8Array.from(parts, (p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`bad IPv4 address: ${s}`);
    return n;
  });
}

/** 16 bytes of an IPv6 address (with `::` and an optional dotted-quad tail). */
export function ipv6Addr(s: string): Uint8Array {
  let str = s;
  if (str.includes('.')) {
    // A dotted-quad tail (::ffff:192.0.2.1) stands for the last two words.
    const at = str.lastIndexOf(':') + 1;
    const v4 = ipv4Addr(str.slice(at));
    str = `${str.slice(0, at)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = str.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address: ${s}`);
  const words = (x: string): number[] =>
    x === '' ? [] : x.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? Number.parseInt(w, 16) : -1));
  const l = words(halves[0] as string);
  const r = halves.length === 2 ? words(halves[1] as string) : [];
  const fill = 8 - l.length - r.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || (halves.length === 2 && fill === 0)) {
    throw new Error(`bad IPv6 address: ${s}`);
  }
  const all = [...l, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...r];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    if (w < 0) throw new Error(`bad IPv6 address: ${s}`);
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Address bytes of either family: IPv6 when the string holds a ':'. */
export function ipAddr(s: string): Uint8Array {
  return s.includes(':') ? ipv6Addr(s) : ipv4Addr(s);
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** One's-complement sum of 16-bit words (not complemented), continuing from `sum`. */
function onesSum(b: Uint8Array, sum = 0): number {
  let s = sum;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length % 2 === 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The Internet checksum (RFC 1071) of the given byte arrays, as if concatenated (even lengths except the last). */
export function internetChecksum(...parts: Uint8Array[]): number {
  return ~onesSum(concat(...parts)) & 0xffff;
}

/** Pseudo-header for TCP/UDP/ICMPv6 checksums: v4 (RFC 793) or v6 (RFC 8200 §8.1). */
export function pseudoHeader(src: string, dst: string, proto: number, length: number): Uint8Array {
  const s = ipAddr(src);
  const d = ipAddr(dst);
  if (s.length === 4) {
    const p = new Uint8Array(12);
    p.set(s, 0);
    p.set(d, 4);
    p[9] = proto;
    put16(p, 10, length);
    return p;
  }
  const p = new Uint8Array(40);
  p.set(s, 0);
  p.set(d, 16);
  put32(p, 32, length);
  p[39] = proto;
  return p;
}

/** CRC-32C (Castagnoli), as SCTP uses it (RFC 9260 appendix A). */
export function crc32c(b: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of b) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Link layer

/** Options of {@link ethernet}. */
export interface EthernetOptions {
  /** Default `'02:00:00:00:00:02'`. */
  dst?: string;
  /** Default `'02:00:00:00:00:01'`. */
  src?: string;
  etherType: number;
  /** 802.1Q tags, outermost first: each a VLAN id or a full tag. */
  vlans?: (number | VlanTag)[];
  payload: Uint8Array;
}

/** An 802.1Q / 802.1ad tag. */
export interface VlanTag {
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** TPID of this tag: 0x8100 (default) or 0x88a8 for an S-tag. */
  tpid?: number;
}

/** An Ethernet II frame (no FCS), with optional VLAN tags. */
export function ethernet(o: EthernetOptions): Uint8Array {
  const tags = o.vlans ?? [];
  const h = new Uint8Array(14 + 4 * tags.length);
  h.set(mac(o.dst ?? '02:00:00:00:00:02'), 0);
  h.set(mac(o.src ?? '02:00:00:00:00:01'), 6);
  let p = 12;
  for (const t of tags) {
    const tag = typeof t === 'number' ? { vid: t } : t;
    put16(h, p, tag.tpid ?? EtherType.VLAN);
    put16(h, p + 2, ((tag.pcp ?? 0) << 13) | (tag.dei ? 0x1000 : 0) | (tag.vid & 0xfff));
    p += 4;
  }
  put16(h, p, o.etherType);
  return concat(h, o.payload);
}

/**
 * The 4 bytes after an 0x8100 EtherType (TCI, inner EtherType) followed by the payload, for
 * building tags by hand: `ethernet({ etherType: 0x8100, payload: vlan({ vid: 5, etherType: 0x0800, payload }) })`.
 */
export function vlan(o: {
  vid: number;
  pcp?: number;
  dei?: boolean;
  etherType: number;
  payload: Uint8Array;
}): Uint8Array {
  const h = new Uint8Array(4);
  put16(h, 0, ((o.pcp ?? 0) << 13) | (o.dei ? 0x1000 : 0) | (o.vid & 0xfff));
  put16(h, 2, o.etherType);
  return concat(h, o.payload);
}

/** One MPLS label stack entry. */
export interface MplsLabel {
  label: number;
  tc?: number;
  /** Default 64. */
  ttl?: number;
}

/** An MPLS label stack (bottom-of-stack bit set on the last) followed by the payload. */
export function mpls(o: { labels: (number | MplsLabel)[]; payload: Uint8Array }): Uint8Array {
  const h = new Uint8Array(4 * o.labels.length);
  o.labels.forEach((l, i) => {
    const e = typeof l === 'number' ? { label: l } : l;
    const bos = i === o.labels.length - 1 ? 1 : 0;
    put32(h, 4 * i, ((e.label & 0xfffff) << 12) | ((e.tc ?? 0) << 9) | (bos << 8) | (e.ttl ?? 64));
  });
  return concat(h, o.payload);
}

/** PPP protocol numbers for {@link pppoe}. */
export const PppProto = { IPv4: 0x0021, IPv6: 0x0057, LCP: 0xc021 } as const;

/** A PPPoE session-stage header (RFC 2516) with its PPP protocol field, then the payload. */
export function pppoe(o: { sessionId: number; protocol: number; code?: number; payload: Uint8Array }): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = 0x11; // version 1, type 1
  h[1] = o.code ?? 0;
  put16(h, 2, o.sessionId);
  put16(h, 4, o.payload.length + 2); // PPP protocol field + payload
  put16(h, 6, o.protocol);
  return concat(h, o.payload);
}

// ---------------------------------------------------------------------------------------------
// IP

/** Options of {@link ipv4}. */
export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  /** Default 64. */
  ttl?: number;
  /** Identification; default 0. */
  id?: number;
  tos?: number;
  /** Don't Fragment. */
  df?: boolean;
  /** More Fragments. */
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Option bytes, zero-padded to a multiple of 4. */
  options?: Uint8Array;
  /** Overrides the total length field (to build malformed packets). */
  totalLength?: number;
  /** Overrides the header checksum (to build malformed packets). */
  checksum?: number;
}

/** An IPv4 packet with a correct header checksum. */
export function ipv4(o: Ipv4Options): Uint8Array {
  const optLen = o.options ? (o.options.length + 3) & ~3 : 0;
  const hl = 20 + optLen;
  const h = new Uint8Array(hl);
  h[0] = 0x40 | (hl >> 2);
  h[1] = o.tos ?? 0;
  put16(h, 2, o.totalLength ?? hl + o.payload.length);
  put16(h, 4, o.id ?? 0);
  const off = o.fragOffset ?? 0;
  if (off % 8 !== 0) throw new Error(`fragment offset ${off} is not a multiple of 8`);
  put16(h, 6, (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (off >> 3));
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(ipv4Addr(o.src), 12);
  h.set(ipv4Addr(o.dst), 16);
  if (o.options) h.set(o.options, 20);
  put16(h, 10, o.checksum ?? internetChecksum(h));
  return concat(h, o.payload);
}

/** An IPv6 extension header: its type (the Next Header value that announces it) and bytes. */
export interface Ipv6Extension {
  type: number;
  /** The header's bytes after its Next Header byte (the builder writes that one). */
  body: Uint8Array;
}

/**
 * A Hop-by-Hop (0), Routing (43) or Destination Options (60) header: `data` (options or
 * routing data) is padded with zeros (Pad1/PadN-compatible) to a multiple of 8 bytes overall.
 */
export function extensionHeader(type: number, data: Uint8Array = new Uint8Array(0)): Ipv6Extension {
  const total = (2 + data.length + 7) & ~7;
  const body = new Uint8Array(total - 1);
  body[0] = total / 8 - 1; // Hdr Ext Len, in 8-octet units beyond the first
  body.set(data, 1);
  if (total - 2 - data.length >= 2) {
    // PadN over the padding, so that the options parse.
    body[1 + data.length] = 1;
    body[2 + data.length] = total - 2 - data.length - 2;
  }
  return { type, body };
}

/** An IPv6 Fragment header (RFC 8200 §4.5). `offset` in bytes (a multiple of 8). */
export function fragmentHeader(o: { offset: number; more: boolean; id: number }): Ipv6Extension {
  if (o.offset % 8 !== 0) throw new Error(`fragment offset ${o.offset} is not a multiple of 8`);
  const body = new Uint8Array(7);
  put16(body, 1, o.offset | (o.more ? 1 : 0));
  put32(body, 3, o.id);
  return { type: IpProto.Fragment, body };
}

/** Options of {@link ipv6}. */
export interface Ipv6Options {
  src: string;
  dst: string;
  /** Protocol of `payload` (the last Next Header in the chain). */
  nextHeader: number;
  payload: Uint8Array;
  /** Default 64. */
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** Extension headers, in order, between the fixed header and the payload. */
  extensions?: Ipv6Extension[];
  /** Overrides the payload length field. */
  payloadLength?: number;
}

/** An IPv6 packet, extension headers chained. */
export function ipv6(o: Ipv6Options): Uint8Array {
  const exts = o.extensions ?? [];
  const chain: Uint8Array[] = exts.map((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.nextHeader;
    return concat(Uint8Array.of(next), e.body);
  });
  const rest = concat(...chain, o.payload);
  const h = new Uint8Array(40);
  put32(h, 0, (6 << 28) | ((o.trafficClass ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff));
  put16(h, 4, o.payloadLength ?? rest.length);
  h[6] = exts.length > 0 ? exts[0].type : o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  h.set(ipv6Addr(o.src), 8);
  h.set(ipv6Addr(o.dst), 24);
  return concat(h, rest);
}

// ---------------------------------------------------------------------------------------------
// Transport

/** Options of {@link tcp}. */
export interface TcpOptions {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** {@link TcpFlag} bits; default ACK. */
  flags?: number;
  /** Default 65535. */
  window?: number;
  urgent?: number;
  /** Option bytes (MSS, SACK …), zero-padded to a multiple of 4. */
  options?: Uint8Array;
  payload?: Uint8Array;
  /** Addresses for the checksum; without them the checksum is left 0. */
  src?: string;
  dst?: string;
  /** Overrides the checksum. */
  checksum?: number;
}

/** A TCP segment; the checksum covers the pseudo-header when `src` and `dst` are given. */
export function tcp(o: TcpOptions): Uint8Array {
  const optLen = o.options ? (o.options.length + 3) & ~3 : 0;
  const h = new Uint8Array(20 + optLen);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put32(h, 4, o.seq ?? 0);
  put32(h, 8, o.ack ?? 0);
  h[12] = ((20 + optLen) / 4) << 4;
  h[13] = o.flags ?? TcpFlag.ACK;
  put16(h, 14, o.window ?? 65535);
  put16(h, 18, o.urgent ?? 0);
  if (o.options) h.set(o.options, 20);
  const seg = concat(h, o.payload ?? new Uint8Array(0));
  if (o.checksum !== undefined) put16(seg, 16, o.checksum);
  else if (o.src && o.dst) put16(seg, 16, internetChecksum(pseudoHeader(o.src, o.dst, IpProto.TCP, seg.length), seg));
  return seg;
}

/** TCP option bytes: MSS (kind 2). */
export function mssOption(mss: number): Uint8Array {
  return Uint8Array.of(2, 4, mss >> 8, mss & 0xff);
}

/** Options of {@link udp}. */
export interface UdpOptions {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  /** Addresses for the checksum; without them the checksum is left 0 (none, in IPv4). */
  src?: string;
  dst?: string;
  /** Overrides the length field. */
  length?: number;
  /** Overrides the checksum. */
  checksum?: number;
}

/** A UDP datagram; the checksum covers the pseudo-header when `src` and `dst` are given. */
export function udp(o: UdpOptions): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const d = new Uint8Array(8 + payload.length);
  put16(d, 0, o.sport);
  put16(d, 2, o.dport);
  put16(d, 4, o.length ?? d.length);
  d.set(payload, 8);
  if (o.checksum !== undefined) put16(d, 6, o.checksum);
  else if (o.src && o.dst) {
    const c = internetChecksum(pseudoHeader(o.src, o.dst, IpProto.UDP, d.length), d);
    put16(d, 6, c === 0 ? 0xffff : c); // 0 means "no checksum": send all ones instead
  }
  return d;
}

/** An ICMP (v4) echo request or reply with a correct checksum. */
export function icmpEcho(o: { reply?: boolean; id: number; seq: number; payload?: Uint8Array }): Uint8Array {
  return icmp({ type: o.reply ? 0 : 8, code: 0, rest: echoRest(o.id, o.seq), payload: o.payload });
}

/** Any ICMP (v4) message: type, code, the 4 "rest of header" bytes and a payload. */
export function icmp(o: {
  type: number;
  code?: number;
  rest?: Uint8Array;
  payload?: Uint8Array | undefined;
}): Uint8Array {
  const m = concat(
    Uint8Array.of(o.type, o.code ?? 0, 0, 0),
    o.rest ?? new Uint8Array(4),
    o.payload ?? new Uint8Array(0),
  );
  put16(m, 2, internetChecksum(m));
  return m;
}

/** An ICMPv6 echo request (128) or reply (129); the checksum covers the v6 pseudo-header. */
export function icmpv6Echo(o: {
  src: string;
  dst: string;
  reply?: boolean;
  id: number;
  seq: number;
  payload?: Uint8Array;
}): Uint8Array {
  const m = concat(Uint8Array.of(o.reply ? 129 : 128, 0, 0, 0), echoRest(o.id, o.seq), o.payload ?? new Uint8Array(0));
  put16(m, 2, internetChecksum(pseudoHeader(o.src, o.dst, IpProto.ICMPv6, m.length), m));
  return m;
}

function echoRest(id: number, seq: number): Uint8Array {
  const r = new Uint8Array(4);
  put16(r, 0, id);
  put16(r, 2, seq);
  return r;
}

/** One SCTP chunk (value padded to 4 bytes). */
export interface SctpChunk {
  type: number;
  flags?: number;
  value?: Uint8Array;
}

/** An SCTP INIT chunk with the given initiate tag (RFC 9260 §3.3.2). */
export function sctpInit(initiateTag: number, tsn = 1): SctpChunk {
  const v = new Uint8Array(16);
  put32(v, 0, initiateTag);
  put32(v, 4, 65535); // a_rwnd
  put16(v, 8, 1); // outbound streams
  put16(v, 10, 1); // inbound streams
  put32(v, 12, tsn);
  return { type: 1, value: v };
}

/** An SCTP DATA chunk carrying `data` (RFC 9260 §3.3.1), flags B|E (unfragmented). */
export function sctpData(o: {
  tsn: number;
  stream?: number;
  ssn?: number;
  ppid?: number;
  data: Uint8Array;
}): SctpChunk {
  const v = new Uint8Array(12 + o.data.length);
  put32(v, 0, o.tsn);
  put16(v, 4, o.stream ?? 0);
  put16(v, 6, o.ssn ?? 0);
  put32(v, 8, o.ppid ?? 0);
  v.set(o.data, 12);
  return { type: 0, flags: 0x03, value: v };
}

/** An SCTP packet: common header with a correct CRC-32C, then the chunks (default one INIT). */
export function sctp(o: { sport: number; dport: number; verificationTag?: number; chunks?: SctpChunk[] }): Uint8Array {
  const chunks = (o.chunks ?? [sctpInit(0x01020304)]).map((c) => {
    const value = c.value ?? new Uint8Array(0);
    const b = new Uint8Array((4 + value.length + 3) & ~3);
    b[0] = c.type;
    b[1] = c.flags ?? 0;
    put16(b, 2, 4 + value.length);
    b.set(value, 4);
    return b;
  });
  const h = new Uint8Array(12);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put32(h, 4, o.verificationTag ?? 0);
  const p = concat(h, ...chunks);
  const crc = crc32c(p);
  // The CRC is stored least significant byte first (RFC 9260 appendix A).
  p[8] = crc & 0xff;
  p[9] = (crc >>> 8) & 0xff;
  p[10] = (crc >>> 16) & 0xff;
  p[11] = crc >>> 24;
  return p;
}

/** Options of {@link gre}. */
export interface GreOptions {
  /** EtherType of the payload (0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet). */
  protocol: number;
  payload: Uint8Array;
  /** Adds the checksum field (computed). */
  checksum?: boolean;
  key?: number;
  seq?: number;
}

/** A GRE header (RFC 2784/2890, version 0) and its payload. */
export function gre(o: GreOptions): Uint8Array {
  const words = (o.checksum ? 1 : 0) + (o.key !== undefined ? 1 : 0) + (o.seq !== undefined ? 1 : 0);
  const h = new Uint8Array(4 + 4 * words);
  put16(h, 0, (o.checksum ? 0x8000 : 0) | (o.key !== undefined ? 0x2000 : 0) | (o.seq !== undefined ? 0x1000 : 0));
  put16(h, 2, o.protocol);
  let p = 4;
  const csumAt = o.checksum ? p : -1;
  if (o.checksum) p += 4;
  if (o.key !== undefined) {
    put32(h, p, o.key);
    p += 4;
  }
  if (o.seq !== undefined) put32(h, p, o.seq);
  const pkt = concat(h, o.payload);
  if (csumAt >= 0) put16(pkt, csumAt, internetChecksum(pkt));
  return pkt;
}

// ---------------------------------------------------------------------------------------------
// Shortcuts

/** Options of {@link ipTcp}: the TCP fields plus the addresses, with extra IP fields under `ip`. */
export interface IpTcpOptions extends TcpOptions {
  src: string;
  dst: string;
  ip?: Partial<Omit<Ipv4Options, 'src' | 'dst' | 'proto' | 'payload'>> &
    Partial<Omit<Ipv6Options, 'src' | 'dst' | 'nextHeader' | 'payload'>>;
}

/** An IPv4 or IPv6 packet (by the address form) carrying a TCP segment with good checksums. */
export function ipTcp(o: IpTcpOptions): Uint8Array {
  return ipPacket(o.src, o.dst, IpProto.TCP, tcp(o), o.ip);
}

/** Options of {@link ipUdp}. */
export interface IpUdpOptions extends UdpOptions {
  src: string;
  dst: string;
  ip?: IpTcpOptions['ip'];
}

/** An IPv4 or IPv6 packet (by the address form) carrying a UDP datagram with good checksums. */
export function ipUdp(o: IpUdpOptions): Uint8Array {
  return ipPacket(o.src, o.dst, IpProto.UDP, udp(o), o.ip);
}

/** An IPv4 or IPv6 packet by the address form. */
export function ipPacket(
  src: string,
  dst: string,
  proto: number,
  payload: Uint8Array,
  extra: IpTcpOptions['ip'] = {},
): Uint8Array {
  return src.includes(':')
    ? ipv6({ ...extra, src, dst, nextHeader: proto, payload })
    : ipv4({ ...extra, src, dst, proto, payload });
}

/** An Ethernet frame around an IP packet, EtherType from the IP version nibble. */
export function ethIp(ip: Uint8Array, eth: Partial<Omit<EthernetOptions, 'etherType' | 'payload'>> = {}): Uint8Array {
  return ethernet({ ...eth, etherType: ip[0] >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4, payload: ip });
}

// ---------------------------------------------------------------------------------------------
// Fragmentation

/**
 * Splits an IPv4 packet into fragments whose payloads hold at most `maxPayload` bytes (rounded
 * down to a multiple of 8). Non-first fragments keep only the options marked "copied".
 */
export function fragmentIpv4(packet: Uint8Array, maxPayload: number): Uint8Array[] {
  const hl = (packet[0] & 0x0f) * 4;
  const total = (packet[2] << 8) | packet[3];
  const payload = packet.subarray(hl, total);
  const step = maxPayload & ~7;
  if (step <= 0) throw new Error('fragment payload must hold at least 8 bytes');
  const baseFlags = (packet[6] << 8) | packet[7];
  const baseOff = (baseFlags & 0x1fff) * 8;
  const wasMore = (baseFlags & 0x2000) !== 0;
  const firstOpts = packet.subarray(20, hl);
  const copiedOpts = copiedIpv4Options(firstOpts);
  const out: Uint8Array[] = [];
  for (let o = 0; o < payload.length; o += step) {
    const part = payload.subarray(o, Math.min(o + step, payload.length));
    const last = o + step >= payload.length;
    const opts = o === 0 ? firstOpts : copiedOpts;
    const optLen = (opts.length + 3) & ~3;
    const h = new Uint8Array(20 + optLen);
    h.set(packet.subarray(0, 20));
    h.set(opts, 20);
    h[0] = 0x40 | ((20 + optLen) >> 2);
    put16(h, 2, h.length + part.length);
    put16(h, 6, (baseFlags & 0x4000) | (!last || wasMore ? 0x2000 : 0) | ((baseOff + o) >> 3));
    put16(h, 10, 0);
    put16(h, 10, internetChecksum(h));
    out.push(concat(h, part));
  }
  return out;
}

function copiedIpv4Options(opts: Uint8Array): Uint8Array {
  const kept: number[] = [];
  for (let i = 0; i < opts.length; ) {
    const type = opts[i];
    if (type === 0) break; // end of options list
    if (type === 1) {
      i++;
      continue;
    }
    const len = opts[i + 1] ?? 2;
    if (type & 0x80) kept.push(...opts.subarray(i, i + len));
    i += Math.max(len, 2);
  }
  return Uint8Array.from(kept);
}

/**
 * Splits an IPv6 packet into fragments (RFC 8200 §4.5): the unfragmentable part (the fixed
 * header, Hop-by-Hop and Routing headers and Destination Options before a Routing header)
 * is repeated, a Fragment header with `id` follows, then at most `maxPayload` bytes (rounded
 * down to a multiple of 8) of the rest.
 */
export function fragmentIpv6(packet: Uint8Array, maxPayload: number, id: number): Uint8Array[] {
  // Walk the chain to the end of the unfragmentable part.
  let next = packet[6];
  let nextAt = 6; // where the Next Header byte naming `next` sits
  let p = 40;
  for (;;) {
    const routingFollows = next === IpProto.DestOpts && packet[p] === IpProto.Routing;
    if (next !== IpProto.HopByHop && next !== IpProto.Routing && !routingFollows) break;
    nextAt = p;
    next = packet[p];
    p += (packet[p + 1] + 1) * 8;
  }
  const unfrag = packet.slice(0, p);
  const rest = packet.subarray(p);
  const step = maxPayload & ~7;
  if (step <= 0) throw new Error('fragment payload must hold at least 8 bytes');
  const out: Uint8Array[] = [];
  for (let o = 0; o < rest.length; o += step) {
    const part = rest.subarray(o, Math.min(o + step, rest.length));
    const fh = fragmentHeader({ offset: o, more: o + step < rest.length, id });
    const head = unfrag.slice();
    head[nextAt] = IpProto.Fragment;
    const frag = concat(head, Uint8Array.of(next), fh.body, part);
    put16(frag, 4, frag.length - 40);
    out.push(frag);
  }
  return out;
}
