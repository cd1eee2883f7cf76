/**
 * PacketDecoder: every link type, the layers between link and IP, tunnels down to the innermost
 * IP header (flow key, `tunnel` = outermost), fall-back to the outer flow, and weirds by name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import {
  concat,
  EtherType,
  ethernet,
  ethIp,
  extensionHeader,
  gre,
  hex,
  icmpEcho,
  icmpv6Echo,
  ipAddr,
  IpProto,
  ipPacket,
  ipTcp,
  ipUdp,
  ipv4,
  ipv6,
  mpls,
  PppProto,
  pppoe,
  sctp,
  TcpFlag,
  tcp,
  udp,
} from '../testing/packet-builder.js';
import { PacketDecoder, PacketKind, TUNNEL_NAMES, Tunnel } from './decoder.js';
import { W, WeirdCounters } from './weirds.js';

// ---- helpers ----------------------------------------------------------------------------------

interface Decoded {
  kind: PacketKind;
  d: PacketDecoder;
  weirds: Record<string, number>;
}

/** Decodes one frame with a fresh decoder. */
function decode(frame: Uint8Array, linkType: number = LinkType.Ethernet, wireLen = frame.length): Decoded {
  const w = new WeirdCounters();
  const d = new PacketDecoder(w);
  const kind = d.decode(frame, 0, frame.length, wireLen, linkType, 1_000_000);
  return { kind, d, weirds: w.toObject() };
}

interface Key {
  ipVersion: number;
  src: string;
  dst: string;
  l4Proto: number;
  srcPort: number;
  dstPort: number;
  vlan: number;
  tunnel: string;
}

/** Asserts the flow key (addresses compared as bytes at srcOffset/dstOffset in keyBuf). */
function assertKey(d: PacketDecoder, want: Partial<Key> & { src: string; dst: string }): void {
  const n = want.src.includes(':') ? 16 : 4;
  const got: Key = {
    ipVersion: d.ipVersion,
    src: [...d.keyBuf.subarray(d.srcOffset, d.srcOffset + n)].join(','),
    dst: [...d.keyBuf.subarray(d.dstOffset, d.dstOffset + n)].join(','),
    l4Proto: d.l4Proto,
    srcPort: d.srcPort,
    dstPort: d.dstPort,
    vlan: d.vlan,
    tunnel: TUNNEL_NAMES[d.tunnel] ?? `#${d.tunnel}`,
  };
  const exp: Key = {
    ipVersion: want.ipVersion ?? (n === 16 ? 6 : 4),
    src: [...ipAddr(want.src)].join(','),
    dst: [...ipAddr(want.dst)].join(','),
    l4Proto: want.l4Proto ?? got.l4Proto,
    srcPort: want.srcPort ?? got.srcPort,
    dstPort: want.dstPort ?? got.dstPort,
    vlan: want.vlan ?? -1,
    tunnel: want.tunnel ?? '',
  };
  assert.deepEqual(got, exp);
}

const be16 = (v: number): Uint8Array => Uint8Array.of(v >> 8, v & 0xff);
const be32 = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

// Inner flows used throughout.
const innerTcp4 = (): Uint8Array => ipTcp({ src: '192.168.1.10', dst: '93.184.216.34', sport: 51000, dport: 443, flags: TcpFlag.SYN, seq: 7 });
const INNER4 = { src: '192.168.1.10', dst: '93.184.216.34', l4Proto: 6, srcPort: 51000, dstPort: 443 };
const innerUdp6 = (): Uint8Array => ipUdp({ src: '2001:db8:1::10', dst: '2001:db8:2::53', sport: 5353, dport: 53, payload: hex('abcd') });
const INNER6 = { src: '2001:db8:1::10', dst: '2001:db8:2::53', l4Proto: 17, srcPort: 5353, dstPort: 53 };
const OUTER = { src: '10.0.0.1', dst: '10.0.0.2' };

/** Outer IPv4 UDP datagram carrying `payload`. */
const outerUdp = (sport: number, dport: number, payload: Uint8Array): Uint8Array => ethIp(ipUdp({ ...OUTER, sport, dport, payload }));

// Link headers not in the packet builder.
const sll = (proto: number, payload: Uint8Array): Uint8Array => concat(hex('0000 0001 0006 020000000001 0000'), be16(proto), payload);
const sll2 = (proto: number, payload: Uint8Array): Uint8Array => concat(be16(proto), hex('0000 00000002 0001 00 06 020000000001 0000'), payload);
const wifiData = (etherType: number, payload: Uint8Array): Uint8Array =>
  concat(hex('0802 0000 020000000002 020000000001 020000000003 0000 aaaa03 000000'), be16(etherType), payload);
const radiotap = (frame: Uint8Array): Uint8Array => concat(hex('0000 0800 00000000'), frame);

/** PPTP enhanced GRE (version 1) with sequence number, carrying a PPP frame. */
const pptpGre = (ppp: Uint8Array): Uint8Array => concat(hex('3001 880b'), be16(ppp.length), hex('c0de 00000001'), ppp);
/** GRE with sequence number carrying ERSPAN type II then an Ethernet frame. */
const erspan2 = (frame: Uint8Array): Uint8Array => concat(hex('1000 88be 00000001'), hex('1064 0001 00000000'), frame);
const erspan3 = (frame: Uint8Array): Uint8Array => concat(hex('1000 22eb 00000001'), hex('2064 0001 00000000 00000000'), frame);

