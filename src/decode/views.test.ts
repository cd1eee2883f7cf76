/**
 * Exact getter values of every header view on known bytes, and the Truncated / Malformed /
 * Unsupported codes on short or contradictory input (STYLE.md §2, §4, §10).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concat, hex } from '../testing/packet-builder.js';
import { ArpView } from './arp.js';
import { CapwapView } from './capwap.js';
import { EthernetView } from './ethernet.js';
import { GeneveView } from './geneve.js';
import { erspanHeaderLength, GreView } from './gre.js';
import { GtpView } from './gtp.js';
import { IcmpView } from './icmp.js';
import { Ieee80211View } from './ieee80211.js';
import { Ipv4View } from './ipv4.js';
import { Ipv6View } from './ipv6.js';
import { LinkHeaderView } from './link.js';
import { MPLS_MAX_LABELS, MplsView } from './mpls.js';
import { PppoeView, PppView } from './ppp.js';
import { Decode, u16, u32 } from './result.js';
import { SctpView } from './sctp.js';
import { TcpView } from './tcp.js';
import { TeredoView } from './teredo.js';
import { UdpView } from './udp.js';
import { VlanView } from './vlan.js';
import { VxlanView } from './vxlan.js';
import { W, WEIRD_NAMES, WeirdCounters } from './weirds.js';

const zeros = (n: number): Uint8Array => new Uint8Array(n);
/** `bytes` placed at offset `pad` of a bigger buffer, to check that views honour `off`. */
const at = (pad: number, bytes: Uint8Array): Uint8Array => concat(zeros(pad), bytes, zeros(3));

describe('result helpers', () => {
  test('u16 / u32 read big-endian, u32 unsigned', () => {
    const b = hex('01 02 ff fe fd fc');
    assert.equal(u16(b, 0), 0x0102);
    assert.equal(u16(b, 2), 0xfffe);
    assert.equal(u32(b, 2), 0xfffefdfc);
    assert.ok(u32(b, 2) > 0);
  });
});

describe('WeirdCounters', () => {
  test('names map to slots; toObject lists non-zero counters by name; total sums', () => {
    const w = new WeirdCounters();
    assert.deepEqual(w.toObject(), {});
    assert.equal(w.total(), 0);
    w.hit(W.truncated_ip);
    w.hit(W.truncated_ip);
    w.hit(W.fragment_overlap);
    assert.deepEqual(w.toObject(), { truncated_ip: 2, fragment_overlap: 1 });
    assert.equal(w.total(), 3);
    assert.equal(WEIRD_NAMES[W.bad_udp_length], 'bad_udp_length');
    assert.equal(new Set(WEIRD_NAMES).size, WEIRD_NAMES.length);
    for (const n of WEIRD_NAMES) assert.match(n, /^[a-z0-9]+(_[a-z0-9]+)*$/);
  });
});

describe('EthernetView', () => {
  const eth2 = hex('020000000002 020000000001 0800 45');
  test('Ethernet II: EtherType and offsets', () => {
    const v = new EthernetView();
    const b = at(5, eth2);
    assert.equal(v.reset(b, 5, 5 + eth2.length), Decode.Ok);
    assert.equal(v.etherType, 0x0800);
    assert.equal(v.payloadOffset, 19);
    assert.equal(v.isLlc, false);
    assert.equal(v.dstOffset, 5);
    assert.equal(v.srcOffset, 11);
    assert.equal(b[v.srcOffset + 5], 0x01);
  });
  test('fewer than 14 bytes is truncated', () => {
    assert.equal(new EthernetView().reset(eth2, 0, 13), Decode.Truncated);
  });
  test('802.3 + LLC/SNAP: EtherType from the SNAP header, payload after it', () => {
    const f = hex('020000000002 020000000001 0030 aaaa03 000000 86dd 60');
    const v = new EthernetView();
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.isLlc, true);
    assert.equal(v.etherType, 0x86dd);
    assert.equal(v.payloadOffset, 22);
    assert.equal(v.dsap, 0xaa);
  });
  test('802.3 + plain LLC (STP): EtherType 0, payload after the 3 LLC bytes', () => {
    const f = hex('0180c2000000 020000000001 0026 424203 0000');
    const v = new EthernetView();
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.isLlc, true);
    assert.equal(v.etherType, 0);
    assert.equal(v.payloadOffset, 17);
    assert.equal(v.dsap, 0x42);
  });
  test('802.3 with a cut LLC or SNAP header is truncated', () => {
    const f = hex('020000000002 020000000001 0030 aaaa03 000000 86dd');
    const v = new EthernetView();
    assert.equal(v.reset(f, 0, 16), Decode.Truncated); // 2 of 3 LLC bytes
    assert.equal(v.reset(f, 0, 21), Decode.Truncated); // SNAP EtherType cut
    assert.equal(v.reset(f, 0, 22), Decode.Ok);
  });
  test('type/length 0x0600 is an EtherType, 0x05dc a length', () => {
    const v = new EthernetView();
    assert.equal(v.reset(hex('000000000000 000000000000 0600'), 0, 14), Decode.Ok);
    assert.equal(v.isLlc, false);
    assert.equal(v.etherType, 0x0600);
    assert.equal(v.reset(hex('000000000000 000000000000 05dc 424203'), 0, 17), Decode.Ok);
    assert.equal(v.isLlc, true);
  });
});

describe('VlanView', () => {
  test('TCI fields and inner EtherType', () => {
    const v = new VlanView();
    const b = at(2, hex('b064 86dd'));
    assert.equal(v.reset(b, 2, 6), Decode.Ok);
    assert.equal(v.priority, 5);
    assert.equal(v.vlanId, 100); // DEI bit (0x1000) not part of the id
    assert.equal(v.etherType, 0x86dd);
    assert.equal(v.reset(hex('0fff 0800'), 0, 4), Decode.Ok);
    assert.equal(v.vlanId, 4095);
    assert.equal(v.priority, 0);
  });
  test('fewer than 4 bytes is truncated', () => {
    assert.equal(new VlanView().reset(hex('0064 08'), 0, 3), Decode.Truncated);
  });
});

