/**
 * The packet builders against real packets: each test rebuilds a frame of a corpus capture
 * (read with Sonda's reader) from its field values and expects the very same bytes,
 * checksums included.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../capture/read-capture.js';
import {
  crc32c,
  EtherType,
  ethernet,
  extensionHeader,
  fragmentIpv4,
  fragmentIpv6,
  gre,
  hex,
  icmpEcho,
  icmpv6Echo,
  internetChecksum,
  IpProto,
  ipTcp,
  ipUdp,
  ipv4,
  ipv4Addr,
  ipv6,
  ipv6Addr,
  mpls,
  pppoe,
  PppProto,
  pseudoHeader,
  sctp,
  sctpData,
  TcpFlag,
  tcp,
  text,
  udp,
  vlan,
} from './packet-builder.js';

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** Frame number `n` (1-based, as Wireshark counts) of a corpus capture. */
async function corpusFrame(file: string, n: number): Promise<Uint8Array> {
  let i = 0;
  let out: Uint8Array | undefined;
  await readCapture(join(CORPUS, file), {
    frame(d, o, caplen) {
      if (++i === n) out = Uint8Array.from(d.subarray(o, o + caplen));
    },
  });
  assert.ok(out, `${file} has a frame ${n}`);
  return out;
}

describe('packet builders rebuild real packets byte for byte', () => {
  test('IPv4 TCP SYN with options (443-curl.pcap #1)', async () => {
    const built = ethernet({
      dst: '10:13:31:f1:39:76',
      src: '28:37:37:00:6d:c8',
      etherType: EtherType.IPv4,
      payload: ipTcp({
        src: '192.168.1.13',
        dst: '178.62.197.130',
        ip: { id: 0, df: true, ttl: 64 },
        sport: 55523,
        dport: 443,
        seq: 0xcc777695,
        flags: TcpFlag.SYN,
        window: 65535,
        options: hex('020405b4 01030305 0101080a 1e6245b7 00000000 04020000'),
      }),
    });
    assert.deepEqual(built, await corpusFrame('ndpi/pcap/443-curl.pcap', 1));
  });

  test('IPv6 TCP with a flow label (pinterest.pcap #1)', async () => {
    const built = ethernet({
      dst: 'aa:db:03:af:c9:64',
      src: 'e4:42:a6:e5:63:f2',
      etherType: EtherType.IPv6,
      payload: ipTcp({
        src: '2a01:cb01:2049:8b07:991d:ec85:28df:f629',
        dst: '64:ff9b::9765:7854',
        ip: { flowLabel: 0x8c9a3, hopLimit: 64 },
        sport: 33164,
        dport: 443,
        seq: 0xd54360bd,
        ack: 0xb52d681e,
        flags: TcpFlag.ACK,
        window: 501,
        options: hex('0101080a cfaa230c c2b862f8'),
      }),
    });
    assert.deepEqual(built, await corpusFrame('ndpi/pcap/pinterest.pcap', 1));
  });

  test('IPv4 UDP DNS response (dns.pcap #1)', async () => {
    const built = ethernet({
      dst: '00:e0:18:b1:0c:ad',
      src: '00:c0:9f:32:41:8c',
      etherType: EtherType.IPv4,
      payload: ipUdp({
        src: '192.168.170.20',
        dst: '192.168.170.8',
        ip: { id: 0xd539, ttl: 128 },
        sport: 53,
        dport: 32795,
        payload: hex('dca2 8180 0001 0000 0000 0000 03777777 016c 06676f6f676c65 03636f6d 00 001c 0001'),
      }),
    });
    assert.deepEqual(built, await corpusFrame('ndpi/pcap/dns.pcap', 1));
  });

  test('ICMP echo request (googledns_android10.pcap #81)', async () => {
    const payload = hex('7a6dec5e00000000eac7070000000000');
    const pattern = Uint8Array.from({ length: 40 }, (_, i) => 0x10 + i);
    const built = ethernet({
      dst: '10:13:31:f1:39:76',
      src: '6a:0f:da:86:9b:90',
      etherType: EtherType.IPv4,
      payload: ipv4({
        src: '192.168.1.159',
        dst: '8.8.8.8',
        proto: IpProto.ICMP,
        id: 0x97d0,
        df: true,
        payload: icmpEcho({ id: 2, seq: 1, payload: new Uint8Array([...payload, ...pattern]) }),
      }),
    });
    assert.deepEqual(built, await corpusFrame('ndpi/pcap/googledns_android10.pcap', 81));
  });

  test('IPv6 routing header + ICMPv6 echo (tcpdump ipv6-routing-header.pcap #1)', async () => {
    const finalDst = '2200::210:2:0:0:4';
    const routing = new Uint8Array([0, 1, 0, 0, 0, 0, ...ipv6Addr(finalDst)]); // type 0, 1 segment left
    const built = ethernet({
      dst: '00:13:c4:c7:84:f0',
      src: '00:12:3f:ae:22:f7',
      etherType: EtherType.IPv6,
      payload: ipv6({
        src: '2200::244:212:3fff:feae:22f7',
        dst: '2200::240:2:0:0:4',
        hopLimit: 4,
        extensions: [extensionHeader(IpProto.Routing, routing)],
        nextHeader: IpProto.ICMPv6,
        // The checksum is computed to the final destination (RFC 8200 §8.1).
        payload: icmpv6Echo({ src: '2200::244:212:3fff:feae:22f7', dst: finalDst, id: 0, seq: 0 }),
      }),
    });
    assert.deepEqual(built, await corpusFrame('tcpdump/ipv6-routing-header.pcap', 1));
  });
});

