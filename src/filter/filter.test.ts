import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import { main } from '../cli/main.js';
import { PacketDecoder } from '../decode/decoder.js';
import { WeirdCounters } from '../decode/weirds.js';
import { Engine } from '../engine/engine.js';
import {
  EtherType,
  ethernet,
  ethIp,
  fragmentIpv4,
  fragmentIpv6,
  gre,
  hex,
  IpProto,
  icmpEcho,
  ipTcp,
  ipUdp,
  ipv4,
  ipv6,
  mpls,
  PppProto,
  pppoe,
  TcpFlag,
} from '../testing/packet-builder.js';
import { compileFilter } from './index.js';

const decoder = new PacketDecoder(new WeirdCounters());

/** Whether `expr` matches the frame, with both back ends (which must agree). */
function matches(expr: string, frame: Uint8Array, linkType: number = LinkType.Ethernet, wireLen = frame.length, caplen = frame.length): boolean {
  const f = compileFilter(expr).matches(decoder, frame, 0, caplen, wireLen, linkType);
  const c = compileFilter(expr, { backend: 'closure' }).matches(decoder, frame, 0, caplen, wireLen, linkType);
  assert.equal(c, f, `backends disagree on ${JSON.stringify(expr)}`);
  return f;
}

function expectAll(frame: Uint8Array, yes: string[], no: string[], linkType: number = LinkType.Ethernet): void {
  for (const e of yes) assert.equal(matches(e, frame, linkType), true, `should match: ${e}`);
  for (const e of no) assert.equal(matches(e, frame, linkType), false, `should not match: ${e}`);
}

const tcp4 = ethIp(ipTcp({ src: '10.1.2.3', dst: '192.168.0.9', sport: 40000, dport: 443, flags: TcpFlag.SYN }));
const udp6 = ethIp(ipUdp({ src: 'fe80::1', dst: '2001:db8::53', sport: 5353, dport: 53 }));

test('hosts, networks, ports and directions (IPv4)', () => {
  expectAll(
    tcp4,
    [
      'ip',
      'tcp',
      'host 10.1.2.3',
      'src host 10.1.2.3',
      'dst host 192.168.0.9',
      'host 192.168.0.9 or 1.1.1.1',
      'net 10',
      'net 10.1',
      'host 10.1',
      'src net 10.0.0.0/8',
      'dst net 192.168.0.0 mask 255.255.0.0',
      'src or dst net 192.168',
      'port 443',
      'tcp dst port 443',
      'src port 40000',
      'portrange 400-500',
      'tcp portrange 40000-40000',
      'port 80 or 443',
      'port https',
      'tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn',
      'tcp[13] = 2',
      'ip[9] = 6',
      'ip proto \\tcp',
      'proto 6',
      'ether src 02:00:00:00:00:01',
      'ether dst 02-00-00-00-00-02',
      'ether proto \\ip',
      'not ip6',
      'not arp and not udp',
    ],
    [
      'ip6',
      'udp',
      'icmp',
      'arp',
      'host 10.1.2.4',
      'dst host 10.1.2.3',
      'src and dst net 10.0.0.0/8',
      'net 11',
      'udp port 443',
      'dst port 40000',
      'port 80',
      'tcp[13] & tcp-ack != 0',
      'vlan',
      'mpls',
      'ether broadcast',
      'ether multicast',
      'ip multicast',
      'ip broadcast',
    ],
  );
});

test('hosts, networks, ports (IPv6): fixed offsets after the 40-byte header, as in libpcap', () => {
  expectAll(
    udp6,
    ['ip6', 'udp', 'host fe80::1', 'src net fe80::/10', 'dst host 2001:db8::53', 'net 2001:db8::/32', 'udp port 53', 'port domain', 'ip6 proto 17', 'ip6[6] = 17', 'ip6 multicast or ip6'],
    ['ip', 'tcp', 'host ::1', 'dst net fe80::/10', 'tcp port 53', 'ip6 multicast', 'ip6 proto 6'],
  );
  // A hop-by-hop header before UDP hides the ports from `port`, but `ip6 proto` sees only
  // the first next header too (libpcap does not walk extension headers).
  const hbh = ethIp(ipv6({ src: '::1', dst: '::2', nextHeader: IpProto.UDP, extensions: [{ type: 0, body: new Uint8Array(7) }], payload: hex('0035 0035 0008 0000') }));
  expectAll(hbh, ['ip6', 'ip6[6] = 0'], ['udp', 'port 53', 'ip6 proto 17']);
  // A fragment header is the one exception libpcap makes for `proto`.
  const frags = fragmentIpv6(ipv6({ src: '::1', dst: '::2', nextHeader: IpProto.TCP, payload: new Uint8Array(64) }), 32, 7);
  expectAll(ethIp(frags[0]!), ['tcp', 'ip6 proto 6', 'ip6 proto 44'], ['port 0']);
});

