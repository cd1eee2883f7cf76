import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkType } from '../../capture/frame.js';
import { concat, EtherType, ethernet, fragmentIpv4, fragmentIpv6, gre, ipTcp, ipUdp, ipv4, mpls, PppProto, pppoe } from '../../testing/packet-builder.js';
import { seededRandom } from '../../testing/random.js';
import { FrameSharder } from './shard.js';

const sharder = new FrameSharder();
const hashOf = (frame: Uint8Array, linkType: number = LinkType.Ethernet): number => sharder.hash(frame, 0, frame.length, linkType);

const A4 = '10.1.2.3';
const B4 = '192.0.2.77';
const A6 = '2001:db8::1';
const B6 = 'fe80::1234:5678';

function tcpPacket(src: string, dst: string, sport: number, dport: number): Uint8Array {
  return ipTcp({ src, dst, sport, dport, seq: 1, flags: 0x18, payload: new Uint8Array(20) });
}

/** Link-layer wrappings of an IP packet: [name, link type, frame]. */
function wrappings(ip: Uint8Array): Array<[string, number, Uint8Array]> {
  const type = ip[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4;
  const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
  const sll = concat(new Uint8Array(14), u16(type), ip);
  const sll2 = concat(u16(type), new Uint8Array(18), ip);
  const af = ip[0]! >> 4 === 6 ? 30 : 2;
  return [
    ['Ethernet', LinkType.Ethernet, ethernet({ etherType: type, payload: ip })],
    ['VLAN', LinkType.Ethernet, ethernet({ etherType: type, vlans: [7], payload: ip })],
    ['QinQ', LinkType.Ethernet, ethernet({ etherType: type, vlans: [{ vid: 100, tpid: 0x88a8 }, 200], payload: ip })],
    ['MPLS', LinkType.Ethernet, ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [16, 17], payload: ip }) })],
    ['PPPoE', LinkType.Ethernet, ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 1, protocol: type === EtherType.IPv6 ? PppProto.IPv6 : PppProto.IPv4, payload: ip }) })],
    ['LLC/SNAP', LinkType.Ethernet, concat(new Uint8Array(12), u16(ip.length + 8), Uint8Array.of(0xaa, 0xaa, 0x03, 0, 0, 0), u16(type), ip)],
    ['SLL', LinkType.LinuxSll, sll],
    ['SLL2', LinkType.LinuxSll2, sll2],
    ['null', LinkType.Null, concat(Uint8Array.of(af, 0, 0, 0), ip)],
    ['loop', LinkType.Loop, concat(Uint8Array.of(0, 0, 0, af), ip)],
    ['raw', LinkType.Raw, ip],
    ['raw (101)', LinkType.RawIp, ip],
    ['PPP', LinkType.Ppp, concat(Uint8Array.of(0xff, 0x03), u16(type === EtherType.IPv6 ? 0x57 : 0x21), ip)],
    ['Cisco HDLC', LinkType.CiscoHdlc, concat(Uint8Array.of(0x0f, 0x00), u16(type), ip)],
  ];
}

test('shard: both directions hash alike under every link layer, and the link layer does not matter', () => {
  for (const [a, b] of [
    [A4, B4],
    [A6, B6],
  ] as const) {
    const fwd = tcpPacket(a!, b!, 40000, 443);
    const rev = tcpPacket(b!, a!, 443, 40000);
    const base = hashOf(ethernet({ etherType: fwd[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4, payload: fwd }));
    assert.ok(base >= 0);
    for (const [name, lt, frame] of wrappings(fwd)) assert.equal(hashOf(frame, lt), base, `${name} ${a} → ${b}`);
    for (const [name, lt, frame] of wrappings(rev)) assert.equal(hashOf(frame, lt), base, `${name} ${b} → ${a}`);
    const linkIp = fwd[0]! >> 4 === 6 ? LinkType.Ipv6 : LinkType.Ipv4;
    assert.equal(hashOf(fwd, linkIp), base, 'LINKTYPE_IPV4/IPV6');
  }
});

test('shard: ports and protocol do not matter, so every fragment goes where its datagram goes', () => {
  const whole = ipUdp({ src: A4, dst: B4, sport: 5000, dport: 53, payload: new Uint8Array(3000) });
  const h = hashOf(ethernet({ etherType: EtherType.IPv4, payload: whole }));
  const frags = fragmentIpv4(whole, 1000);
  assert.ok(frags.length >= 3);
  for (const f of frags) assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: f })), h);
  assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: tcpPacket(B4, A4, 1, 2) })), h);
  const whole6 = ipUdp({ src: A6, dst: B6, sport: 5000, dport: 53, payload: new Uint8Array(3000) });
  const h6 = hashOf(ethernet({ etherType: EtherType.IPv6, payload: whole6 }));
  for (const f of fragmentIpv6(whole6, 1000, 99)) assert.equal(hashOf(ethernet({ etherType: EtherType.IPv6, payload: f })), h6);
});