describe('packet builders: checksums and encodings', () => {
  test('IPv4 header checksum: the RFC 1071 example header', () => {
    const h = ipv4({
      src: '192.168.0.1',
      dst: '192.168.0.199',
      proto: IpProto.UDP,
      df: true,
      payload: new Uint8Array(95),
    }).subarray(0, 20);
    assert.deepEqual(h, hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7'));
  });

  test('TCP and UDP checksums verify over the pseudo-header (v4 and v6)', () => {
    for (const [src, dst] of [
      ['10.0.0.1', '10.0.0.2'],
      ['2001:db8::1', '2001:db8::2'],
    ] as const) {
      const payload = text('odd length payload!');
      const t = tcp({ src, dst, sport: 1, dport: 2, payload });
      assert.equal(internetChecksum(pseudoHeader(src, dst, IpProto.TCP, t.length), t), 0);
      const u = udp({ src, dst, sport: 1, dport: 2, payload });
      assert.equal(internetChecksum(pseudoHeader(src, dst, IpProto.UDP, u.length), u), 0);
    }
  });

  test('CRC-32C check values (RFC 3720 B.4) and SCTP', () => {
    assert.equal(crc32c(text('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    const p = sctp({ sport: 2905, dport: 2905, verificationTag: 7, chunks: [sctpData({ tsn: 1, data: text('hi') })] });
    assert.equal(p.length, 12 + 16 + 4); // header, DATA chunk with 2 bytes padded to 4
    const stored = p[8]! | (p[9]! << 8) | (p[10]! << 16) | (p[11]! << 24);
    const zeroed = p.slice();
    zeroed.fill(0, 8, 12);
    assert.equal(stored >>> 0, crc32c(zeroed));
  });

  test('addresses', () => {
    assert.deepEqual(ipv4Addr('192.0.2.1'), Uint8Array.of(192, 0, 2, 1));
    assert.deepEqual(ipv6Addr('::'), new Uint8Array(16));
    assert.deepEqual(ipv6Addr('::1'), Uint8Array.of(...new Array(15).fill(0), 1));
    assert.deepEqual(ipv6Addr('2001:db8::ff00:42:8329'), hex('20010db8000000000000ff0000428329'));
    assert.deepEqual(ipv6Addr('::ffff:192.0.2.1'), hex('00000000000000000000ffffc0000201'));
    assert.deepEqual(ipv6Addr('1:2:3:4:5:6:7:8'), hex('00010002000300040005000600070008'));
    for (const bad of ['1::2::3', '1:2:3', '12345::', '1.2.3', '256.0.0.1']) {
      assert.throws(() => ipAddrAny(bad), /bad IPv[46] address/, bad);
    }
  });

  test('VLAN, QinQ, MPLS, PPPoE, GRE encodings', () => {
    const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, payload: new Uint8Array(8) });
    const tagged = ethernet({
      etherType: EtherType.IPv4,
      vlans: [{ vid: 100, tpid: EtherType.QinQ }, 200],
      payload: ip,
    });
    assert.deepEqual(tagged.subarray(12, 22), hex('88a8 0064 8100 00c8 0800'));
    assert.deepEqual(
      ethernet({ etherType: EtherType.VLAN, payload: vlan({ vid: 5, pcp: 3, etherType: 0x0800, payload: ip }) }),
      ethernet({ etherType: 0x0800, vlans: [{ vid: 5, pcp: 3 }], payload: ip }),
    );
    assert.deepEqual(
      mpls({ labels: [16, { label: 17, ttl: 5 }], payload: ip }).subarray(0, 8),
      hex('00010040 00011105'),
    );
    assert.deepEqual(
      pppoe({ sessionId: 0x1234, protocol: PppProto.IPv4, payload: ip }).subarray(0, 8),
      hex('1100 1234 001e 0021'),
    );
    const g = gre({ protocol: EtherType.IPv4, key: 0xabcd, seq: 9, checksum: true, payload: ip });
    assert.deepEqual(g.subarray(0, 4), hex('b000 0800'));
    assert.equal(internetChecksum(g), 0);
    assert.deepEqual(g.subarray(8, 16), hex('0000abcd 00000009'));
  });

  test('IPv4 fragmentation: offsets, MF, checksums, payload reassembles', () => {
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const opts = Uint8Array.of(0x94, 4, 0, 0, 0x07, 3, 4, 0); // router alert (copied) + record route (not)
    const dgram = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.UDP, id: 77, options: opts, payload });
    const frags = fragmentIpv4(dgram, 1000);
    assert.equal(frags.length, 3);
    const parts: number[] = [];
    frags.forEach((f, i) => {
      const hl = (f[0]! & 15) * 4;
      assert.equal(internetChecksum(f.subarray(0, hl)), 0);
      assert.equal(hl, i === 0 ? 28 : 24, 'only the copied option repeats');
      const flags = (f[6]! << 8) | f[7]!;
      assert.equal((flags & 0x1fff) * 8, i * 1000);
      assert.equal((flags & 0x2000) !== 0, i < 2);
      assert.equal((f[4]! << 8) | f[5]!, 77);
      parts.push(...f.subarray(hl));
    });
    assert.deepEqual(Uint8Array.from(parts), payload);
  });

  test('IPv6 fragmentation: Fragment header after the unfragmentable part', () => {
    const payload = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
    const pkt = ipv6({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      extensions: [extensionHeader(IpProto.HopByHop), extensionHeader(IpProto.DestOpts)],
      nextHeader: IpProto.UDP,
      payload,
    });
    const frags = fragmentIpv6(pkt, 800, 0xdeadbeef);
    assert.equal(frags.length, 3);
    const rest: number[] = [];
    frags.forEach((f, i) => {
      assert.equal(f[6], IpProto.HopByHop);
      assert.equal(f[40], IpProto.Fragment, 'HBH now announces the Fragment header');
      assert.equal((f[4]! << 8) | f[5]!, f.length - 40);
      const fh = f.subarray(48, 56);
      assert.equal(fh[0], IpProto.DestOpts, 'the fragmentable part starts with the DestOpts header');
      const offMore = (fh[2]! << 8) | fh[3]!;
      assert.equal(offMore & 0xfff8, i * 800);
      assert.equal(offMore & 1, i < 2 ? 1 : 0);
      assert.deepEqual(fh.subarray(4), hex('deadbeef'));
      rest.push(...f.subarray(56));
    });
    assert.deepEqual(Uint8Array.from(rest), pkt.subarray(48));
  });
});

function ipAddrAny(s: string): Uint8Array {
  return s.includes(':') ? ipv6Addr(s) : ipv4Addr(s);
}
