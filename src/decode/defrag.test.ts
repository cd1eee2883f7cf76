/**
 * IPv4 / IPv6 reassembly through the PacketDecoder: arrival orders, duplicates, overlaps,
 * incomplete datagrams (expire / flush → decodeIncomplete), and the limits with their counters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import {
  ethernet,
  ethIp,
  extensionHeader,
  fragmentIpv4,
  fragmentIpv6,
  gre,
  ipAddr,
  IpProto,
  ipPacket,
  ipTcp,
  ipUdp,
  ipv4,
  ipv6,
  udp,
} from '../testing/packet-builder.js';
import { PacketDecoder, PacketKind, TUNNEL_NAMES } from './decoder.js';
import { DEFAULT_DEFRAG_LIMITS, type DefragLimits } from './defrag.js';
import { WeirdCounters } from './weirds.js';

const T0 = 1_700_000_000_000_000;
const SRC = '10.0.0.1';
const DST = '10.0.0.2';

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/** A 128-byte IPv4/UDP datagram (100-byte payload) and its Ethernet-framed fragments. */
function v4Datagram(id: number, step: number, payload = pattern(100)): { whole: Uint8Array; frags: Uint8Array[] } {
  const whole = ipUdp({ src: SRC, dst: DST, sport: 5000, dport: 53, payload, ip: { id } });
  return { whole, frags: fragmentIpv4(whole, step).map((f) => ethIp(f)) };
}

class Rig {
  readonly w = new WeirdCounters();
  readonly d: PacketDecoder;
  constructor(limits: Partial<DefragLimits> = {}) {
    this.d = new PacketDecoder(this.w, { ...DEFAULT_DEFRAG_LIMITS, ...limits });
  }
  feed(frame: Uint8Array, ts = T0, linkType: number = LinkType.Ethernet): PacketKind {
    return this.d.decode(frame, 0, frame.length, frame.length, linkType, ts);
  }
  get weirds(): Record<string, number> {
    return this.w.toObject();
  }
  /** The reassembled L4 payload bytes. */
  payload(): number[] {
    return [...this.d.keyBuf.subarray(this.d.payloadOffset, this.d.payloadEnd)];
  }
  addr(off: number, n: number): number[] {
    return [...this.d.keyBuf.subarray(off, off + n)];
  }
}

const sum = (xs: Uint8Array[]): number => xs.reduce((a, x) => a + x.length, 0);

