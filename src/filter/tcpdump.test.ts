/**
 * The filter against tcpdump itself: for every expression below and every capture below, the
 * frames tcpdump selects (`tcpdump -r FILE -w - -- EXPR`) must be exactly the frames Sonda's
 * filter selects, with both back ends. Frame by frame, not only counts.
 *
 * To keep this to a few seconds the captures are not given to tcpdump one by one (67 × 50
 * processes): their frames are copied, in order, into one pcap per link type, with the frame's
 * index as its timestamp, so that tcpdump's output tells which frames it kept. A filter reads
 * only the frames' bytes and lengths, so this changes nothing of what it sees.
 *
 * The one place where Sonda and tcpdump can part is a frame cut (by the snap length) inside
 * the headers an expression reads. BPF rejects a frame when a load goes past its end, so the
 * order of the tests matters there, and tcpdump's optimiser reorders them: for `host A or B`
 * it compares the source address with A and then with B before it loads the destination, so
 * a frame cut after the source address matches on B, where the code libpcap generates (and
 * Sonda) rejects it at the load of the destination. Sonda keeps the generated order, which is
 * `tcpdump -O` (optimiser off). The crafted cut frames below are therefore compared with
 * `tcpdump -O`; every corpus frame, whole or cut, is compared with plain tcpdump (they all
 * agree, and with `tcpdump -O` as well).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import { readCapture } from '../capture/read-capture.js';
import { PacketDecoder } from '../decode/decoder.js';
import { WeirdCounters } from '../decode/weirds.js';
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
  icmpv6Echo,
  ipTcp,
  ipUdp,
  ipv4,
  ipv6,
  mpls,
  PppProto,
  pppoe,
  sctp,
  TcpFlag,
  text,
} from '../testing/packet-builder.js';
import { FrameCollector, pcapFile } from '../testing/pcap-builder.js';
import { compileFilter, type PacketFilter } from './index.js';

/**
 * A fixed list with variety: VLAN and QinQ, MPLS, PPPoE, GRE/VXLAN/GTP tunnels, IPv6 with
 * extension headers, IPv4 and IPv6 fragments, ICMP/ICMPv6, ARP, STP, SCTP, ESP/AH, VRRP, PIM,
 * malformed and truncated frames; Ethernet, Linux cooked (SLL) and raw IP link types.
 */