/** GTPv1-U header (flags from the options) and payload. */
function gtpU(payload: Uint8Array, o: { type?: number; teid?: number; ext?: boolean } = {}): Uint8Array {
  const opt = o.ext ? hex('0000 00 85 01 0009 00') : new Uint8Array(0); // seq/npdu/next=PDU session, 1 ext
  const body = concat(opt, payload);
  return concat(Uint8Array.of(o.ext ? 0x34 : 0x30, o.type ?? 0xff), be16(body.length), be32(o.teid ?? 0x1234), body);
}
const vxlan = (frame: Uint8Array, vni = 42): Uint8Array => concat(hex('08000000'), be32(vni << 8), frame);
const geneve = (proto: number, payload: Uint8Array): Uint8Array => concat(hex('0100'), be16(proto), hex('00002a00 01020304'), payload);
const capwap8023 = (frame: Uint8Array): Uint8Array => concat(hex('00 10 00 00 00000000'), frame);
const capwap80211 = (frame: Uint8Array): Uint8Array => concat(hex('00 10 03 00 00000000'), frame);

// ---- link layers ------------------------------------------------------------------------------

describe('PacketDecoder: link layers', () => {
  test('Ethernet II / IPv4 / TCP: key and per-packet facts', () => {
    const payload = hex('0102030405');
    const ip = ipTcp({ src: '10.1.1.1', dst: '10.2.2.2', sport: 1234, dport: 80, seq: 0xfffffff0, ack: 99, flags: TcpFlag.PSH | TcpFlag.ACK, window: 512, payload, ip: { ttl: 33 } });
    const f = ethIp(ip);
    const { kind, d, weirds } = decode(f, LinkType.Ethernet, 1000);
    assert.equal(kind, PacketKind.Ip);
    assertKey(d, { src: '10.1.1.1', dst: '10.2.2.2', l4Proto: 6, srcPort: 1234, dstPort: 80 });
    assert.equal(d.keyBuf, f);
    assert.equal(d.srcOffset, 26);
    assert.equal(d.dstOffset, 30);
    assert.equal(d.ttl, 33);
    assert.equal(d.tcpValid, true);
    assert.equal(d.tcpFlags, 0x18);
    assert.equal(d.tcpSeq, 0xfffffff0);
    assert.equal(d.tcpAck, 99);
    assert.equal(d.tcpWindow, 512);
    assert.equal(d.payloadLength, 5);
    assert.equal(d.payloadOffset, 54);
    assert.equal(d.payloadEnd, 59);
    assert.deepEqual([...f.subarray(d.payloadOffset, d.payloadEnd)], [1, 2, 3, 4, 5]);
    assert.equal(d.frames, 1);
    assert.equal(d.wireBytes, 1000);
    assert.equal(d.firstTsUs, 1_000_000);
    assert.deepEqual(weirds, {});
  });

  test('frame at a non-zero offset in the buffer', () => {
    const f = ethIp(innerTcp4());
    const buf = concat(new Uint8Array(7), f, new Uint8Array(5));
    const w = new WeirdCounters();
    const d = new PacketDecoder(w);
    assert.equal(d.decode(buf, 7, f.length, f.length, LinkType.Ethernet, 0), PacketKind.Ip);
    assertKey(d, INNER4);
    assert.equal(d.srcOffset, 7 + 26);
  });

  test('IPv6 / UDP and the payload length from the UDP header', () => {
    const { kind, d } = decode(ethIp(innerUdp6()));
    assert.equal(kind, PacketKind.Ip);
    assertKey(d, INNER6);
    assert.equal(d.ttl, 64);
    assert.equal(d.payloadLength, 2);
    assert.equal(d.tcpValid, false);
  });

  test('Ethernet padding after a short IP datagram is not payload', () => {
    const ip = ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, payload: hex('aa') });
    const { d } = decode(concat(ethIp(ip), new Uint8Array(17)));
    assert.equal(d.payloadLength, 1);
    assert.equal(d.payloadEnd - d.payloadOffset, 1);
  });

  test('ICMP, ICMPv6 and SCTP', () => {
    let r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', IpProto.ICMP, icmpEcho({ id: 1, seq: 2 }))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 1, srcPort: 0, dstPort: 0 });
    r = decode(ethIp(ipPacket('fe80::1', 'ff02::1', IpProto.ICMPv6, icmpv6Echo({ src: 'fe80::1', dst: 'ff02::1', id: 1, seq: 2 }))));
    assertKey(r.d, { src: 'fe80::1', dst: 'ff02::1', l4Proto: 58, srcPort: 0, dstPort: 0 });
    r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', IpProto.SCTP, sctp({ sport: 2905, dport: 2904 }))));
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 132, srcPort: 2905, dstPort: 2904 });
    assert.equal(r.d.payloadLength, 20); // INIT chunk: 4 + 16
    assert.deepEqual(r.weirds, {});
  });

  test('802.3 LLC/SNAP carrying IPv4', () => {
    const ip = innerTcp4();
    const f = concat(hex('020000000002 020000000001'), be16(8 + ip.length), hex('aaaa03 000000 0800'), ip);
    const { kind, d } = decode(f);
    assert.equal(kind, PacketKind.Ip);
    assertKey(d, INNER4);
  });

  test('802.3 plain LLC (STP) is non-IP', () => {
    const f = hex('0180c2000000 020000000001 0026 424203 00000000000000000000');
    const r = decode(f);
    assert.equal(r.kind, PacketKind.NonIp);
    assert.deepEqual(r.weirds, {});
  });

  test('802.1Q: vlan id in the key', () => {
    const { kind, d } = decode(ethernet({ etherType: EtherType.IPv4, vlans: [{ vid: 100, pcp: 5 }], payload: innerTcp4() }));
    assert.equal(kind, PacketKind.Ip);
    assertKey(d, { ...INNER4, vlan: 100 });
  });

  test('QinQ (802.1ad S-tag, then C-tag): vlan = the OUTER tag id', () => {
    const f = ethernet({ etherType: EtherType.IPv6, vlans: [{ vid: 10, tpid: 0x88a8 }, { vid: 20 }], payload: innerUdp6() });
    const { kind, d } = decode(f);
    assert.equal(kind, PacketKind.Ip);
    assertKey(d, { ...INNER6, vlan: 10 });
    // Old-style 0x9100 outer tag.
    const g = ethernet({ etherType: EtherType.IPv4, vlans: [{ vid: 7, tpid: 0x9100 }, { vid: 8 }], payload: innerTcp4() });
    assertKey(decode(g).d, { ...INNER4, vlan: 7 });
  });

  test('four VLAN tags decode, five are too deep', () => {
    const four = ethernet({ etherType: EtherType.IPv4, vlans: [1, 2, 3, 4], payload: innerTcp4() });
    assertKey(decode(four).d, { ...INNER4, vlan: 1 });
    const five = decode(ethernet({ etherType: EtherType.IPv4, vlans: [1, 2, 3, 4, 5], payload: innerTcp4() }));
    assert.equal(five.kind, PacketKind.Invalid);
    assert.deepEqual(five.weirds, { vlan_stack_too_deep: 1 });
  });

  test('truncated VLAN tag', () => {
    const r = decode(concat(hex('020000000002 020000000001 8100 00')));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_vlan: 1 });
  });

  test('MPLS stack → IPv4, → IPv6, and Ethernet pseudowire', () => {
    let r = decode(ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200, 300], payload: innerTcp4() }) }));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, INNER4);
    r = decode(ethernet({ etherType: 0x8848, payload: mpls({ labels: [16], payload: innerUdp6() }) }));
    assertKey(r.d, INNER6);
    const pw = concat(hex('00000000'), ethIp(innerTcp4()));
    r = decode(ethernet({ etherType: EtherType.MPLS, vlans: [55], payload: mpls({ labels: [1000], payload: pw }) }));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, vlan: 55 });
  });

  test('MPLS: more than 16 labels, cut stack, unknown payload', () => {
    const labels = Array.from({ length: 17 }, (_, i) => i + 16);
    let r = decode(ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels, payload: innerTcp4() }) }));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { mpls_stack_too_deep: 1 });
    r = decode(ethernet({ etherType: EtherType.MPLS, payload: hex('00064040 0006') }));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_mpls: 1 });
    r = decode(ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [16], payload: hex('ff00') }) }));
    assert.equal(r.kind, PacketKind.NonIp);
  });

  test('PPPoE session → IPv4 and IPv6; LCP is non-IP; discovery is non-IP', () => {
    let r = decode(ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 1, protocol: PppProto.IPv4, payload: innerTcp4() }) }));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, INNER4);
    r = decode(ethernet({ etherType: EtherType.PPPoESession, vlans: [300], payload: pppoe({ sessionId: 1, protocol: PppProto.IPv6, payload: innerUdp6() }) }));
    assertKey(r.d, { ...INNER6, vlan: 300 });
    r = decode(ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 1, protocol: PppProto.LCP, payload: hex('01010004') }) }));
    assert.equal(r.kind, PacketKind.NonIp);
    r = decode(ethernet({ etherType: EtherType.PPPoEDiscovery, payload: hex('1109 0000 0000') }));
    assert.equal(r.kind, PacketKind.NonIp);
    r = decode(ethernet({ etherType: EtherType.PPPoESession, payload: hex('1100 0001') }));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_pppoe: 1 });
  });

  test('ARP is non-IP with no weird; a cut ARP counts truncated_arp', () => {
    const arp = hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002');
    let r = decode(ethernet({ etherType: EtherType.ARP, payload: arp }));
    assert.equal(r.kind, PacketKind.NonIp);
    assert.deepEqual(r.weirds, {});
    r = decode(ethernet({ etherType: EtherType.ARP, payload: arp.subarray(0, 20) }));
    assert.equal(r.kind, PacketKind.NonIp);
    assert.deepEqual(r.weirds, { truncated_arp: 1 });
  });

  test('unknown EtherType is non-IP', () => {
    const r = decode(ethernet({ etherType: 0x88cc, payload: new Uint8Array(30) }));
    assert.equal(r.kind, PacketKind.NonIp);
    assert.deepEqual(r.weirds, {});
  });

  test('raw IP link types 12, 14, 101 (either version), 228 (IPv4), 229 (IPv6)', () => {
    for (const lt of [12, 14, 101]) {
      assertKey(decode(innerTcp4(), lt).d, INNER4);
      assertKey(decode(innerUdp6(), lt).d, INNER6);
    }
    assertKey(decode(innerTcp4(), 228).d, INNER4);
    assertKey(decode(innerUdp6(), 229).d, INNER6);
  });

  test('raw IP: wrong version or empty frame', () => {
    let r = decode(hex('1500 0000'), 101);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_version: 1 });
    r = decode(new Uint8Array(0), 12);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_ip: 1 });
    r = decode(innerUdp6(), 228);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_version: 1 });
    r = decode(innerTcp4(), 229);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_version: 1 });
  });

  test('Linux SLL and SLL2', () => {
    assertKey(decode(sll(0x0800, innerTcp4()), 113).d, INNER4);
    assertKey(decode(sll(0x86dd, innerUdp6()), 113).d, INNER6);
    assertKey(decode(sll2(0x0800, innerTcp4()), 276).d, INNER4);
    assertKey(decode(sll2(0x8100, concat(hex('0009 86dd'), innerUdp6())), 276).d, { ...INNER6, vlan: 9 });
    assert.equal(decode(sll(0x0004, hex('424203')), 113).kind, PacketKind.NonIp);
    let r = decode(hex('0000 0001 0006 0200'), 113);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_link_header: 1 });
    r = decode(hex('0800 0000 0000'), 276);
    assert.deepEqual(r.weirds, { truncated_link_header: 1 });
  });

  test('BSD null (both byte orders) and loop (108)', () => {
    assertKey(decode(concat(hex('02000000'), innerTcp4()), 0).d, INNER4);
    assertKey(decode(concat(hex('00000002'), innerTcp4()), 0).d, INNER4);
    assertKey(decode(concat(hex('1e000000'), innerUdp6()), 0).d, INNER6);
    assertKey(decode(concat(hex('00000018'), innerUdp6()), 0).d, INNER6);
    assertKey(decode(concat(hex('00000002'), innerTcp4()), 108).d, INNER4);
    assertKey(decode(concat(hex('0000001c'), innerUdp6()), 108).d, INNER6);
    assert.equal(decode(concat(hex('07000000'), innerTcp4()), 0).kind, PacketKind.NonIp);
    assert.deepEqual(decode(hex('020000'), 0).weirds, { truncated_link_header: 1 });
  });

  test('PPP (9, 50): with address/control, compressed protocol; LCP non-IP', () => {
    assertKey(decode(concat(hex('ff03 0021'), innerTcp4()), 9).d, INNER4);
    assertKey(decode(concat(hex('ff03 0057'), innerUdp6()), 9).d, INNER6);
    assertKey(decode(concat(hex('21'), innerTcp4()), 9).d, INNER4);
    assertKey(decode(concat(hex('ff03 0021'), innerTcp4()), 50).d, INNER4);
    assertKey(decode(concat(hex('ff03 0281'), mpls({ labels: [5], payload: innerTcp4() })), 9).d, INNER4);
    assert.equal(decode(concat(hex('ff03 c021'), hex('01010004')), 9).kind, PacketKind.NonIp);
    const r = decode(hex('ff03'), 9);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_link_header: 1 });
  });

  test('Cisco HDLC (104), and HDLC-framed frames in a PPP capture', () => {
    assertKey(decode(concat(hex('0f00 0800'), innerTcp4()), 104).d, INNER4);
    assertKey(decode(concat(hex('8f00 86dd'), innerUdp6()), 104).d, INNER6);
    assertKey(decode(concat(hex('0f00 0800'), innerTcp4()), 9).d, INNER4);
    assertKey(decode(concat(hex('8f00 86dd'), innerUdp6()), 9).d, INNER6);
    assert.equal(decode(concat(hex('8f00 8035'), new Uint8Array(20)), 104).kind, PacketKind.NonIp);
    assert.deepEqual(decode(hex('0f00 08'), 104).weirds, { truncated_link_header: 1 });
  });

  test('802.11 data frames, bare (105) and with radiotap (127)', () => {
    assertKey(decode(wifiData(0x0800, innerTcp4()), 105).d, INNER4);
    assertKey(decode(radiotap(wifiData(0x86dd, innerUdp6())), 127).d, INNER6);
    // Beacons and other management frames are non-IP, no weird.
    const beacon = decode(radiotap(concat(hex('8000 0000'), new Uint8Array(40))), 127);
    assert.equal(beacon.kind, PacketKind.NonIp);
    assert.deepEqual(beacon.weirds, {});
    assert.deepEqual(decode(hex('0000 0800 000000'), 127).weirds, { truncated_link_header: 1 });
    assert.deepEqual(decode(hex('0802 0000'), 105).weirds, { truncated_link_header: 1 });
  });

  test('unknown link type is non-IP and counted', () => {
    const r = decode(innerTcp4(), 147);
    assert.equal(r.kind, PacketKind.NonIp);
    assert.deepEqual(r.weirds, { unknown_link_type: 1 });
  });

  test('Ethernet shorter than 14 bytes: truncated_link_header', () => {
    const r = decode(hex('020000000002 0200000000'));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_link_header: 1 });
  });

  test('802.3 frame whose LLC header is cut: truncated_llc', () => {
    const r = decode(hex('020000000002 020000000001 0030 aa'));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_llc: 1 });
  });
});