describe('IPv4 reassembly', () => {
  test('in order: held, held, then one IP packet standing for three frames', () => {
    const r = new Rig();
    const { frags } = v4Datagram(0x4242, 48);
    assert.equal(frags.length, 3);
    assert.deepEqual(
      frags.map((f) => f.length),
      [82, 82, 46],
    );
    assert.equal(r.feed(frags[0]!, T0), PacketKind.Held);
    assert.equal(r.feed(frags[1]!, T0 + 10), PacketKind.Held);
    assert.equal(r.d.defrag.pending, 1);
    assert.equal(r.feed(frags[2]!, T0 + 20), PacketKind.Ip);
    const d = r.d;
    assert.equal(d.ipVersion, 4);
    assert.equal(d.keyBuf, d.defrag.out);
    assert.deepEqual(r.addr(d.srcOffset, 4), [...ipAddr(SRC)]);
    assert.deepEqual(r.addr(d.dstOffset, 4), [...ipAddr(DST)]);
    assert.equal(d.l4Proto, 17);
    assert.equal(d.srcPort, 5000);
    assert.equal(d.dstPort, 53);
    assert.equal(d.payloadLength, 100);
    assert.deepEqual(r.payload(), [...pattern(100)]);
    assert.equal(d.frames, 3);
    assert.equal(d.wireBytes, 210);
    assert.equal(d.firstTsUs, T0);
    assert.equal(d.defrag.pending, 0);
    assert.deepEqual(d.defrag.stats, { fragments: 3, reassembled: 1, timedOut: 0, evicted: 0 });
    assert.deepEqual(r.weirds, {});
  });

  test('the reassembled header has the fragment fields cleared and the full total length', () => {
    const r = new Rig();
    const { whole, frags } = v4Datagram(7, 48);
    for (const f of frags) r.feed(f);
    const out = r.d.defrag.out.subarray(0, r.d.defrag.outLength);
    assert.equal(r.d.defrag.outLength, whole.length);
    assert.equal((out[2]! << 8) | out[3]!, 128);
    assert.equal(out[6], 0);
    assert.equal(out[7], 0);
    assert.deepEqual([...out.subarray(20)], [...whole.subarray(20)]);
  });

  test('every arrival order completes on the last missing fragment', () => {
    const { frags } = v4Datagram(9, 48);
    for (const order of [
      [2, 0, 1],
      [2, 1, 0],
      [1, 2, 0],
      [1, 0, 2],
      [0, 2, 1],
    ]) {
      const r = new Rig();
      const kinds = order.map((i, n) => r.feed(frags[i]!, T0 + n));
      assert.deepEqual(kinds, [PacketKind.Held, PacketKind.Held, PacketKind.Ip], order.join());
      assert.equal(r.d.srcPort, 5000);
      assert.equal(r.d.frames, 3);
      assert.equal(r.d.wireBytes, 210);
      assert.equal(r.d.firstTsUs, T0);
      assert.deepEqual(r.payload(), [...pattern(100)]);
      assert.deepEqual(r.weirds, {});
    }
  });

  test('an exact duplicate counts as a frame but no weird', () => {
    const r = new Rig();
    const { frags } = v4Datagram(9, 48);
    r.feed(frags[0]!);
    r.feed(frags[0]!);
    r.feed(frags[1]!);
    assert.equal(r.feed(frags[2]!), PacketKind.Ip);
    assert.equal(r.d.frames, 4);
    assert.equal(r.d.wireBytes, 82 + 82 + 82 + 46);
    assert.deepEqual(r.payload(), [...pattern(100)]);
    assert.deepEqual(r.weirds, {});
  });

  /** A fragment of datagram `id` covering datagram payload [from, to) with `bytes`. */
  function piece(id: number, from: number, bytes: Uint8Array, more = true): Uint8Array {
    return ethIp(ipv4({ src: SRC, dst: DST, proto: 17, id, fragOffset: from, mf: more, payload: bytes }));
  }

  test('overlap with the same bytes: fragment_overlap, datagram intact', () => {
    const r = new Rig();
    const { whole, frags } = v4Datagram(11, 48);
    const data = whole.subarray(20);
    r.feed(frags[0]!);
    r.feed(frags[1]!);
    assert.equal(r.feed(piece(11, 48, data.subarray(48, 64))), PacketKind.Held);
    assert.equal(r.feed(frags[2]!), PacketKind.Ip);
    assert.equal(r.d.frames, 4);
    assert.deepEqual(r.payload(), [...pattern(100)]);
    assert.deepEqual(r.weirds, { fragment_overlap: 1 });
  });

  test('overlap with different bytes: fragment_inconsistent_overlap, the first copy wins', () => {
    const { whole, frags } = v4Datagram(12, 48);
    const data = whole.subarray(20);
    const evil = new Uint8Array(16).fill(0xee);
    // The original arrives first: the evil bytes are ignored.
    let r = new Rig();
    r.feed(frags[0]!);
    r.feed(frags[1]!);
    r.feed(piece(12, 48, evil));
    assert.equal(r.feed(frags[2]!), PacketKind.Ip);
    assert.deepEqual(r.payload(), [...pattern(100)]);
    assert.deepEqual(r.weirds, { fragment_inconsistent_overlap: 1 });
    // The evil bytes arrive first: they are kept.
    r = new Rig();
    r.feed(piece(12, 48, evil));
    r.feed(frags[0]!);
    r.feed(frags[1]!);
    assert.equal(r.feed(frags[2]!), PacketKind.Ip);
    const expected = data.slice(8); // UDP payload = datagram payload after the 8-byte UDP header
    expected.fill(0xee, 40, 56);
    assert.deepEqual(r.payload(), [...expected]);
    assert.deepEqual(r.weirds, { fragment_inconsistent_overlap: 1 });
  });

  test('two last fragments disagreeing on the end: fragment_inconsistent_overlap', () => {
    const r = new Rig();
    const { whole, frags } = v4Datagram(13, 48);
    r.feed(frags[2]!); // ends at 108
    r.feed(piece(13, 96, whole.subarray(20 + 96, 20 + 104), false)); // claims the end is 104
    assert.equal(r.weirds.fragment_inconsistent_overlap, 1);
  });

  test('a fragment past 65535 bytes: fragment_too_large, nothing held', () => {
    const r = new Rig();
    assert.equal(r.feed(piece(14, 65528, new Uint8Array(16), false)), PacketKind.Held);
    assert.deepEqual(r.weirds, { fragment_too_large: 1 });
    assert.equal(r.d.defrag.pending, 0);
  });

  test('fragments inside a VLAN and inside a GRE tunnel keep their context', () => {
    const raw = fragmentIpv4(ipTcp({ src: SRC, dst: DST, sport: 1, dport: 2, payload: pattern(64), ip: { id: 99 } }), 48);
    assert.equal(raw.length, 2);
    let r = new Rig();
    for (const f of raw) r.feed(ethernet({ etherType: 0x0800, vlans: [7], payload: f }));
    assert.equal(r.d.vlan, 7);
    assert.equal(r.d.srcPort, 1);
    r = new Rig();
    const kinds = raw.map((f) => r.feed(ethIp(ipPacket('172.16.0.1', '172.16.0.2', IpProto.GRE, gre({ protocol: 0x0800, payload: f })))));
    assert.deepEqual(kinds, [PacketKind.Held, PacketKind.Ip]);
    assert.equal(TUNNEL_NAMES[r.d.tunnel], 'GRE');
    assert.deepEqual(r.addr(r.d.srcOffset, 4), [...ipAddr(SRC)]);
    assert.equal(r.d.dstPort, 2);
  });

  test('a fragmented outer header of a tunnel: reassembled, then the tunnel is followed', () => {
    const inner = ipTcp({ src: '192.168.0.1', dst: '192.168.0.2', sport: 10, dport: 20, payload: pattern(100) });
    const outer = ipv4({ src: SRC, dst: DST, proto: IpProto.GRE, id: 5, payload: gre({ protocol: 0x0800, payload: inner }) });
    const frags = fragmentIpv4(outer, 64).map((f) => ethIp(f));
    const r = new Rig();
    const kinds = frags.map((f) => r.feed(f));
    assert.equal(kinds.at(-1), PacketKind.Ip);
    assert.equal(TUNNEL_NAMES[r.d.tunnel], 'GRE');
    assert.deepEqual(r.addr(r.d.srcOffset, 4), [192, 168, 0, 1]);
    assert.equal(r.d.dstPort, 20);
    assert.equal(r.d.frames, frags.length);
  });
});