const CAPTURES = [
  'tcpdump/802.1ad_QinQ.pcap',
  'tcpdump/ldp-common-session.pcap',
  'tcpdump/pppoes.pcap',
  'tcpdump/pppoe.pcap',
  'tcpdump/tok2str-oobr-2.pcap',
  'tcpdump/mpls-over-udp.pcap',
  'tcpdump/various_gre.pcap',
  'tcpdump/pptp.pcap',
  'tcpdump/vxlan.pcap',
  'tcpdump/icmpv6.pcap',
  'tcpdump/icmpv6-ra-pref64.pcap',
  'tcpdump/ipv6-routing-header.pcap',
  'tcpdump/ipv6-bad-version.pcap',
  'tcpdump/ip6_frag_asan.pcap',
  'tcpdump/ipv6_frag6_negative_len.pcap',
  'tcpdump/afs.pcap',
  'tcpdump/arp-oobr.pcap',
  'tcpdump/dhcp-rfc4388.pcap',
  'tcpdump/icmp-rfc8335.pcap',
  'tcpdump/vrrp.pcap',
  'tcpdump/02-sunrise-sunset-esp.pcap',
  'tcpdump/OSPFv3_with_AH.pcap',
  'tcpdump/PIM-SM_join_prune.pcap',
  'tcpdump/MSTP_Intra-Region_BPDUs.pcap',
  'tcpdump/isup.pcap',
  'tcpdump/kday1.pcap',
  'tcpdump/bgp-4byte-asn.pcap',
  'tcpdump/isakmp4500.pcap',
  'tcpdump/mptcp-fclose.pcap',
  'tcpdump/aarp-heapoverflow-1.pcap',
  'tcpdump/lisp_ipv6.pcap',
  'tcpdump/erspan-type-ii-1.pcap',
  'tcpdump/forces1.pcap',
  'tcpdump/babel.pcap',
  'tcpdump/resp_1_benchmark.pcap',
  'tcpdump/mptcp-v1.pcap',
  'tcpdump/RADIUS-RFC4675.pcap',
  'tcpdump/bgp-role.pcapng',
  'tcpdump/tcp-handshake-nano.pcap',
  'tcpdump/LINKTYPE_RAW_ipv4.pcap',
  'tcpdump/LINKTYPE_RAW_ipv6.pcap',
  'tcpdump/babel_rtt.pcap',
  'tcpdump/mptcp-tcprst.pcap',
  'tcpdump/heap-overflow-1.pcap',
  'ndpi/pcap/dns.pcap',
  'ndpi/pcap/dns_fragmented.pcap',
  'ndpi/pcap/smb_frags.pcap',
  'ndpi/pcap/ah.pcapng',
  'ndpi/pcap/sctp.cap',
  'ndpi/pcap/6in6tunnel.pcap',
  'ndpi/pcap/ipv6_in_gtp.pcap',
  'ndpi/pcap/4in4tunnel.pcap',
  'ndpi/pcap/malformed_icmp.pcap',
  'ndpi/pcap/gre.pcapng',
  'ndpi/pcap/vxlan.pcap',
  'ndpi/pcap/capwap_data.pcapng',
  'ndpi/pcap/quic_frags_ch_in_multiple_packets.pcapng',
  'ndpi/pcap/custom_rules_ipv6.pcapng',
  'ndpi/pcap/rtmp.pcap',
  'ndpi/pcap/whois.pcapng',
  'ndpi/pcap/zoom.pcap',
  'ndpi/pcap/smtp-starttls.pcap',
  'ndpi/pcap/quic-v2.pcapng',
  'ndpi/pcap/rtcp_multiple_pkts_in_the_same_datagram.pcap',
  'ndpi/pcap/codm.pcap',
  'ndpi/pcap/bjnp.pcap',
  'ndpi/pcap/http-crash-content-disposition.pcap',
];

const EXPRESSIONS = [
  // protocols
  'ip',
  'ip6',
  'arp',
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'sctp',
  'igmp',
  'esp or ah',
  'vrrp',
  'pim',
  'stp',
  'ip proto 47',
  'ip6 proto 17',
  'proto \\tcp',
  'ether proto 0x0806 or ether proto \\ip6',
  // addresses and ports, implied qualifiers, directions
  'host 192.168.1.1',
  'host 192.168.1.1 or 10.0.0.1',
  'net 10',
  'net 192.168.0.0/16 and not net 192.168.1',
  'src net 10.0.0.0/8 or dst net 172.16.0.0/12',
  'src and dst net 192.168.0.0 mask 255.255.0.0',
  'arp host 192.168.1.1',
  'ip6 host ::1 or ip6 net fe80::/10',
  'net 2001:db8::/32 or dst net ff02::/16',
  'port 80',
  'port 80 or 443 or 53',
  'tcp port 443',
  'udp port 53',
  'src or dst port 53',
  'tcp src port 80 and not dst port 80',
  'portrange 1-1023',
  'udp dst portrange 1024-65535',
  'port 80 and not src net 10.0.0.0/8',
  // link layer
  'ether broadcast',
  'ether multicast',
  'ether[0] & 1 != 0',
  'ether src 00:11:22:33:44:55 or ether dst ff:ff:ff:ff:ff:ff',
  'ip multicast or ip6 multicast',
  'ip broadcast',
  // encapsulations that move the offsets
  'vlan',
  'vlan and ip',
  'vlan 100 or vlan 1',
  'vlan and vlan',
  'vlan and tcp port 80',
  'mpls',
  'mpls 100 and mpls 200 and ip',
  'mpls and host 10.0.0.2',
  'pppoes and ip',
  'pppoes 5 or pppoed',
  // lengths
  'greater 1000',
  'less 60',
  'len > 200 and len < 400',
  // byte offsets, arithmetic, named constants
  'ip[6:2] & 0x1fff != 0',
  'ip[6:2] & 0x3fff = 0x2000',
  'tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn',
  'tcp[13] & tcp-rst != 0 or tcp[13] & (tcp-fin|tcp-push) = tcp-fin',
  'tcp[12] >> 4 > 5',
  'tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420',
  'udp[4:2] - 8 > 100',
  'icmp[icmptype] = icmp-echo or icmp[icmptype] = icmp-echoreply',
  'icmp6[icmp6type] = icmp6-echo or icmp6 and ip6[40] = icmp6-neighborsolicit',
  'ip6[40] = 58',
  'ip[0] & 0xf != 5',
  'ip[2:2] > 1400',
  'ip[8] < 64 and ip[9] = 17',
  'len % 7 = 0',
  '0 - ip[0] < 100',
  'ip[0] + tcp[0] > 0x50',
  'ether[len - 1] & 1 = 1 or tcp[tcp[12] >> 2] % 7 = ip[ip[0] & 0xf] ^ 3 or len / (ip[1] & 1) > 0',
  'ip[0] << (ip[1] & 63) > 0',
  'len / (udp[1] & 1) > 1000 or arp',
  'host 10.0.0.1 or net 192.168 or port 80 or 443 or portrange 5000-6000 or arp or ip6 multicast',
  // a failed read rejects the frame
  'tcp[100:4] = 0 or udp',
  'not tcp[1000] = 1',
  // precedence and negation
  'arp or ip and udp',
  'not (tcp or udp)',
  '! tcp && ! ip6 || arp',
];