test('IPv4 fragments: ports only in the first one; addresses in all', () => {
  const datagram = ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 53, payload: new Uint8Array(100) });
  const [first, second] = fragmentIpv4(datagram, 48).map((f) => ethIp(f));
  expectAll(first!, ['udp port 53', 'host 10.0.0.2', 'udp[2:2] = 53', 'ip[6:2] & 0x2000 != 0'], ['ip[6:2] & 0x1fff != 0']);
  expectAll(second!, ['udp', 'host 10.0.0.2', 'ip[6:2] & 0x1fff != 0'], ['udp port 53', 'port 53', 'udp[2:2] = 53', 'udp[0] >= 0']);
});

test('vlan and mpls move the offsets of what follows them, as libpcap does', () => {
  const tagged = ethernet({ etherType: EtherType.IPv4, vlans: [100], payload: ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 53 }) });
  expectAll(tagged, ['vlan', 'vlan 100', 'vlan and ip', 'vlan 100 and udp port 53', 'vlan and host 10.0.0.1', 'ether[12:2] = 0x8100'], ['ip', 'udp', 'vlan 101', 'vlan and vlan', 'ip and vlan']);
  // `vlan or ip`: the `ip` after `vlan` looks inside the tag, even across `or`.
  assert.equal(matches('vlan or ip', ethIp(ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1, payload: new Uint8Array(8) }))), false);
  const qinq = ethernet({ etherType: EtherType.IPv6, vlans: [{ vid: 10, tpid: EtherType.QinQ }, 20], payload: ipv6({ src: '::1', dst: '::2', nextHeader: 59, payload: new Uint8Array(0) }) });
  expectAll(qinq, ['vlan 10 and vlan 20 and ip6', 'vlan and vlan and host ::2', 'vlan 10'], ['vlan 20', 'vlan 10 and ip6', 'vlan 10 and vlan 20 and ip']);

  const labelled = ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200], payload: ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80 }) }) });
  expectAll(
    labelled,
    ['mpls', 'mpls 100', 'mpls 100 and mpls 200', 'mpls and mpls and ip', 'mpls and mpls 200 and tcp port 80', 'mpls and mpls and host 10.0.0.2'],
    ['ip', 'mpls 200', 'mpls and ip', 'mpls and mpls and mpls', 'mpls and mpls and ip6'],
  );
});

test('pppoes: the PPP frame inside is what follows tests', () => {
  const frame = ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 5, protocol: PppProto.IPv4, payload: ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80 }) }) });
  expectAll(frame, ['pppoes', 'pppoes 5', 'pppoes and ip', 'pppoes 5 and tcp port 80 and host 10.0.0.1'], ['ip', 'pppoes 6', 'pppoes and ip6', 'pppoed']);
});

test('tunnels are not followed: the outer headers are matched', () => {
  const inner = ipTcp({ src: '172.16.0.1', dst: '172.16.0.2', sport: 1, dport: 80 });
  const frame = ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.GRE, payload: gre({ protocol: EtherType.IPv4, payload: inner }) }));
  expectAll(frame, ['ip proto 47', 'gre', 'host 10.0.0.1'], ['tcp', 'port 80', 'host 172.16.0.1']);
});