describe('IPv6 reassembly', () => {
  const SRC6 = '2001:db8::1';
  const DST6 = '2001:db8::2';

  test('in order and out of order, with a hop-by-hop header before the fragment header', () => {
    const whole = ipv6({ src: SRC6, dst: DST6, nextHeader: 17, extensions: [extensionHeader(0)], payload: udp({ sport: 6000, dport: 443, payload: pattern(200) }) });
    const frags = fragmentIpv6(whole, 64, 0xabcdef01).map((f) => ethIp(f));
    assert.equal(frags.length, 4);
    for (const order of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [1, 3, 0, 2],
    ]) {
      const r = new Rig();
      const kinds = order.map((i) => r.feed(frags[i]!));
      assert.deepEqual(kinds, [PacketKind.Held, PacketKind.Held, PacketKind.Held, PacketKind.Ip], order.join());
      assert.equal(r.d.ipVersion, 6);
      assert.deepEqual(r.addr(r.d.srcOffset, 16), [...ipAddr(SRC6)]);
      assert.deepEqual(r.addr(r.d.dstOffset, 16), [...ipAddr(DST6)]);
      assert.equal(r.d.l4Proto, 17);
      assert.equal(r.d.srcPort, 6000);
      assert.equal(r.d.dstPort, 443);
      assert.equal(r.d.payloadLength, 200);
      assert.deepEqual(r.payload(), [...pattern(200)]);
      assert.equal(r.d.frames, 4);
      assert.equal(r.d.wireBytes, sum(frags));
      assert.deepEqual(r.weirds, {});
      // The reassembled packet is the original one, byte for byte.
      assert.deepEqual([...r.d.defrag.out.subarray(0, r.d.defrag.outLength)], [...whole]);
    }
  });

  test('IPv6 overlap with different bytes', () => {
    const whole = ipPacket(SRC6, DST6, 17, udp({ sport: 1, dport: 2, payload: pattern(100) }));
    const frags = fragmentIpv6(whole, 48, 3).map((f) => ethIp(f));
    const r = new Rig();
    r.feed(frags[0]!);
    const dup = frags[1]!.slice();
    dup[dup.length - 1] ^= 0xff;
    r.feed(dup);
    r.feed(frags[1]!);
    assert.equal(r.feed(frags[2]!), PacketKind.Ip);
    assert.deepEqual(r.weirds, { fragment_inconsistent_overlap: 1 });
  });
});