/** One MPLS label stack entry. */
function lse(label: number, bos: boolean, ttl = 64): Uint8Array {
  const v = ((label << 12) | (bos ? 0x100 : 0) | ttl) >>> 0;
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

describe('MplsView', () => {
  test('one label, IPv4 payload', () => {
    const b = concat(lse(100, true), hex('45000014'));
    const v = new MplsView();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.labels, 1);
    assert.equal(v.topLabel, 100);
    assert.equal(v.payloadOffset, 4);
    assert.equal(v.payloadKind, 4);
  });
  test('two labels, IPv6 payload; topLabel is the outermost', () => {
    const b = at(3, concat(lse(0xfffff, false), lse(16, true), hex('6000')));
    const v = new MplsView();
    assert.equal(v.reset(b, 3, b.length - 3), Decode.Ok);
    assert.equal(v.labels, 2);
    assert.equal(v.topLabel, 0xfffff);
    assert.equal(v.payloadOffset, 11);
    assert.equal(v.payloadKind, 6);
  });
  test('pseudowire control word then Ethernet', () => {
    const b = concat(lse(20, true), hex('00000000'), hex('020000000002 020000000001 0800'));
    const v = new MplsView();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadKind, 0x6558);
    assert.equal(v.payloadOffset, 8);
  });
  test('unknown or empty payload: kind 0', () => {
    const v = new MplsView();
    let b = concat(lse(1, true), hex('12'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadKind, 0);
    b = lse(1, true);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadKind, 0);
    assert.equal(v.payloadOffset, 4);
  });
  test(`${MPLS_MAX_LABELS} labels decode, ${MPLS_MAX_LABELS + 1} are malformed`, () => {
    const v = new MplsView();
    const stack = (n: number) => concat(...Array.from({ length: n }, (_, i) => lse(i + 1, i === n - 1)), hex('4500'));
    let b = stack(MPLS_MAX_LABELS);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.labels, MPLS_MAX_LABELS);
    assert.equal(v.payloadKind, 4);
    b = stack(MPLS_MAX_LABELS + 1);
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
  });
  test('no bottom-of-stack before the end is truncated', () => {
    const b = concat(lse(1, false), lse(2, false));
    assert.equal(new MplsView().reset(b, 0, b.length), Decode.Truncated);
    assert.equal(new MplsView().reset(b, 0, 3), Decode.Truncated);
  });
});

describe('ArpView', () => {
  const req = hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002');
  test('fields of an Ethernet/IPv4 request', () => {
    const v = new ArpView();
    const b = at(7, req);
    assert.equal(v.reset(b, 7, 7 + req.length), Decode.Ok);
    assert.equal(v.hardwareType, 1);
    assert.equal(v.protocolType, 0x0800);
    assert.equal(v.operation, 1);
  });
  test('addresses cut short, or a header under 8 bytes, are truncated', () => {
    assert.equal(new ArpView().reset(req, 0, 27), Decode.Truncated);
    assert.equal(new ArpView().reset(req, 0, 7), Decode.Truncated);
    assert.equal(new ArpView().reset(req, 0, 28), Decode.Ok);
  });
});

describe('LinkHeaderView', () => {
  test('Linux SLL: protocol at 14, payload at 16', () => {
    const v = new LinkHeaderView();
    const b = hex('0000 0001 0006 020000000001 0000 0800 45');
    assert.equal(v.sll(b, 0, b.length), Decode.Ok);
    assert.equal(v.etherType, 0x0800);
    assert.equal(v.payloadOffset, 16);
    assert.equal(v.sll(b, 0, 15), Decode.Truncated);
  });
  test('Linux SLL2: protocol first, payload at 20', () => {
    const v = new LinkHeaderView();
    const b = hex('86dd 0000 00000002 0001 00 06 020000000001 0000 60');
    assert.equal(v.sll2(b, 0, b.length), Decode.Ok);
    assert.equal(v.etherType, 0x86dd);
    assert.equal(v.payloadOffset, 20);
    assert.equal(v.sll2(b, 0, 19), Decode.Truncated);
  });
  test('BSD null in either byte order, loop in network order', () => {
    const v = new LinkHeaderView();
    const cases: [string, boolean, number][] = [
      ['02000000', false, 0x0800], // little-endian AF_INET
      ['00000002', false, 0x0800], // big-endian AF_INET
      ['18000000', false, 0x86dd], // 24 (NetBSD/OpenBSD AF_INET6), little-endian
      ['0000001c', false, 0x86dd], // 28 (FreeBSD), big-endian
      ['1e000000', false, 0x86dd], // 30 (Darwin)
      ['0a000000', false, 0x86dd], // 10 (Linux)
      ['00000002', true, 0x0800], // LINKTYPE_LOOP
      ['0000001e', true, 0x86dd],
      ['07000000', false, 0], // AF 7: not followed
    ];
    for (const [h, net, type] of cases) {
      const b = at(1, hex(h));
      assert.equal(v.nullLoop(b, 1, 5, net), Decode.Ok, h);
      assert.equal(v.etherType, type, h);
      assert.equal(v.payloadOffset, 5, h);
    }
    assert.equal(v.nullLoop(hex('020000'), 0, 3, false), Decode.Truncated);
  });
  test('Cisco HDLC: address, control, EtherType', () => {
    const v = new LinkHeaderView();
    const b = hex('0f00 86dd 60');
    assert.equal(v.ciscoHdlc(b, 0, b.length), Decode.Ok);
    assert.equal(v.etherType, 0x86dd);
    assert.equal(v.payloadOffset, 4);
    assert.equal(v.ciscoHdlc(b, 0, 3), Decode.Truncated);
  });
});