test('shard: a tunnelled flow goes by its inner pair (the flow key), whatever tunnel carries it', () => {
  const inner = tcpPacket('172.16.0.1', '172.16.0.2', 1234, 80);
  const plain = hashOf(ethernet({ etherType: EtherType.IPv4, payload: tcpPacket('172.16.0.2', '172.16.0.1', 80, 1234) }));
  const outer = hashOf(ethernet({ etherType: EtherType.IPv4, payload: tcpPacket(A4, B4, 9, 9) }));
  assert.notEqual(plain, outer);
  const viaGre = (src: string, dst: string, payload: Uint8Array) => ethernet({ etherType: EtherType.IPv4, payload: ipv4({ src, dst, proto: 47, payload: gre({ protocol: EtherType.IPv4, payload }) }) });
  assert.equal(hashOf(viaGre(A4, B4, inner)), plain, 'GRE');
  assert.equal(hashOf(viaGre('198.51.100.9', B4, inner)), plain, 'another tunnel, the same flow');
  assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: ipv4({ src: A4, dst: B4, proto: 4, payload: inner }) })), plain, 'IP-in-IP');
  const vxlanHeader = Uint8Array.of(0x08, 0, 0, 0, 0, 0, 42, 0);
  const vxlan = ipUdp({ src: A4, dst: B4, sport: 50000, dport: 4789, payload: concat(vxlanHeader, ethernet({ etherType: EtherType.IPv4, payload: inner })) });
  assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: vxlan })), plain, 'VXLAN');
  // What the decoder does not enter keeps the outer pair: a broken inner header, and a
  // fragment of the outer packet (the defragmenter needs all of them together).
  assert.equal(hashOf(viaGre(A4, B4, inner.subarray(0, 12))), outer, 'truncated inner header');
  const big = ipv4({ src: A4, dst: B4, proto: 47, payload: gre({ protocol: EtherType.IPv4, payload: ipUdp({ src: '172.16.0.1', dst: '172.16.0.2', sport: 1, dport: 2, payload: new Uint8Array(3000) }) }) });
  for (const f of fragmentIpv4(big, 1400)) assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: f })), outer, 'outer fragment');
  // Fragments inside the tunnel go by the inner pair, with the rest of their flow.
  for (const f of fragmentIpv4(ipUdp({ src: '172.16.0.1', dst: '172.16.0.2', sport: 1, dport: 2, payload: new Uint8Array(3000) }), 1400)) {
    assert.equal(hashOf(viaGre(A4, B4, f)), plain, 'inner fragment');
  }
});

test('shard: frames the decoder finds no IP header in get -1 (worker 0)', () => {
  const arp = ethernet({ etherType: 0x0806, payload: new Uint8Array(28) });
  assert.equal(hashOf(arp), -1);
  const ip = tcpPacket(A4, B4, 1, 2);
  assert.equal(hashOf(ethernet({ etherType: EtherType.IPv4, payload: ip.subarray(0, 19) })), -1, 'addresses cut by the snap length');
  assert.equal(hashOf(new Uint8Array(10)), -1, 'runt Ethernet');
  assert.equal(hashOf(ip, 9999), -1, 'unknown link type');
  assert.equal(hashOf(Uint8Array.of(0x50, 0, 0, 0), LinkType.Raw), -1, 'IP version 5');
  const fiveTags = ethernet({ etherType: EtherType.IPv4, vlans: [1, 2, 3, 4, 5], payload: ip });
  assert.equal(hashOf(fiveTags), -1, 'a VLAN stack the decoder refuses');
  assert.ok(hashOf(ethernet({ etherType: EtherType.IPv4, vlans: [1, 2, 3, 4], payload: ip })) >= 0);
});

test('shard: never throws on random bytes, whatever the link type', () => {
  const rnd = seededRandom(7);
  const types = Object.values(LinkType);
  for (let i = 0; i < 20_000; i++) {
    const b = Uint8Array.from({ length: Math.floor(rnd() * 120) }, () => Math.floor(rnd() * 256));
    if (rnd() < 0.5 && b.length > 14) b[12] = rnd() < 0.5 ? 0x81 : 0x88;
    const h = sharder.hash(b, 0, b.length, types[i % types.length]!);
    assert.ok(h === -1 || (Number.isInteger(h) && h >= 0 && h <= 0xffffffff));
  }
});

test('shard: address pairs spread evenly over 2 and 3 workers', () => {
  const rnd = seededRandom(3);
  const ip = () => `10.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
  for (const n of [2, 3]) {
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < 3000; i++) counts[hashOf(ethernet({ etherType: EtherType.IPv4, payload: tcpPacket(ip(), ip(), 1, 2) })) % n]!++;
    for (const c of counts) assert.ok(Math.abs(c - 3000 / n) < 0.1 * (3000 / n), `${n} workers: ${counts.join(', ')}`);
  }
});