describe('incomplete datagrams', () => {
  test('flush: first fragment only → onIncomplete, flow with ports, no L4 weird', () => {
    const r = new Rig();
    const { frags } = v4Datagram(21, 48);
    assert.equal(r.feed(frags[0]!, T0 + 5), PacketKind.Held);
    let calls = 0;
    let kind: PacketKind = PacketKind.Invalid;
    let snapshot: Record<string, number | string> = {};
    r.d.defrag.flush(() => {
      calls++;
      kind = r.d.decodeIncomplete();
      snapshot = {
        v: r.d.ipVersion,
        proto: r.d.l4Proto,
        sport: r.d.srcPort,
        dport: r.d.dstPort,
        frames: r.d.frames,
        wire: r.d.wireBytes,
        first: r.d.firstTsUs,
        vlan: r.d.vlan,
        tunnel: TUNNEL_NAMES[r.d.tunnel] ?? '?',
        src: r.addr(r.d.srcOffset, 4).join('.'),
      };
    });
    assert.equal(calls, 1);
    assert.equal(kind, PacketKind.Ip);
    assert.deepEqual(snapshot, { v: 4, proto: 17, sport: 5000, dport: 53, frames: 1, wire: 82, first: T0 + 5, vlan: -1, tunnel: '', src: SRC });
    assert.equal(r.d.defrag.pending, 0);
    assert.deepEqual(r.d.defrag.stats, { fragments: 1, reassembled: 0, timedOut: 1, evicted: 0 });
    assert.deepEqual(r.weirds, { fragment_timeout: 1 });
  });

  test('flush: later fragments only → flow without ports', () => {
    const r = new Rig();
    const { frags } = v4Datagram(22, 48);
    r.feed(frags[1]!, T0);
    r.feed(frags[2]!, T0 + 7);
    const got: number[] = [];
    r.d.defrag.flush(() => {
      const k = r.d.decodeIncomplete();
      got.push(k, r.d.l4Proto, r.d.srcPort, r.d.dstPort, r.d.frames, r.d.wireBytes, r.d.firstTsUs);
    });
    assert.deepEqual(got, [PacketKind.Ip, 17, 0, 0, 2, 128, T0]);
    assert.deepEqual(r.weirds, { fragment_timeout: 1 });
  });

  test('flush without a callback drops silently (counted)', () => {
    const r = new Rig();
    r.feed(v4Datagram(23, 48).frags[0]!);
    r.d.defrag.flush();
    assert.equal(r.d.defrag.pending, 0);
    assert.deepEqual(r.weirds, { fragment_timeout: 1 });
  });

  test('expire: only datagrams older than the timeout end', () => {
    const r = new Rig({ timeoutUs: 1_000_000 });
    r.feed(v4Datagram(24, 48).frags[0]!, T0);
    r.feed(v4Datagram(25, 48).frags[0]!, T0 + 500_000);
    assert.equal(r.d.defrag.oldestTs, T0);
    const ids: number[] = [];
    const cb = () => {
      r.d.decodeIncomplete();
      ids.push(r.d.defrag.out[4]! * 256 + r.d.defrag.out[5]!);
    };
    r.d.defrag.expire(T0 + 1_000_000, cb);
    assert.deepEqual(ids, []);
    r.d.defrag.expire(T0 + 1_000_001, cb);
    assert.deepEqual(ids, [24]);
    assert.equal(r.d.defrag.pending, 1);
    r.d.defrag.expire(T0 + 1_500_001, cb);
    assert.deepEqual(ids, [24, 25]);
    assert.equal(r.d.defrag.oldestTs, Number.POSITIVE_INFINITY);
  });

  test('incomplete datagram keeps its VLAN and tunnel context', () => {
    const f = fragmentIpv4(ipTcp({ src: SRC, dst: DST, sport: 80, dport: 8080, payload: pattern(64), ip: { id: 31 } }), 40)[0]!;
    let r = new Rig();
    r.feed(ethernet({ etherType: 0x0800, vlans: [{ vid: 4000, tpid: 0x88a8 }, 12], payload: f }));
    let seen: unknown[] = [];
    r.d.defrag.flush(() => {
      r.d.decodeIncomplete();
      seen = [r.d.vlan, TUNNEL_NAMES[r.d.tunnel], r.d.srcPort, r.d.dstPort];
    });
    assert.deepEqual(seen, [4000, '', 80, 8080]);
    r = new Rig();
    r.feed(ethIp(ipPacket('172.16.0.1', '172.16.0.2', IpProto.GRE, gre({ protocol: 0x0800, payload: f }))));
    r.d.defrag.flush(() => {
      r.d.decodeIncomplete();
      seen = [r.d.vlan, TUNNEL_NAMES[r.d.tunnel], r.addr(r.d.srcOffset, 4).join('.'), r.d.srcPort];
    });
    assert.deepEqual(seen, [-1, 'GRE', SRC, 80]);
  });

  test('IPv6: incomplete datagram with the first fragment has its ports', () => {
    const whole = ipTcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 443, dport: 50000, payload: pattern(120) });
    const frags = fragmentIpv6(whole, 64, 77).map((f) => ethIp(f));
    const r = new Rig();
    r.feed(frags[0]!);
    let seen: number[] = [];
    r.d.defrag.flush(() => {
      seen = [r.d.decodeIncomplete(), r.d.ipVersion, r.d.l4Proto, r.d.srcPort, r.d.dstPort];
    });
    assert.deepEqual(seen, [PacketKind.Ip, 6, 6, 443, 50000]);
    assert.deepEqual(r.weirds, { fragment_timeout: 1 });
  });
});