test('a read past the captured bytes rejects the frame, whatever else the expression says', () => {
  const short = tcp4.subarray(0, 54); // Ethernet + IPv4 + TCP header, nothing more
  assert.equal(matches('tcp[100] = 0 or tcp', short), false);
  assert.equal(matches('not tcp[100:4] = 0', short), false);
  assert.equal(matches('tcp or tcp[100] = 0', short), true); // never read: `or` stops at `tcp`
  assert.equal(matches('udp and tcp[100] = 0', short), false);
  assert.equal(matches('not (udp and tcp[100] = 0)', short), true);
  // The guard of `udp[…]` fails first on TCP: no read, no rejection.
  assert.equal(matches('not udp[100] = 0', short), true);
  // Cut inside the TCP ports: `port` reads them, so even `or ip` cannot save the frame.
  const cut = tcp4.subarray(0, 36);
  assert.equal(matches('port 443 or ip', cut), false);
  assert.equal(matches('ip or port 443', cut), true);
  assert.equal(matches('ip', tcp4.subarray(0, 13)), false);
  assert.equal(matches('len > 0', tcp4.subarray(0, 13)), true);
  // A runtime division by zero rejects too.
  assert.equal(matches('len / (tcp[1] - tcp[1]) = 0 or ip', tcp4), false);
});

test('len, greater and less use the wire length, not the captured length', () => {
  assert.equal(matches('greater 1000', tcp4, LinkType.Ethernet, 1500), true);
  assert.equal(matches('len = 1500', tcp4, LinkType.Ethernet, 1500), true);
  assert.equal(matches('less 100', tcp4, LinkType.Ethernet, 1500), false);
  assert.equal(matches(`less ${tcp4.length}`, tcp4), true);
  assert.equal(matches(`greater ${tcp4.length + 1}`, tcp4), false);
});

test('icmp constants and byte offsets', () => {
  const echo = ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.ICMP, payload: icmpEcho({ id: 1, seq: 1 }) }));
  expectAll(echo, ['icmp', 'icmp[icmptype] = icmp-echo', 'icmp[icmpcode] = 0', 'icmp[0] = 8'], ['icmp[icmptype] = icmp-echoreply', 'icmp6', 'tcp']);
});

test('other link types: cooked, raw, loopback, PPP', () => {
  const ip = ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80 });
  const sll = new Uint8Array(16 + ip.length);
  sll.set(hex('0000 0001 0006 020000000001 0000 0800'));
  sll.set(ip, 16);
  expectAll(sll, ['ip', 'tcp port 80', 'host 10.0.0.1', 'ether[14:2] = 0x0800'], ['ip6', 'arp', 'vlan', 'mpls', 'ether host 02:00:00:00:00:01', 'ether broadcast'], LinkType.LinuxSll);
  const sll2 = new Uint8Array(20 + ip.length);
  sll2.set(hex('0800 0000 00000002 0001 00 06 020000000001 0000'));
  sll2.set(ip, 20);
  expectAll(sll2, ['ip', 'tcp port 80'], ['ip6', 'vlan'], LinkType.LinuxSll2);
  expectAll(ip, ['ip', 'tcp port 80', 'host 10.0.0.2'], ['ip6', 'arp', 'ether proto 0x0806'], LinkType.RawIp);
  expectAll(ip, ['ip', 'tcp port 80'], ['ip6'], LinkType.Ipv4);
  const le = new Uint8Array(4 + ip.length);
  le.set(hex('02000000'));
  le.set(ip, 4);
  const be = le.slice();
  be.set(hex('00000002'));
  expectAll(le, ['ip', 'tcp port 80'], ['ip6'], LinkType.Null);
  expectAll(be, ['ip', 'tcp port 80'], ['ip6'], LinkType.Null);
  expectAll(be, ['ip'], [], LinkType.Loop);
  expectAll(le, [], ['ip'], LinkType.Loop);
  const v6 = new Uint8Array(4 + 40);
  v6.set(hex('1e000000 60000000 0000 3b40'));
  expectAll(v6, ['ip6'], ['ip'], LinkType.Null);
  const ppp = new Uint8Array(4 + ip.length);
  ppp.set(hex('ff03 0021'));
  ppp.set(ip, 4);
  expectAll(ppp, ['ip', 'tcp port 80'], ['ip6'], LinkType.Ppp);
  // Link types the filter does not know never match (not even an empty-looking test).
  expectAll(tcp4, [], ['ip', 'len > 0', 'ether[0] = 2'], LinkType.Radiotap);
  // ...but an empty expression matches everything.
  assert.equal(compileFilter('').matches(decoder, tcp4, 0, tcp4.length, tcp4.length, LinkType.Radiotap), true);
});