// ---- IP and transport weirds ------------------------------------------------------------------

describe('PacketDecoder: IP and transport anomalies', () => {
  test('IPv4 shorter than 20 bytes: truncated_ip', () => {
    const r = decode(ethIp(innerTcp4().subarray(0, 19)));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_ip: 1 });
  });

  test('IPv4 IHL < 5: bad_ip_header_len', () => {
    const ip = innerTcp4();
    ip[0] = 0x44;
    const r = decode(ethIp(ip));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_header_len: 1 });
  });

  test('IPv4 total length < header length: bad_ip_total_len (also after a valid packet)', () => {
    const bad = ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: new Uint8Array(20), totalLength: 12 }));
    // Fresh decoder.
    const r = decode(bad);
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_total_len: 1 });
    // The same frame after a good one through the same decoder.
    const w = new WeirdCounters();
    const d = new PacketDecoder(w);
    const good = ethIp(innerTcp4());
    assert.equal(d.decode(good, 0, good.length, good.length, 1, 0), PacketKind.Ip);
    assert.equal(d.decode(bad, 0, bad.length, bad.length, 1, 0), PacketKind.Invalid);
    assert.deepEqual(w.toObject(), { bad_ip_total_len: 1 });
    // Options header (24 bytes) with a total length of 22, after a good packet.
    const opt = ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, options: hex('01010101'), payload: new Uint8Array(20), totalLength: 22 }));
    const w2 = new WeirdCounters();
    const d2 = new PacketDecoder(w2);
    d2.decode(good, 0, good.length, good.length, 1, 0);
    assert.equal(d2.decode(opt, 0, opt.length, opt.length, 1, 0), PacketKind.Invalid);
    assert.deepEqual(w2.toObject(), { bad_ip_total_len: 1 });
  });

  test('EtherType IPv4 with a version-6 header: bad_ip_version', () => {
    const r = decode(ethernet({ etherType: EtherType.IPv4, payload: innerUdp6() }));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { bad_ip_version: 1 });
    const s = decode(ethernet({ etherType: EtherType.IPv6, payload: concat(innerTcp4(), new Uint8Array(40)) }));
    assert.deepEqual(s.weirds, { bad_ip_version: 1 });
  });

  test('IPv6 shorter than 40 bytes: truncated_ipv6', () => {
    const r = decode(ethernet({ etherType: EtherType.IPv6, payload: innerUdp6().subarray(0, 39) }));
    assert.equal(r.kind, PacketKind.Invalid);
    assert.deepEqual(r.weirds, { truncated_ipv6: 1 });
  });

  test('IPv4 total length beyond the capture (snaplen): payload length from the header', () => {
    const ip = ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, payload: new Uint8Array(1000) });
    const f = ethIp(ip).subarray(0, 54 + 10);
    const r = decode(f, 1, 1054);
    assert.equal(r.kind, PacketKind.Ip);
    assert.equal(r.d.payloadLength, 1000);
    assert.equal(r.d.payloadEnd - r.d.payloadOffset, 10);
    assert.equal(r.d.wireBytes, 1054);
    assert.deepEqual(r.weirds, {});
  });

  test('IPv6 extension headers before TCP; cut chain and over-long chain are weird but keyed', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: TcpFlag.SYN });
    let r = decode(ethIp(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6, extensions: [extensionHeader(0), extensionHeader(60, new Uint8Array(10))], payload: seg })));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '2001:db8::1', dst: '2001:db8::2', l4Proto: 6, srcPort: 1, dstPort: 2 });
    assert.deepEqual(r.weirds, {});
    // Hop-by-hop claiming more than the packet holds.
    r = decode(ethIp(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 0, payload: hex('06 05 0000 00000000') })));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '2001:db8::1', dst: '2001:db8::2' });
    assert.equal(r.weirds.truncated_ipv6_ext_header, 1);
    // 17 destination-options headers.
    const exts = Array.from({ length: 17 }, () => extensionHeader(60));
    r = decode(ethIp(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6, extensions: exts, payload: seg })));
    assert.equal(r.kind, PacketKind.Ip);
    assert.deepEqual(r.weirds, { bad_ipv6_ext_header: 1 });
  });

  test('TCP cut after the ports: truncated_tcp, ports kept', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: hex('04d2 0050 0000') });
    const r = decode(ethIp(ip));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 6, srcPort: 1234, dstPort: 80 });
    assert.equal(r.d.tcpValid, false);
    assert.deepEqual(r.weirds, { truncated_tcp: 1 });
  });

  test('TCP cut before the ports: flow without ports', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: hex('04d2 00') });
    const r = decode(ethIp(ip));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 6, srcPort: 0, dstPort: 0 });
    assert.deepEqual(r.weirds, { truncated_tcp: 1 });
  });

  test('TCP data offset < 5: bad_tcp_header_len, ports kept', () => {
    const seg = tcp({ sport: 1234, dport: 80 });
    seg[12] = 0x40;
    const r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', 6, seg)));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 6, srcPort: 1234, dstPort: 80 });
    assert.equal(r.d.tcpValid, false);
    assert.deepEqual(r.weirds, { bad_tcp_header_len: 1 });
  });

  test('UDP length < 8: bad_udp_length, ports kept; UDP length > IP payload: bad_udp_length', () => {
    let r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', 17, udp({ sport: 53, dport: 5353, length: 4, payload: hex('01020304') }))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 17, srcPort: 53, dstPort: 5353 });
    assert.deepEqual(r.weirds, { bad_udp_length: 1 });
    r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', 17, udp({ sport: 53, dport: 5353, length: 100, payload: hex('01020304') }))));
    assert.equal(r.kind, PacketKind.Ip);
    assert.equal(r.d.payloadLength, 4);
    assert.deepEqual(r.weirds, { bad_udp_length: 1 });
    // UDP length shorter than the IP payload: the UDP length wins.
    r = decode(ethIp(ipPacket('10.0.0.1', '10.0.0.2', 17, udp({ sport: 53, dport: 5353, length: 10, payload: hex('01020304') }))));
    assert.equal(r.d.payloadLength, 2);
    assert.deepEqual(r.weirds, {});
  });

  test('UDP / ICMP / SCTP cut short', () => {
    let r = decode(ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: hex('0035 0035 00') })));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 17, srcPort: 53, dstPort: 53 });
    assert.deepEqual(r.weirds, { truncated_udp: 1 });
    r = decode(ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1, payload: hex('0800 00') })));
    assert.equal(r.kind, PacketKind.Ip);
    assert.deepEqual(r.weirds, { truncated_icmp: 1 });
    r = decode(ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 132, payload: hex('0b59 0b58 0000') })));
    assertKey(r.d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 132, srcPort: 2905, dstPort: 2904 });
    assert.deepEqual(r.weirds, { truncated_sctp: 1 });
  });

  test('unknown IP protocol: keyed, no ports', () => {
    const r = decode(ethIp(ipv4({ src: '10.0.0.1', dst: '224.0.0.18', proto: 112, payload: new Uint8Array(20) })));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.0.0.1', dst: '224.0.0.18', l4Proto: 112, srcPort: 0, dstPort: 0 });
  });
});