describe('PppView / PppoeView', () => {
  test('PPP with and without address/control, compressed protocol', () => {
    const v = new PppView();
    let b = hex('ff03 0021 45');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x0021);
    assert.equal(v.payloadOffset, 4);
    b = hex('0057 60');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x0057);
    assert.equal(v.payloadOffset, 2);
    b = hex('21 45');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x21);
    assert.equal(v.payloadOffset, 1);
    b = hex('ff03 21 45');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x21);
    assert.equal(v.payloadOffset, 3);
  });
  test('PPP cut before or inside the protocol field is truncated', () => {
    const v = new PppView();
    assert.equal(v.reset(hex('ff03'), 0, 2), Decode.Truncated);
    assert.equal(v.reset(hex('ff03 00'), 0, 3), Decode.Truncated);
    assert.equal(v.reset(hex('00'), 0, 0), Decode.Truncated);
  });
  test('PPPoE session header fields', () => {
    const v = new PppoeView();
    const b = at(4, hex('11 00 1234 0016 0021 45'));
    assert.equal(v.reset(b, 4, 13), Decode.Ok);
    assert.equal(v.sessionId, 0x1234);
    assert.equal(v.length, 0x16);
    assert.equal(v.pppProtocol, 0x0021);
    assert.equal(v.payloadOffset, 12);
  });
  test('PPPoE: wrong version/type is malformed, under 8 bytes truncated', () => {
    assert.equal(new PppoeView().reset(hex('21 00 1234 0016 0021'), 0, 8), Decode.Malformed);
    assert.equal(new PppoeView().reset(hex('11 00 1234 0016 00'), 0, 7), Decode.Truncated);
  });
});

const SNAP_IP4 = hex('aaaa03 000000 0800');
const MACS = hex('020000000002 020000000001 020000000003');

describe('Ieee80211View', () => {
  test('plain data frame (from DS): 24-byte header, LLC/SNAP', () => {
    const f = concat(hex('0802 0000'), MACS, hex('0000'), SNAP_IP4, hex('45'));
    const v = new Ieee80211View();
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.etherType, 0x0800);
    assert.equal(v.payloadOffset, 32);
  });
  test('QoS data adds 2 bytes, QoS + order bit 4 more, four addresses 6 more', () => {
    const v = new Ieee80211View();
    let f = concat(hex('8801 0000'), MACS, hex('0000'), hex('0000'), SNAP_IP4);
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.payloadOffset, 34);
    f = concat(hex('8881 0000'), MACS, hex('0000'), hex('0000'), hex('00000000'), SNAP_IP4);
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.payloadOffset, 38);
    f = concat(hex('0803 0000'), MACS, hex('0000'), hex('020000000004'), SNAP_IP4);
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.payloadOffset, 38);
    f = concat(hex('8803 0000'), MACS, hex('0000'), hex('020000000004'), hex('0000'), SNAP_IP4);
    assert.equal(v.reset(f, 0, f.length), Decode.Ok);
    assert.equal(v.payloadOffset, 40);
  });
  test('management, null-data, protected and non-SNAP frames are unsupported', () => {
    const v = new Ieee80211View();
    const body = concat(MACS, hex('0000'), SNAP_IP4);
    for (const fc of ['8000', '4801', 'c801', '0842']) {
      const f = concat(hex(fc), hex('0000'), body);
      assert.equal(v.reset(f, 0, f.length), Decode.Unsupported, fc);
      assert.equal(v.etherType, 0, fc);
    }
    const f = concat(hex('0802 0000'), MACS, hex('0000'), hex('424203 000000 0800'));
    assert.equal(v.reset(f, 0, f.length), Decode.Unsupported);
  });
  test('header or LLC/SNAP cut short is truncated', () => {
    const f = concat(hex('0802 0000'), MACS, hex('0000'), SNAP_IP4);
    assert.equal(new Ieee80211View().reset(f, 0, 23), Decode.Truncated);
    assert.equal(new Ieee80211View().reset(f, 0, 31), Decode.Truncated);
  });
  test('radiotap: little-endian length; < 8 malformed; beyond the frame truncated', () => {
    const wifi = concat(hex('0802 0000'), MACS, hex('0000'), SNAP_IP4);
    const v = new Ieee80211View();
    let f = concat(hex('0000 0c00 04000000 02000000'), wifi); // 12-byte radiotap (flags present)
    assert.equal(v.radiotap(f, 0, f.length), Decode.Ok);
    assert.equal(v.etherType, 0x0800);
    assert.equal(v.payloadOffset, 12 + 32);
    f = concat(hex('0000 0700 00000000'), wifi);
    assert.equal(v.radiotap(f, 0, f.length), Decode.Malformed);
    f = hex('0000 4000 00000000 00');
    assert.equal(v.radiotap(f, 0, f.length), Decode.Truncated);
    assert.equal(v.radiotap(f, 0, 7), Decode.Truncated);
  });
});

// 20-byte IPv4 header: tos 0x10, total 60, id 0x1c46, DF, ttl 64, TCP, 172.16.10.99 → 172.16.10.12
const IP4 = hex('4510 003c 1c46 4000 4006 b1e6 ac100a63 ac100a0c');