test('frames are read at their offset in a larger buffer', () => {
  const buf = new Uint8Array(7 + tcp4.length + 5).fill(0xff);
  buf.set(tcp4, 7);
  const f = compileFilter('tcp dst port 443 and host 10.1.2.3');
  assert.equal(f.matches(decoder, buf, 7, tcp4.length, tcp4.length, LinkType.Ethernet), true);
  // The bytes after the frame are not part of it.
  assert.equal(compileFilter('ether[74] = 0xff').matches(decoder, buf, 7, tcp4.length, tcp4.length, LinkType.Ethernet), false);
});

test('the engine counts rejected frames as filteredPackets and decodes only the others', () => {
  const datagram = ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1234, dport: 53, payload: new Uint8Array(100) });
  const frames = [tcp4, udp6, ...fragmentIpv4(datagram, 48).map((f) => ethIp(f))];
  const engine = new Engine({ filter: compileFilter('udp port 53') });
  const records: unknown[] = [];
  engine.on('flow', (r) => records.push(r));
  frames.forEach((f, i) => {
    engine.frame(f, 0, f.length, f.length, 1_000_000 + i, LinkType.Ethernet);
  });
  engine.finish();
  const s = engine.summary();
  assert.equal(s.packets, 5);
  // TCP, and the two non-first fragments (no ports in them, as tcpdump sees it).
  assert.equal(s.filteredPackets, 3);
  assert.equal(s.ipPackets, 2);
  assert.equal(records.length, 2);
  const none = new Engine();
  for (const f of frames) none.frame(f, 0, f.length, f.length, 1, LinkType.Ethernet);
  assert.equal(none.summary().filteredPackets, 0);
});

test('cli: the filter is the trailing argument(s); a syntax error exits 2 with a caret', async () => {
  const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), stderrIsTty: false });
    return { code, out, err };
  };
  const file = '../shared/corpus/ndpi/pcap/zoom.pcap';
  const base = ['flows', '--read', file, '--parsers', 'none', '--no-classify', '--summary-json'];
  const quoted = await run(...base, 'udp port 8801');
  const words = await run(...base, 'udp', 'port', '8801');
  assert.equal(quoted.code, 0, quoted.err);
  const summary = (r: { err: string }): { filteredPackets: number; packets: number; ipPackets: number; wall_seconds?: number } => {
    const s = JSON.parse(r.err.trim().split('\n').at(-1)!);
    delete s.wall_seconds;
    return s;
  };
  assert.deepEqual(summary(quoted), summary(words));
  assert.equal(summary(quoted).packets, 781);
  assert.equal(summary(quoted).ipPackets, 200); // tcpdump -r zoom.pcap --count udp port 8801
  assert.equal(summary(quoted).filteredPackets, 581);
  assert.equal(quoted.out, words.out);
  const bad = await run('flows', '--read', file, 'tcp', 'port', 'x', 'and');
  assert.equal(bad.code, 2);
  assert.equal(bad.out, '');
  assert.match(bad.err, /^sonda: filter: .*\n {2}tcp port x and\n {2}\s*\^\n$/);
});

test('cli: the capture may come first instead of --read (sonda flows FILE filter…)', async () => {
  let out = '';
  let err = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s), stderrIsTty: false };
  const code = await main(['flows', '../shared/corpus/ndpi/pcap/dns.pcap', 'udp', 'port', '53', '--json', '--no-summary'], io);
  assert.equal(code, 0, err);
  const recs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { server: { port: number }; client: { port: number } });
  assert.equal(recs.length, 1, 'the PPPoE flow does not match, as in tcpdump');
  assert.ok(recs.every((r) => r.server.port === 53 || r.client.port === 53));
  assert.equal(await main(['flows', 'no-such-file.pcap', 'udp'], io), 2, 'a first word that is no file is not taken for the capture');
});