// ---- tunnels ----------------------------------------------------------------------------------

describe('PacketDecoder: tunnels', () => {
  const gre4 = (payload: Uint8Array): Uint8Array => ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.GRE, payload));

  test('GRE v0 with IPv4 inside, plain and with checksum/key/sequence', () => {
    for (const opts of [{}, { key: 0x01020304 }, { seq: 9 }, { checksum: true, key: 7, seq: 9 }]) {
      const r = decode(gre4(gre({ protocol: 0x0800, payload: innerTcp4(), ...opts })));
      assert.equal(r.kind, PacketKind.Ip, JSON.stringify(opts));
      assertKey(r.d, { ...INNER4, tunnel: 'GRE' });
      assert.deepEqual(r.weirds, {});
    }
  });

  test('GRE v0 with IPv6 inside an IPv6 outer header', () => {
    const outer = ethIp(ipPacket('2001:db8::a', '2001:db8::b', IpProto.GRE, gre({ protocol: 0x86dd, payload: innerUdp6() })));
    const r = decode(outer);
    assertKey(r.d, { ...INNER6, tunnel: 'GRE' });
  });

  test('PPTP enhanced GRE (v1) with PPP payload, uncompressed and compressed protocol', () => {
    let r = decode(gre4(pptpGre(concat(hex('ff03 0021'), innerTcp4()))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'GRE' });
    r = decode(gre4(pptpGre(concat(hex('21'), innerTcp4()))));
    assertKey(r.d, { ...INNER4, tunnel: 'GRE' });
    // Acknowledgement-only PPTP GRE: no payload, the outer flow.
    r = decode(gre4(hex('2081 880b 0000 c0de 00000001')));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...OUTER, l4Proto: 47 });
  });

  test('GRE transparent Ethernet bridging (0x6558)', () => {
    const r = decode(gre4(gre({ protocol: 0x6558, key: 5, payload: ethernet({ etherType: EtherType.IPv4, payload: innerTcp4() }) })));
    assertKey(r.d, { ...INNER4, tunnel: 'GRE' });
  });

  test('ERSPAN type II and III', () => {
    let r = decode(gre4(erspan2(ethIp(innerTcp4()))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'GRE' });
    r = decode(gre4(erspan3(ethIp(innerUdp6()))));
    assertKey(r.d, { ...INNER6, tunnel: 'GRE' });
    r = decode(gre4(hex('1000 88be 00000001 1064')));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...OUTER, l4Proto: 47 });
    assert.deepEqual(r.weirds, { truncated_tunnel: 1 });
  });

  test('GRE with the routing bit, or version 2: outer flow, one weird', () => {
    let r = decode(gre4(hex('4000 0800 00000000 00000000')));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...OUTER, l4Proto: 47 });
    assert.equal(Object.values(r.weirds).reduce((a, b) => a + b, 0), 1);
    r = decode(gre4(hex('0002 0800 00000000')));
    assertKey(r.d, { ...OUTER, l4Proto: 47 });
    assert.deepEqual(r.weirds, { unknown_gre_version: 1 });
    r = decode(gre4(hex('0000 08')));
    assertKey(r.d, { ...OUTER, l4Proto: 47 });
    assert.deepEqual(r.weirds, { truncated_gre: 1 });
  });

  test('IP-in-IP, 6in4, 4in6, 6in6', () => {
    let r = decode(ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.IPIP, innerTcp4())));
    assertKey(r.d, { ...INNER4, tunnel: 'IPIP' });
    r = decode(ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.IPv6, innerUdp6())));
    assertKey(r.d, { ...INNER6, tunnel: '6in4' });
    r = decode(ethIp(ipPacket('2001:db8::a', '2001:db8::b', IpProto.IPIP, innerTcp4())));
    assertKey(r.d, { ...INNER4, tunnel: '4in6' });
    r = decode(ethIp(ipPacket('2001:db8::a', '2001:db8::b', IpProto.IPv6, innerUdp6())));
    assertKey(r.d, { ...INNER6, tunnel: '6in6' });
    assert.equal(r.d.ttl, 64);
  });

  test('inner TTL is the inner header\'s', () => {
    const inner = ipTcp({ src: '192.168.1.10', dst: '93.184.216.34', sport: 1, dport: 2, ip: { ttl: 7 } });
    const r = decode(ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.IPIP, inner, { ttl: 200 })));
    assert.equal(r.d.ttl, 7);
  });

  test('GTP-U G-PDU, without and with extension headers, either port', () => {
    let r = decode(outerUdp(2152, 2152, gtpU(innerTcp4())));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'GTP' });
    r = decode(outerUdp(2152, 2152, gtpU(innerUdp6(), { ext: true })));
    assertKey(r.d, { ...INNER6, tunnel: 'GTP' });
    r = decode(outerUdp(40000, 2152, gtpU(innerTcp4())));
    assertKey(r.d, { ...INNER4, tunnel: 'GTP' });
    r = decode(outerUdp(2152, 40000, gtpU(innerTcp4())));
    assertKey(r.d, { ...INNER4, tunnel: 'GTP' });
  });

  test('GTP-U non-T-PDU (echo request) stays the outer UDP flow', () => {
    const r = decode(outerUdp(2152, 2152, gtpU(hex('0e00'), { type: 1 })));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...OUTER, l4Proto: 17, srcPort: 2152, dstPort: 2152 });
    assert.deepEqual(r.weirds, {});
  });

  test('GTP-U with a bad extension length stays the outer UDP flow', () => {
    const bad = concat(hex('34ff 0018 00001234 0000 00 85 00 000000'), innerTcp4().subarray(0, 12));
    const r = decode(outerUdp(2152, 2152, bad));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...OUTER, l4Proto: 17, srcPort: 2152, dstPort: 2152 });
  });

  test('VXLAN', () => {
    const r = decode(outerUdp(54321, 4789, vxlan(ethIp(innerTcp4()))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'VXLAN' });
    // VXLAN sent from port 4789 only is not taken as VXLAN.
    const s = decode(outerUdp(4789, 54321, vxlan(ethIp(innerTcp4()))));
    assertKey(s.d, { ...OUTER, l4Proto: 17, srcPort: 4789, dstPort: 54321 });
  });

  test('Geneve: Ethernet payload (0x6558) and IPv4 payload (0x0800)', () => {
    let r = decode(outerUdp(54321, 6081, geneve(0x6558, ethIp(innerUdp6()))));
    assertKey(r.d, { ...INNER6, tunnel: 'Geneve' });
    r = decode(outerUdp(54321, 6081, geneve(0x0800, innerTcp4())));
    assertKey(r.d, { ...INNER4, tunnel: 'Geneve' });
  });

  test('Teredo: bare and with origin indication', () => {
    let r = decode(outerUdp(3544, 40000, innerUdp6()));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER6, tunnel: 'Teredo' });
    r = decode(outerUdp(40000, 3544, concat(hex('0000 1234 c0000201'), innerUdp6())));
    assertKey(r.d, { ...INNER6, tunnel: 'Teredo' });
    // Plain UDP on 3544 that is not IPv6 stays itself.
    r = decode(outerUdp(40000, 3544, new Uint8Array(60).fill(0x41)));
    assertKey(r.d, { ...OUTER, l4Proto: 17, srcPort: 40000, dstPort: 3544 });
  });

  test('CAPWAP data with an 802.3 frame', () => {
    const r = decode(outerUdp(5247, 5247, capwap8023(ethIp(innerTcp4()))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'CAPWAP' });
  });

  test('CAPWAP data with a native 802.11 frame (T = 1, WBID = 1)', () => {
    const r = decode(outerUdp(40000, 5247, capwap80211(wifiData(0x0800, innerTcp4()))));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { ...INNER4, tunnel: 'CAPWAP' });
  });

  test('nested tunnels: the record names the outermost', () => {
    // VXLAN → Ethernet → GRE → IPv4.
    const greInside = ethIp(ipPacket('172.16.0.1', '172.16.0.2', IpProto.GRE, gre({ protocol: 0x0800, payload: innerTcp4() })));
    let r = decode(outerUdp(1, 4789, vxlan(greInside)));
    assertKey(r.d, { ...INNER4, tunnel: 'VXLAN' });
    // GTP → IPv4 → IPIP → IPv4
    const ipip = ipPacket('172.16.0.1', '172.16.0.2', IpProto.IPIP, innerTcp4());
    r = decode(outerUdp(2152, 2152, gtpU(ipip)));
    assertKey(r.d, { ...INNER4, tunnel: 'GTP' });
    assert.equal(r.d.tunnel, Tunnel.Gtp);
  });

  test('four nested tunnels decode; a fifth is tunnel_too_deep and the fourth inner flow is kept', () => {
    const nest = (n: number): Uint8Array => {
      let p = innerTcp4();
      for (let i = 0; i < n; i++) p = ipPacket(`10.9.${i}.1`, `10.9.${i}.2`, IpProto.IPIP, p);
      return p;
    };
    let r = decode(ethIp(nest(4)));
    assertKey(r.d, { ...INNER4, tunnel: 'IPIP' });
    assert.deepEqual(r.weirds, {});
    r = decode(ethIp(nest(5)));
    assert.equal(r.kind, PacketKind.Ip);
    assertKey(r.d, { src: '10.9.0.1', dst: '10.9.0.2', l4Proto: 4, tunnel: 'IPIP' });
    assert.deepEqual(r.weirds, { tunnel_too_deep: 1 });
  });

  test('tunnels with garbage inside fall back to the outer flow without throwing', () => {
    const junk = new Uint8Array(64).fill(0x44); // version 4 with IHL 4: never a valid header
    const cases: [string, Uint8Array, Partial<Key>][] = [
      ['GRE/IPv4', gre4(gre({ protocol: 0x0800, payload: junk })), { l4Proto: 47 }],
      ['GRE/IPv6', gre4(gre({ protocol: 0x86dd, payload: junk })), { l4Proto: 47 }],
      ['GRE/TEB', gre4(gre({ protocol: 0x6558, payload: hex('0102') })), { l4Proto: 47 }],
      ['GRE/unknown', gre4(gre({ protocol: 0x1234, payload: junk })), { l4Proto: 47 }],
      ['PPTP', gre4(pptpGre(concat(hex('ff03 0021'), junk.subarray(0, 10)))), { l4Proto: 47 }],
      ['IPIP', ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.IPIP, junk.subarray(0, 10))), { l4Proto: 4 }],
      ['6in4', ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.IPv6, junk.subarray(0, 30))), { l4Proto: 41 }],
      ['GTP', outerUdp(2152, 2152, gtpU(junk.subarray(0, 12))), { l4Proto: 17, srcPort: 2152, dstPort: 2152 }],
      ['GTP/non-IP', outerUdp(2152, 2152, gtpU(hex('0102030405'))), { l4Proto: 17, srcPort: 2152, dstPort: 2152 }],
      ['VXLAN', outerUdp(1, 4789, vxlan(ethernet({ etherType: 0x0800, payload: junk.subarray(0, 8) }))), { l4Proto: 17, srcPort: 1, dstPort: 4789 }],
      ['VXLAN/ARP', outerUdp(1, 4789, vxlan(ethernet({ etherType: 0x0806, payload: new Uint8Array(28) }))), { l4Proto: 17, srcPort: 1, dstPort: 4789 }],
      ['VXLAN/short', outerUdp(1, 4789, hex('08000000 00002a00 0102')), { l4Proto: 17, srcPort: 1, dstPort: 4789 }],
      ['Geneve', outerUdp(1, 6081, geneve(0x0800, junk.subarray(0, 8))), { l4Proto: 17, srcPort: 1, dstPort: 6081 }],
      ['CAPWAP', outerUdp(5247, 5247, capwap8023(hex('0102030405'))), { l4Proto: 17, srcPort: 5247, dstPort: 5247 }],
      ['Teredo', outerUdp(3544, 1, junk), { l4Proto: 17, srcPort: 3544, dstPort: 1 }],
    ];
    for (const [name, frame, want] of cases) {
      const r = decode(frame);
      assert.equal(r.kind, PacketKind.Ip, name);
      assert.doesNotThrow(() => assertKey(r.d, { ...OUTER, ...want }), name);
      assertKey(r.d, { ...OUTER, ...want });
    }
  });
});