describe('Ipv4View', () => {
  test('every getter on a known header', () => {
    const b = at(14, concat(IP4, zeros(40)));
    const v = new Ipv4View();
    assert.equal(v.reset(b, 14, 14 + 60), Decode.Ok);
    assert.equal(v.offset, 14);
    assert.equal(v.headerLength, 20);
    assert.equal(v.tos, 0x10);
    assert.equal(v.totalLength, 60);
    assert.equal(v.id, 0x1c46);
    assert.equal(v.dontFragment, true);
    assert.equal(v.moreFragments, false);
    assert.equal(v.fragmentOffset, 0);
    assert.equal(v.isFragment, false);
    assert.equal(v.ttl, 64);
    assert.equal(v.protocol, 6);
    assert.equal(v.srcOffset, 26);
    assert.equal(v.dstOffset, 30);
    assert.deepEqual([...b.subarray(v.srcOffset, v.srcOffset + 4)], [172, 16, 10, 99]);
    assert.equal(v.payloadOffset, 34);
    assert.equal(v.end, 74);
    assert.equal(v.clipped, false);
  });
  test('trailing bytes (Ethernet padding) are not part of the datagram', () => {
    const b = concat(IP4, zeros(40), zeros(6));
    const v = new Ipv4View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.end, 60);
    assert.equal(v.clipped, false);
  });
  test('fragment fields', () => {
    const v = new Ipv4View();
    const f1 = concat(hex('4500 003c 0001 20b9 4011 0000 0a000001 0a000002'), zeros(40));
    assert.equal(v.reset(f1, 0, f1.length), Decode.Ok);
    assert.equal(v.moreFragments, true);
    assert.equal(v.dontFragment, false);
    assert.equal(v.fragmentOffset, 0xb9 * 8);
    assert.equal(v.isFragment, true);
    const f2 = concat(hex('4500 003c 0001 0001 4011 0000 0a000001 0a000002'), zeros(40));
    assert.equal(v.reset(f2, 0, f2.length), Decode.Ok);
    assert.equal(v.moreFragments, false);
    assert.equal(v.fragmentOffset, 8);
    assert.equal(v.isFragment, true);
    const f3 = concat(hex('4500 003c 0001 2000 4011 0000 0a000001 0a000002'), zeros(40));
    assert.equal(v.reset(f3, 0, f3.length), Decode.Ok);
    assert.equal(v.fragmentOffset, 0);
    assert.equal(v.isFragment, true);
  });
  test('options: header length 24, payload after them', () => {
    const b = concat(hex('4600 0020 0000 0000 4011 0000 0a000001 0a000002 94040000'), zeros(8));
    const v = new Ipv4View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.headerLength, 24);
    assert.equal(v.payloadOffset, 24);
    assert.equal(v.end, 32);
  });
  test('total length 0 (segmentation offload) takes the captured bytes', () => {
    const b = concat(hex('4500 0000 0000 0000 4006 0000 0a000001 0a000002'), zeros(30));
    const v = new Ipv4View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.totalLength, 50);
    assert.equal(v.end, 50);
    assert.equal(v.clipped, false);
  });
  test('total length beyond the capture: clipped, end = captured end', () => {
    const b = concat(IP4, zeros(10));
    const v = new Ipv4View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.totalLength, 60);
    assert.equal(v.clipped, true);
    assert.equal(v.end, 30);
  });
  test('IHL < 5, wrong version and total length < header length are malformed', () => {
    const v = new Ipv4View();
    const ihl4 = concat(hex('4400 003c'), IP4.subarray(4), zeros(40));
    assert.equal(v.reset(ihl4, 0, ihl4.length), Decode.Malformed);
    const v6 = concat(hex('6500 003c'), IP4.subarray(4), zeros(40));
    assert.equal(v.reset(v6, 0, v6.length), Decode.Malformed);
    const short = concat(hex('4500 0013'), IP4.subarray(4), zeros(40));
    assert.equal(v.reset(short, 0, short.length), Decode.Malformed);
    const opt = concat(hex('4600 0016'), IP4.subarray(4), zeros(40)); // IHL 6 (24) > total 22
    assert.equal(v.reset(opt, 0, opt.length), Decode.Malformed);
  });
  test('under 20 bytes, or fewer bytes than IHL says, is truncated', () => {
    const v = new Ipv4View();
    assert.equal(v.reset(IP4, 0, 19), Decode.Truncated);
    const ihl15 = concat(hex('4f00 0050'), IP4.subarray(4), zeros(20)); // 60-byte header, 40 captured
    assert.equal(v.reset(ihl15, 0, ihl15.length), Decode.Truncated);
  });
});

// IPv6: tc 0x12, flow label 0x34567, payload 8, UDP, hop limit 64, 2001:db8::1 → 2001:db8::2
const IP6 = hex('61234567 0008 11 40 20010db8000000000000000000000001 20010db8000000000000000000000002');
/** An IPv6 header with payload length `plen` and first next header `nh`. */
const ip6 = (nh: number, plen: number): Uint8Array => {
  const h = IP6.slice();
  h[4] = plen >> 8;
  h[5] = plen & 0xff;
  h[6] = nh;
  return h;
};
/** An 8-byte extension header (HBH, DestOpts, Routing…) with next header `nh`. */
const ext8 = (nh: number): Uint8Array => hex(`${nh.toString(16).padStart(2, '0')}00 0104 00000000`);