describe('reassembly limits', () => {
  test('maxDatagrams: the oldest is evicted and counted', () => {
    const r = new Rig({ maxDatagrams: 2 });
    const a = v4Datagram(1, 48).frags;
    const b = v4Datagram(2, 48).frags;
    const c = v4Datagram(3, 48).frags;
    r.feed(a[0]!);
    r.feed(b[0]!);
    r.feed(c[0]!);
    assert.deepEqual(r.weirds, { fragment_evicted: 1 });
    assert.equal(r.d.defrag.stats.evicted, 1);
    assert.equal(r.d.defrag.pending, 2);
    // B and C still complete.
    r.feed(b[1]!);
    assert.equal(r.feed(b[2]!), PacketKind.Ip);
    r.feed(c[1]!);
    assert.equal(r.feed(c[2]!), PacketKind.Ip);
    // A lost its first fragment: the rest cannot complete it.
    r.feed(a[1]!);
    assert.equal(r.feed(a[2]!), PacketKind.Held);
    assert.equal(r.d.defrag.pending, 1);
    assert.deepEqual(r.d.defrag.stats, { fragments: 9, reassembled: 2, timedOut: 0, evicted: 1 });
  });

  test('maxBytes: the oldest datagrams are evicted until the bytes fit', () => {
    const r = new Rig({ maxBytes: 100 });
    r.feed(v4Datagram(1, 48).frags[0]!); // 48 bytes held
    r.feed(v4Datagram(2, 48).frags[0]!); // 96
    assert.deepEqual(r.weirds, {});
    r.feed(v4Datagram(3, 48).frags[0]!); // 144 → evict 1
    assert.deepEqual(r.weirds, { fragment_evicted: 1 });
    assert.equal(r.d.defrag.pending, 2);
  });

  test('maxBytes: every datagram ends exactly once (reassembled, evicted or timed out)', () => {
    // A: 2 fragments (56 + 52 bytes); B: 40 bytes; then A completes while over the limit.
    const r = new Rig({ maxBytes: 100 });
    const a = fragmentIpv4(ipUdp({ src: SRC, dst: DST, sport: 1, dport: 2, payload: pattern(100), ip: { id: 1 } }), 56).map((f) => ethIp(f));
    const b = ethIp(ipv4({ src: SRC, dst: DST, proto: 17, id: 2, mf: true, payload: new Uint8Array(40) }));
    const c = ethIp(ipv4({ src: SRC, dst: DST, proto: 17, id: 3, mf: true, payload: new Uint8Array(80) }));
    r.feed(a[0]!);
    r.feed(b);
    r.feed(a[1]!);
    r.feed(c);
    r.d.defrag.flush();
    const s = r.d.defrag.stats;
    assert.equal(s.reassembled + s.evicted + s.timedOut, 3, `3 datagrams, ended ${JSON.stringify(s)}`);
  });

  test('maxFragments: a datagram of that many fragments completes; one more is excessive_fragments', () => {
    let r = new Rig({ maxFragments: 4 });
    const four = v4Datagram(1, 32).frags;
    assert.equal(four.length, 4);
    assert.equal(four.map((f) => r.feed(f)).at(-1), PacketKind.Ip);
    r = new Rig({ maxFragments: 4 });
    const five = v4Datagram(2, 24).frags;
    assert.equal(five.length, 5);
    const kinds = five.map((f) => r.feed(f));
    assert.deepEqual(kinds, [PacketKind.Held, PacketKind.Held, PacketKind.Held, PacketKind.Held, PacketKind.Held]);
    assert.deepEqual(r.weirds, { excessive_fragments: 1 });
    assert.equal(r.d.defrag.pending, 0);
  });
});

describe('held fragments own their bytes', () => {
  test('a Node Buffer frame reused after decode (as capture readers reuse chunks) does not change held fragments', () => {
    // Buffer#slice is a view, not a copy: a held fragment must be copied out of the frame.
    const r = new Rig();
    const { whole, frags } = v4Datagram(0x7777, 48);
    const buf = Buffer.alloc(256);
    for (const [i, f] of frags.entries()) {
      buf.fill(0);
      buf.set(f, 0);
      const kind = r.d.decode(buf, 0, f.length, f.length, LinkType.Ethernet, T0 + i);
      buf.fill(0xaa); // the reader reuses the chunk for the next bytes
      if (i < frags.length - 1) assert.equal(kind, PacketKind.Held);
      else assert.equal(kind, PacketKind.Ip);
    }
    assert.deepEqual(r.payload(), [...whole.subarray(28)]);
    assert.deepEqual(r.weirds, {});
  });
});