// ---- reuse ----------------------------------------------------------------------------------------

describe('PacketDecoder: one decoder, many packets', () => {
  test('VLAN, tunnel, ports and TCP fields do not leak into the next packet', () => {
    const w = new WeirdCounters();
    const d = new PacketDecoder(w);
    const run = (f: Uint8Array, lt: number = LinkType.Ethernet) => d.decode(f, 0, f.length, f.length, lt, 0);
    const tunnelled = ethernet({ etherType: EtherType.IPv4, vlans: [42], payload: ipPacket(OUTER.src, OUTER.dst, IpProto.GRE, gre({ protocol: 0x0800, payload: innerTcp4() })) });
    assert.equal(run(tunnelled), PacketKind.Ip);
    assertKey(d, { ...INNER4, vlan: 42, tunnel: 'GRE' });
    assert.equal(d.tcpValid, true);
    assert.equal(run(ethIp(innerUdp6())), PacketKind.Ip);
    assertKey(d, INNER6);
    assert.equal(d.tcpValid, false);
    assert.equal(run(ethIp(ipPacket('10.0.0.1', '10.0.0.2', IpProto.ICMP, icmpEcho({ id: 1, seq: 1 })))), PacketKind.Ip);
    assertKey(d, { src: '10.0.0.1', dst: '10.0.0.2', l4Proto: 1, srcPort: 0, dstPort: 0 });
    assert.equal(run(outerUdp(1, 4789, vxlan(ethIp(innerTcp4())))), PacketKind.Ip);
    assertKey(d, { ...INNER4, tunnel: 'VXLAN' });
    assert.equal(run(innerTcp4(), 101), PacketKind.Ip);
    assertKey(d, INNER4);
    assert.equal(d.frames, 1);
    assert.deepEqual(w.toObject(), {});
  });
});