describe('Ipv6View', () => {
  test('every getter of the fixed header', () => {
    const b = at(14, concat(IP6, zeros(8)));
    const v = new Ipv6View();
    assert.equal(v.reset(b, 14, 14 + 48), Decode.Ok);
    assert.equal(v.offset, 14);
    assert.equal(v.trafficClass, 0x12);
    assert.equal(v.flowLabel, 0x34567);
    assert.equal(v.payloadLength, 8);
    assert.equal(v.hopLimit, 64);
    assert.equal(v.srcOffset, 22);
    assert.equal(v.dstOffset, 38);
    assert.equal(b[v.dstOffset + 15], 2);
    assert.equal(v.protocol, 17);
    assert.equal(v.payloadOffset, 54);
    assert.equal(v.end, 62);
    assert.equal(v.clipped, false);
    assert.equal(v.extStatus, Decode.Ok);
    assert.equal(v.hasFragmentHeader, false);
    assert.equal(v.isFragment, false);
  });
  test('payload length 0 takes the captured bytes; a longer claim is clipped', () => {
    const v = new Ipv6View();
    let b = concat(ip6(17, 0), zeros(12));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.end, 52);
    assert.equal(v.clipped, false);
    b = concat(ip6(17, 100), zeros(12));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.end, 52);
    assert.equal(v.clipped, true);
  });
  test('HBH, DestOpts, Routing then TCP: protocol and payload offset after the chain', () => {
    const body = concat(ext8(60), hex('2b01 0000 00000000 00000000 00000000'), ext8(6), zeros(20));
    // HBH (8) → DestOpts (len 1 = 16 bytes) → Routing (8) → TCP
    const b = concat(ip6(0, body.length), body);
    const v = new Ipv6View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Ok);
    assert.equal(v.protocol, 6);
    assert.equal(v.payloadOffset, 40 + 8 + 16 + 8);
  });
  test('AH length is in 4-byte units plus 2', () => {
    const ah = hex('06 04 0000 00000001 00000001 00000000 00000000 00000000'); // (4+2)*4 = 24 bytes
    const b = concat(ip6(51, ah.length + 20), ah, zeros(20));
    const v = new Ipv6View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 6);
    assert.equal(v.payloadOffset, 64);
  });
  test('ESP and No Next Header end the walk', () => {
    const v = new Ipv6View();
    let b = concat(ip6(0, 16), ext8(50), zeros(8));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 50);
    assert.equal(v.payloadOffset, 48);
    b = concat(ip6(59, 0));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 59);
    assert.equal(v.payloadOffset, 40);
    assert.equal(v.extStatus, Decode.Ok);
  });
  test('first fragment: fragment fields, walk continues to the upper layer', () => {
    const fh = hex('06 00 0001 deadbeef'); // offset 0, M=1, id 0xdeadbeef
    const b = concat(ip6(0, 8 + 8 + 20), ext8(44), fh, zeros(20));
    const v = new Ipv6View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.hasFragmentHeader, true);
    assert.equal(v.fragmentOffset, 0);
    assert.equal(v.moreFragments, true);
    assert.equal(v.fragmentId, 0xdeadbeef);
    assert.equal(v.fragmentHeaderOffset, 48);
    assert.equal(v.fragmentPrevNextOffset, 40);
    assert.equal(v.isFragment, true);
    assert.equal(v.protocol, 6);
    assert.equal(v.payloadOffset, 56);
  });
  test('later fragment: walk stops after the fragment header', () => {
    const fh = hex('3c 00 05a8 00000007'); // offset 1448 (0x5a8 & ~7), M=0, next = DestOpts
    const b = concat(ip6(44, 8 + 24), fh, zeros(24));
    const v = new Ipv6View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.fragmentOffset, 1448);
    assert.equal(v.moreFragments, false);
    assert.equal(v.fragmentId, 7);
    assert.equal(v.fragmentPrevNextOffset, 6);
    assert.equal(v.isFragment, true);
    assert.equal(v.protocol, 60);
    assert.equal(v.payloadOffset, 48);
    assert.equal(v.extStatus, Decode.Ok);
  });
  test('atomic fragment (offset 0, M=0) is not a fragment', () => {
    const b = concat(ip6(44, 8 + 8), hex('11 00 0000 00000009'), zeros(8));
    const v = new Ipv6View();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.hasFragmentHeader, true);
    assert.equal(v.isFragment, false);
    assert.equal(v.protocol, 17);
    assert.equal(v.payloadOffset, 48);
  });
  test('extension header cut short: extStatus Truncated, payload offset clamped to the end', () => {
    const v = new Ipv6View();
    // Hop-by-hop with only 6 bytes left.
    let b = concat(ip6(0, 6), zeros(6));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Truncated);
    // Hop-by-hop claiming 64 bytes (len 7) with 16 present, then TCP.
    b = concat(ip6(0, 16), hex('06 07 0000 00000000'), zeros(8));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Truncated);
    assert.equal(v.payloadOffset, 56);
    // Fragment header cut short.
    b = concat(ip6(44, 4), zeros(4));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Truncated);
  });
  test('a chain of 16 extension headers is walked; 17 is malformed', () => {
    const v = new Ipv6View();
    const chain = (n: number) => {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < n; i++) parts.push(ext8(i === n - 1 ? 17 : 60));
      const body = concat(...parts, zeros(8));
      return concat(ip6(60, body.length), body);
    };
    let b = chain(16);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Ok, '16 extension headers then UDP is a valid chain');
    assert.equal(v.protocol, 17);
    assert.equal(v.payloadOffset, 40 + 16 * 8);
    b = chain(17);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.extStatus, Decode.Malformed);
  });
  test('wrong version is malformed, under 40 bytes truncated', () => {
    const v = new Ipv6View();
    const b = concat(IP6, zeros(8));
    b[0] = 0x45;
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
    assert.equal(v.reset(IP6, 0, 39), Decode.Truncated);
  });
});

// TCP: 49153 → 80, seq 1000, ack 2000, SYN|ACK, window 65535, data offset 10 (20 bytes of options)
const TCP_OPTS = hex('020405b4 01 030307 0402 080a 00000001 00000002');
const TCP_HDR = concat(hex('c001 0050 000003e8 000007d0 a012 ffff 0000 0000'), TCP_OPTS);