/** Crafted Ethernet frames for what the corpus has little of (MPLS, PPPoE, QinQ, fragments). */
function craftedFrames(): { data: Uint8Array; wireLen: number }[] {
  const tcp = (sport: number, dport: number, flags: number = TcpFlag.ACK): Uint8Array => ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport, dport, flags });
  const udp = ipUdp({ src: '192.168.1.1', dst: '10.0.0.1', sport: 5353, dport: 53, payload: new Uint8Array(200) });
  const frames: Uint8Array[] = [
    ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200], payload: tcp(1, 80) }) }),
    ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100], payload: tcp(80, 2) }) }),
    ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200, 300], payload: ipv6({ src: '::1', dst: '::2', nextHeader: 59, payload: new Uint8Array(0) }) }) }),
    ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200], payload: new Uint8Array(2) }) }),
    ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 5, protocol: PppProto.IPv4, payload: tcp(1, 80, TcpFlag.SYN) }) }),
    ethernet({ etherType: EtherType.PPPoESession, payload: pppoe({ sessionId: 6, protocol: PppProto.IPv6, payload: ipUdp({ src: 'fe80::1', dst: 'ff02::1', sport: 1, dport: 53 }) }) }),
    ethernet({ etherType: EtherType.PPPoEDiscovery, payload: hex('1109 0000 0000') }),
    ethernet({ etherType: EtherType.IPv4, vlans: [{ vid: 100, tpid: EtherType.QinQ }, 200], payload: tcp(1, 80) }),
    ethernet({ etherType: EtherType.IPv4, vlans: [1], payload: udp }),
    ethernet({ etherType: EtherType.IPv4, vlans: [100], payload: tcp(80, 1) }),
    ethIp(ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, flags: TcpFlag.ACK | TcpFlag.PSH, payload: text('GET / HTTP/1.1\r\n\r\n') })),
    ethernet({ etherType: EtherType.ARP, vlans: [100], payload: hex('0001 0800 0604 0001 020000000001 c0a80101 000000000000 0a000001') }),
    ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.TCP, options: hex('01010101 94040000'), payload: hex('0050 0051 00000000 00000000 5002 ffff 0000 0000') })),
    ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.GRE, payload: gre({ protocol: EtherType.IPv4, payload: tcp(1, 80) }) })),
    ethIp(ipv4({ src: '10.0.0.1', dst: '224.0.0.5', proto: IpProto.ICMP, payload: icmpEcho({ id: 1, seq: 2 }) })),
    ethIp(ipv4({ src: '10.0.0.1', dst: '255.255.255.255', proto: IpProto.ICMP, payload: icmpEcho({ id: 1, seq: 2, reply: true }) })),
    ethIp(ipv6({ src: 'fe80::1', dst: 'fe80::2', nextHeader: IpProto.ICMPv6, payload: icmpv6Echo({ src: 'fe80::1', dst: 'fe80::2', id: 1, seq: 1 }) })),
    ethIp(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: IpProto.SCTP, payload: sctp({ sport: 2905, dport: 2905 }) })),
    ethernet({ dst: '01:80:c2:00:00:00', etherType: 38, payload: hex('42 42 03 0000 00 00') }),
    ...fragmentIpv4(udp, 64).map((f) => ethIp(f)),
    ...fragmentIpv6(ipTcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 443, dport: 1, payload: new Uint8Array(100) }), 48, 9).map((f) => ethIp(f)),
  ];
  return frames.map((data) => ({ data, wireLen: data.length }));
}