// ---- robustness ---------------------------------------------------------------------------------

describe('PacketDecoder: robustness', () => {
  /** xorshift32, deterministic. */
  function rng(seed: number): () => number {
    let s = seed >>> 0 || 1;
    return () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s;
    };
  }

  test('random bytes and bit-flipped tunnel frames never throw, on every link type', () => {
    const next = rng(12345);
    const w = new WeirdCounters();
    const d = new PacketDecoder(w);
    const seeds = [
      ethIp(innerTcp4()),
      ethIp(ipPacket(OUTER.src, OUTER.dst, IpProto.GRE, gre({ protocol: 0x6558, key: 1, payload: ethIp(innerUdp6()) }))),
      outerUdp(2152, 2152, gtpU(innerTcp4(), { ext: true })),
      outerUdp(1, 4789, vxlan(ethIp(innerTcp4()))),
      outerUdp(5247, 5247, capwap80211(wifiData(0x0800, innerTcp4()))),
      ethernet({ etherType: EtherType.MPLS, vlans: [1, 2], payload: mpls({ labels: [1, 2], payload: innerUdp6() }) }),
      ethIp(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6, extensions: [extensionHeader(0), { type: 44, body: hex('00 0001 00000001') }], payload: tcp({ sport: 1, dport: 2 }) })),
    ];
    const linkTypes = [0, 1, 9, 12, 14, 50, 101, 104, 105, 108, 113, 127, 228, 229, 276, 999];
    let n = 0;
    for (let round = 0; round < 400; round++) {
      const base = seeds[round % seeds.length]!;
      const f = base.slice(0, 1 + (next() % base.length));
      for (let k = next() % 4; k >= 0; k--) f[next() % f.length] ^= 1 << next() % 8;
      const rand = new Uint8Array(next() % 80);
      for (let i = 0; i < rand.length; i++) rand[i] = next() & 0xff;
      for (const lt of linkTypes) {
        for (const frame of [f, rand]) {
          const kind = d.decode(frame, 0, frame.length, frame.length, lt, round);
          assert.ok(kind >= 0 && kind <= 3);
          n++;
        }
      }
    }
    assert.equal(n, 400 * linkTypes.length * 2);
    d.defrag.flush(() => {
      d.decodeIncomplete();
    });
  });
});

// W is imported for the name table; make sure a weird name used above exists there.
test('weird names used by these tests exist', () => {
  for (const n of ['truncated_llc', 'truncated_link_header', 'tunnel_too_deep', 'truncated_tunnel', 'bad_ip_total_len'] as const) assert.equal(typeof W[n], 'number');
});