describe('TcpView', () => {
  test('fixed fields', () => {
    const b = at(34, concat(TCP_HDR, hex('68656c6c6f')));
    const v = new TcpView();
    assert.equal(v.reset(b, 34, 34 + 45), Decode.Ok);
    assert.equal(v.srcPort, 49153);
    assert.equal(v.dstPort, 80);
    assert.equal(v.seq, 1000);
    assert.equal(v.ack, 2000);
    assert.equal(v.headerLength, 40);
    assert.equal(v.flags, 0x12);
    assert.equal(v.window, 65535);
    assert.equal(v.payloadOffset, 74);
  });
  test('seq/ack above 2^31 read unsigned', () => {
    const b = hex('0001 0002 fffffffe 80000000 5010 0000 0000 0000');
    const v = new TcpView();
    assert.equal(v.reset(b, 0, 20), Decode.Ok);
    assert.equal(v.seq, 0xfffffffe);
    assert.equal(v.ack, 0x80000000);
  });
  test('options: MSS, window scale, SACK-permitted, timestamps', () => {
    const v = new TcpView();
    assert.equal(v.reset(TCP_HDR, 0, TCP_HDR.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Ok);
    assert.equal(v.mss, 1460);
    assert.equal(v.windowScale, 7);
    assert.equal(v.sackPermitted, true);
    assert.equal(v.sackBlocks, 0);
    assert.equal(v.tsVal, 1);
    assert.equal(v.tsEcr, 2);
  });
  test('options: SACK blocks; fields reset between packets', () => {
    const v = new TcpView();
    const b = concat(hex('0001 0002 00000000 00000000 b010 0000 0000 0000'), hex('0101 0512 00000001 00000002 00000003 00000004 01010101'));
    assert.equal(v.reset(TCP_HDR, 0, TCP_HDR.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Ok);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Ok);
    assert.equal(v.sackBlocks, 2);
    assert.equal(v.mss, -1);
    assert.equal(v.windowScale, -1);
    assert.equal(v.sackPermitted, false);
    assert.equal(v.tsVal, -1);
    assert.equal(v.tsEcr, -1);
  });
  test('options: end-of-list stops parsing', () => {
    const b = concat(hex('0001 0002 00000000 00000000 6002 0000 0000 0000'), hex('00 020405b4 000000'));
    const v = new TcpView();
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Ok);
    assert.equal(v.mss, -1);
  });
  test('options: length < 2 or past the header is malformed; kind without length truncated', () => {
    const v = new TcpView();
    const base = hex('0001 0002 00000000 00000000 6002 0000 0000 0000');
    let b = concat(base, hex('0201 0000'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Malformed);
    b = concat(base, hex('080a 0000'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Malformed);
    b = concat(base, hex('0101 0103'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.parseOptions(), Decode.Truncated);
  });
  test('data offset < 5 is malformed; beyond the captured segment truncated; < 20 bytes truncated', () => {
    const v = new TcpView();
    const b = hex('0001 0002 00000000 00000000 4002 0000 0000 0000');
    assert.equal(v.reset(b, 0, 20), Decode.Malformed);
    b[12] = 0x60;
    assert.equal(v.reset(b, 0, 20), Decode.Truncated);
    b[12] = 0x50;
    assert.equal(v.reset(b, 0, 19), Decode.Truncated);
    assert.equal(v.reset(b, 0, 20), Decode.Ok);
  });
});

describe('UdpView', () => {
  test('fields and payload bounds', () => {
    const b = at(20, hex('d431 0035 000c 1234 01020304'));
    const v = new UdpView();
    assert.equal(v.reset(b, 20, 32), Decode.Ok);
    assert.equal(v.srcPort, 54321);
    assert.equal(v.dstPort, 53);
    assert.equal(v.length, 12);
    assert.equal(v.checksum, 0x1234);
    assert.equal(v.payloadOffset, 28);
    assert.equal(v.end, 32);
  });
  test('length shorter than the datagram bounds the payload; longer is clipped', () => {
    const v = new UdpView();
    assert.equal(v.reset(hex('0001 0002 000a 0000 01020304'), 0, 12), Decode.Ok);
    assert.equal(v.end, 10);
    assert.equal(v.reset(hex('0001 0002 0040 0000 01020304'), 0, 12), Decode.Ok);
    assert.equal(v.end, 12);
  });
  test('length 0 (jumbogram / offload) takes the given end', () => {
    const v = new UdpView();
    assert.equal(v.reset(hex('0001 0002 0000 0000 01020304'), 0, 12), Decode.Ok);
    assert.equal(v.end, 12);
  });
  test('length < 8 is malformed; under 8 bytes truncated', () => {
    assert.equal(new UdpView().reset(hex('0035 0035 0004 0000'), 0, 8), Decode.Malformed);
    assert.equal(new UdpView().reset(hex('0035 0035 0007 0000'), 0, 8), Decode.Malformed);
    assert.equal(new UdpView().reset(hex('0035 0035 0008 00'), 0, 7), Decode.Truncated);
  });
});

describe('IcmpView', () => {
  test('echo fields', () => {
    const b = at(1, hex('0800 f7fe 1234 0001 6162'));
    const v = new IcmpView();
    assert.equal(v.reset(b, 1, 11), Decode.Ok);
    assert.equal(v.type, 8);
    assert.equal(v.code, 0);
    assert.equal(v.echoId, 0x1234);
    assert.equal(v.echoSeq, 1);
    assert.equal(v.payloadOffset, 9);
  });
  test('a 4-byte message has no echo fields', () => {
    const v = new IcmpView();
    assert.equal(v.reset(hex('0303 0000'), 0, 4), Decode.Ok);
    assert.equal(v.type, 3);
    assert.equal(v.code, 3);
    assert.equal(v.echoId, -1);
    assert.equal(v.echoSeq, -1);
    assert.equal(v.payloadOffset, 4);
    assert.equal(v.reset(hex('0303 00'), 0, 3), Decode.Truncated);
  });
});

describe('SctpView', () => {
  test('common header', () => {
    const v = new SctpView();
    const b = hex('0b59 0b58 deadbeef 00000000 0100');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.srcPort, 2905);
    assert.equal(v.dstPort, 2904);
    assert.equal(v.verificationTag, 0xdeadbeef);
    assert.equal(v.payloadOffset, 12);
    assert.equal(v.reset(b, 0, 11), Decode.Truncated);
  });
});

describe('GreView', () => {
  test('version 0, no options', () => {
    const v = new GreView();
    const b = at(2, hex('0000 0800 45'));
    assert.equal(v.reset(b, 2, 7), Decode.Ok);
    assert.equal(v.version, 0);
    assert.equal(v.protocol, 0x0800);
    assert.equal(v.payloadOffset, 6);
    assert.equal(v.key, -1);
  });
  test('checksum + key + sequence: 16-byte header, full 32-bit key', () => {
    const v = new GreView();
    const b = hex('b000 86dd 1234 0000 0a0b0c0d 00000007 60');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x86dd);
    assert.equal(v.payloadOffset, 16);
    assert.equal(v.key, 0x0a0b0c0d, 'the GRE key is 32 bits (RFC 2890)');
  });
  test('key only / sequence only', () => {
    const v = new GreView();
    let b = hex('2000 0800 00000005 45');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 8);
    assert.equal(v.key, 5);
    b = hex('1000 0800 00000005 45');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 8);
    assert.equal(v.key, -1);
  });
  test('routing bit is unsupported; optional fields cut short truncated', () => {
    const v = new GreView();
    assert.equal(v.reset(hex('4000 0800 00000000'), 0, 8), Decode.Unsupported);
    assert.equal(v.reset(hex('b000 0800 00000000 00000000'), 0, 12), Decode.Truncated);
    assert.equal(v.reset(hex('0000 08'), 0, 3), Decode.Truncated);
  });
  test('PPTP enhanced GRE (v1): key = call id, sequence and acknowledgement', () => {
    const v = new GreView();
    let b = hex('3081 880b 0005 beef 00000001 00000000 ff03');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.version, 1);
    assert.equal(v.protocol, 0x880b);
    assert.equal(v.key, 0xbeef);
    assert.equal(v.payloadOffset, 16);
    b = hex('2001 880b 0000 0001');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 8);
    assert.equal(v.reset(hex('3081 880b 0005 beef 00000001'), 0, 12), Decode.Truncated);
  });
  test('v1 without the key bit is malformed; version 2+ unsupported', () => {
    const v = new GreView();
    assert.equal(v.reset(hex('1001 880b 00000000'), 0, 8), Decode.Malformed);
    assert.equal(v.reset(hex('0002 0800 00000000'), 0, 8), Decode.Unsupported);
    assert.equal(v.reset(hex('0007 0800 00000000'), 0, 8), Decode.Unsupported);
  });
  test('ERSPAN header lengths', () => {
    const b = zeros(24);
    assert.equal(erspanHeaderLength(b, 0, 8, false, true), 8);
    assert.equal(erspanHeaderLength(b, 0, 7, false, true), -1);
    // Type I: GRE without a sequence number carries the mirrored frame directly.
    assert.equal(erspanHeaderLength(b, 0, 8, false, false), 0);
    assert.equal(erspanHeaderLength(b, 0, 12, true, true), 12);
    assert.equal(erspanHeaderLength(b, 0, 11, true, true), -1);
    b[11] = 0x01; // O bit: 8-byte platform sub-header
    assert.equal(erspanHeaderLength(b, 0, 20, true, true), 20);
    assert.equal(erspanHeaderLength(b, 0, 19, true, true), -1);
  });
});