/** Crafted Ethernet frames cut by a snap length inside their headers (compared with `tcpdump -O`). */
function cutFrames(): { data: Uint8Array; wireLen: number }[] {
  const out: { data: Uint8Array; wireLen: number }[] = [];
  const cut = (whole: Uint8Array, at: number[]): void => {
    for (const n of at) out.push({ data: whole.slice(0, n), wireLen: whole.length });
  };
  // In the Ethernet header, the IP header, the addresses, the TCP ports, right after the header.
  cut(ethIp(ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 443, dport: 80, flags: TcpFlag.SYN })), [10, 13, 20, 30, 36, 38, 54]);
  cut(ethIp(ipUdp({ src: '2001:db8::1', dst: 'ff02::1', sport: 53, dport: 53 })), [20, 40, 60, 70]);
  cut(ethernet({ etherType: EtherType.MPLS, payload: mpls({ labels: [100, 200], payload: ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80 }) }) }), [16, 20, 30]);
  cut(ethernet({ etherType: EtherType.IPv4, vlans: [100], payload: ipTcp({ src: '192.168.1.1', dst: '10.0.0.1', sport: 1, dport: 80 }) }), [16, 20, 34, 40]);
  return out;
}

/** Messages of tcpdump for an expression that cannot apply to a capture's link type: nothing matches then. */
const NOT_APPLICABLE = /expression rejects all packets|no VLAN support|no MPLS support|not a broadcast link|ethernet addresses supported only|multicast filters supported only/;

interface Frame {
  data: Uint8Array;
  wireLen: number;
  source: string;
}

/** Frames written to one pcap for tcpdump: one link type, one way of running tcpdump. */
interface Group {
  linkType: number;
  /** Run tcpdump with `-O` (optimiser off). */
  unoptimized: boolean;
  frames: Frame[];
}

/** Indices (timestamps) of the frames in a pcap written by tcpdump. */
function keptIndices(out: Buffer): Set<number> {
  const kept = new Set<number>();
  if (out.length < 24) return kept;
  const le = out.readUInt32LE(0) === 0xa1b2c3d4;
  for (let o = 24; o + 16 <= out.length; ) {
    kept.add(le ? out.readUInt32LE(o) : out.readUInt32BE(o));
    o += 16 + (le ? out.readUInt32LE(o + 8) : out.readUInt32BE(o + 8));
  }
  return kept;
}

function runTcpdump(file: string, expr: string, unoptimized: boolean): Promise<{ out: Buffer; error: string | null }> {
  return new Promise((resolve) => {
    execFile('tcpdump', [...(unoptimized ? ['-O'] : []), '-r', file, '-w', '-', '--', expr], { encoding: 'buffer', maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const message = err ? stderr.toString().split('\n').filter((l) => l && !l.startsWith('reading from')).join(' ') || err.message : null;
      resolve({ out: stdout, error: message });
    });
  });
}