describe('GtpView', () => {
  test('G-PDU without optional fields', () => {
    const v = new GtpView();
    const b = at(4, hex('30ff 0014 11223344 45000014'));
    assert.equal(v.reset(b, 4, 16), Decode.Ok);
    assert.equal(v.messageType, 0xff);
    assert.equal(v.teid, 0x11223344);
    assert.equal(v.payloadOffset, 12);
  });
  test('sequence number flag adds 4 bytes', () => {
    const v = new GtpView();
    const b = hex('32ff 0018 00000001 0001 00 00 45000014');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 12);
  });
  test('extension headers are skipped (PDU session container, then another)', () => {
    const v = new GtpView();
    const b = hex('34ff 0020 00000001 0000 00 85 01 0009 c0 02 00000000 0000 00 45000014');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 24);
  });
  test('extension length 0 is malformed; cut short truncated; 9 extensions malformed, 8 fine', () => {
    const v = new GtpView();
    let b = hex('34ff 0010 00000001 0000 00 85 00 000000');
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
    b = hex('34ff 0010 00000001 0000 00 85 02 000000');
    assert.equal(v.reset(b, 0, b.length), Decode.Truncated);
    b = hex('34ff 0010 00000001 0000 00');
    assert.equal(v.reset(b, 0, b.length), Decode.Truncated);
    const exts = (n: number) => {
      const parts = [hex('34ff 0000 00000001 0000 00 85')];
      for (let i = 0; i < n; i++) parts.push(hex(`01 0000 ${i === n - 1 ? '00' : '85'}`));
      const p = concat(...parts, hex('45000014'));
      p[3] = p.length - 8;
      return p;
    };
    b = exts(8);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 12 + 32);
    b = exts(9);
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
  });
  test('length field shorter than the optional headers is malformed', () => {
    const v = new GtpView();
    const b = hex('32ff 0002 00000001 0001 00 00 45000014');
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
  });
  test("not GTPv1, or GTP' (PT = 0), is unsupported; under 8 bytes truncated", () => {
    const v = new GtpView();
    assert.equal(v.reset(hex('50ff 0004 00000001 00000000'), 0, 12), Decode.Unsupported);
    assert.equal(v.reset(hex('20ff 0004 00000001 00000000'), 0, 12), Decode.Unsupported);
    assert.equal(v.reset(hex('30ff 0004 000000'), 0, 7), Decode.Truncated);
  });
  test('non-T-PDU messages decode with their type', () => {
    const v = new GtpView();
    const b = hex('3201 0004 00000000 0001 0000');
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.messageType, 1);
  });
});