/** Runs `jobs` with at most `width` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

test('tcpdump and Sonda select the same frames, for every expression on every capture', async () => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'pipe' });
  } catch {
    assert.fail('tcpdump is needed as the reference for the filter (scripts/test.sh installs it: apt-get install tcpdump)');
  }
  assert.ok(CAPTURES.length >= 50 && EXPRESSIONS.length >= 40);

  const groups = new Map<string, Group>();
  const add = (linkType: number, f: Frame, unoptimized = false): void => {
    const key = `${linkType}${unoptimized ? '-O' : ''}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { linkType, unoptimized, frames: [] }));
    g.frames.push(f);
  };
  for (const c of CAPTURES) {
    const collector = new FrameCollector();
    await readCapture(`../shared/corpus/${c}`, collector, { onWarning: collector.warn });
    assert.ok(collector.frames.length > 0, c);
    for (const f of collector.frames) {
      assert.ok(f.linkType === LinkType.Ethernet || f.linkType === LinkType.LinuxSll || f.linkType === LinkType.RawIp, `${c}: link type ${f.linkType}`);
      add(f.linkType, { data: f.data, wireLen: f.wireLen, source: c });
    }
  }
  for (const f of craftedFrames()) add(LinkType.Ethernet, { ...f, source: 'crafted' });
  for (const f of cutFrames()) add(LinkType.Ethernet, { ...f, source: 'crafted, cut (tcpdump -O)' }, true);

  const dir = mkdtempSync(join(tmpdir(), 'sonda-filter-'));
  try {
    const files = new Map<string, string>();
    for (const [key, g] of groups) {
      const file = join(dir, `frames-${key}.pcap`);
      writeFileSync(file, pcapFile(g.frames.map((f, i) => ({ data: f.data, tsUs: i * 1_000_000, wireLen: f.wireLen })), { linkType: g.linkType }));
      files.set(key, file);
    }
    const pairs = EXPRESSIONS.flatMap((expr) => [...groups.keys()].map((key) => ({ expr, key })));
    const answers = await pool(
      pairs.map((p) => () => runTcpdump(files.get(p.key)!, p.expr, groups.get(p.key)!.unoptimized)),
      4,
    );

    const decoder = new PacketDecoder(new WeirdCounters());
    const problems: string[] = [];
    const matchedByExpr = new Map<string, number>();
    pairs.forEach(({ expr, key }, k) => {
      const { out, error } = answers[k]!;
      const lt = groups.get(key)!.linkType;
      if (error !== null && !NOT_APPLICABLE.test(error)) {
        problems.push(`${expr} (link type ${lt}): tcpdump failed: ${error}`);
        return;
      }
      const kept = keptIndices(out);
      const filters: [string, PacketFilter][] = [
        ['function', compileFilter(expr)],
        ['closure', compileFilter(expr, { backend: 'closure' })],
      ];
      // Per capture: how many frames each side selected, and which frames differ.
      const counts = new Map<string, { tcpdump: number; sonda: number; differ: number[] }>();
      groups.get(key)!.frames.forEach((f, i) => {
        let c = counts.get(f.source);
        if (c === undefined) counts.set(f.source, (c = { tcpdump: 0, sonda: 0, differ: [] }));
        const td = kept.has(i);
        if (td) c.tcpdump++;
        for (const [name, filter] of filters) {
          const ours = filter.matches(decoder, f.data, 0, f.data.length, f.wireLen, lt);
          if (name === 'function' && ours) c.sonda++;
          if (ours !== td && c.differ.length < 5) c.differ.push(i);
        }
      });
      for (const [source, c] of counts) {
        matchedByExpr.set(expr, (matchedByExpr.get(expr) ?? 0) + c.tcpdump);
        if (c.differ.length > 0) problems.push(`${JSON.stringify(expr)} on ${source}: tcpdump ${c.tcpdump}, sonda ${c.sonda} (frames ${c.differ.join(', ')} of link type ${lt})`);
      }
    });
    assert.deepEqual(problems, []);
    // No expression is vacuous on this set.
    for (const expr of EXPRESSIONS) assert.ok((matchedByExpr.get(expr) ?? 0) > 0, `${expr} matched nothing`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