describe('VxlanView / GeneveView', () => {
  const innerEth = hex('020000000002 020000000001 0800');
  test('VXLAN: VNI, payload after 8 bytes', () => {
    const v = new VxlanView();
    const b = concat(hex('08000000 12345600'), innerEth);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.vni, 0x123456);
    assert.equal(v.payloadOffset, 8);
  });
  test('VXLAN: I flag clear is malformed; room for less than an Ethernet header truncated', () => {
    const v = new VxlanView();
    let b = concat(hex('00000000 12345600'), innerEth);
    assert.equal(v.reset(b, 0, b.length), Decode.Malformed);
    b = concat(hex('08000000 12345600'), innerEth.subarray(0, 13));
    assert.equal(v.reset(b, 0, b.length), Decode.Truncated);
  });
  test('Geneve: options length, protocol, VNI', () => {
    const v = new GeneveView();
    let b = concat(hex('0000 6558 abcdef00'), innerEth);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x6558);
    assert.equal(v.vni, 0xabcdef);
    assert.equal(v.payloadOffset, 8);
    b = concat(hex('0200 0800 00000100 01020304 05060708'), hex('45'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.protocol, 0x0800);
    assert.equal(v.vni, 1);
    assert.equal(v.payloadOffset, 16);
  });
  test('Geneve: version != 0 unsupported; options cut short truncated', () => {
    const v = new GeneveView();
    assert.equal(v.reset(hex('4000 6558 00000100'), 0, 8), Decode.Unsupported);
    assert.equal(v.reset(hex('0300 6558 00000100 00000000'), 0, 12), Decode.Truncated);
    assert.equal(v.reset(hex('0000 6558 000001'), 0, 7), Decode.Truncated);
  });
});

describe('TeredoView', () => {
  const inner = concat(hex('60000000 0008 11 40'), zeros(32), zeros(8));
  test('bare IPv6', () => {
    const v = new TeredoView();
    const b = at(8, inner);
    assert.equal(v.reset(b, 8, 8 + inner.length), Decode.Ok);
    assert.equal(v.payloadOffset, 8);
  });
  test('origin indication and authentication headers are skipped', () => {
    const v = new TeredoView();
    let b = concat(hex('0000 1234 c0000201'), inner);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 8);
    // auth: id-len 2, au-len 3, then id, au, nonce (8), confirmation (1) → 4 + 2 + 3 + 9 = 18
    const auth = hex('0001 02 03 aaaa bbbbbb 0102030405060708 00');
    b = concat(auth, hex('0000 1234 c0000201'), inner);
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.payloadOffset, 26);
  });
  test('not IPv6, or a payload length not filling the datagram, is unsupported', () => {
    const v = new TeredoView();
    const notV6 = inner.slice();
    notV6[0] = 0x45;
    assert.equal(v.reset(notV6, 0, notV6.length), Decode.Unsupported);
    assert.equal(v.reset(concat(inner, zeros(1)), 0, inner.length + 1), Decode.Unsupported);
    assert.equal(v.reset(inner, 0, 39), Decode.Truncated);
  });
});

describe('CapwapView', () => {
  test('802.3 payload (T = 0): HLEN 2 words', () => {
    const v = new CapwapView();
    const b = concat(hex('00 10 0000 00000000'), hex('020000000002 020000000001 0800'));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.ieee80211, false);
    assert.equal(v.payloadOffset, 8);
  });
  test('native 802.11 payload: T = 1, WBID = 1 (RFC 5415 §4.3 bit layout)', () => {
    const v = new CapwapView();
    // HLEN 2, RID 0, WBID 1, T 1: byte 2 = WBID << 1 | T = 0x03
    let b = concat(hex('00 10 03 00 00000000'), zeros(32));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.ieee80211, true);
    assert.equal(v.payloadOffset, 8);
    // HLEN 4, RID 1, WBID 1, T 1, M 1 (as Cisco WLCs send it): 00 20 43 10
    b = concat(hex('00 20 43 10 00000000 06 001122334455 00'), zeros(32));
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.ieee80211, true);
    assert.equal(v.payloadOffset, 16);
  });
  test('T = 1 with another binding is not 802.11', () => {
    const v = new CapwapView();
    const b = concat(hex('00 10 05 00 00000000'), zeros(32)); // WBID 2
    assert.equal(v.reset(b, 0, b.length), Decode.Ok);
    assert.equal(v.ieee80211, false);
  });
  test('keep-alive and non-zero preamble unsupported; HLEN < 2 malformed; truncated', () => {
    const v = new CapwapView();
    assert.equal(v.reset(concat(hex('00 10 00 08 00000000'), zeros(4)), 0, 12), Decode.Unsupported);
    assert.equal(v.reset(concat(hex('01 10 00 00 00000000'), zeros(4)), 0, 12), Decode.Unsupported);
    assert.equal(v.reset(concat(hex('00 08 00 00 00000000'), zeros(4)), 0, 12), Decode.Malformed);
    assert.equal(v.reset(hex('00 10 00 00 00000000'), 0, 8), Decode.Truncated);
    assert.equal(v.reset(hex('00 10 00 00 000000'), 0, 7), Decode.Truncated);
  });
});
