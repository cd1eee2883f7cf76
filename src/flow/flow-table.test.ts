/**
 * FlowTable (open addressing with backward-shift deletion, growth, LRU lists) against a Map
 * model, and FlowKeyBuilder (canonical, symmetric keys).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketDecoder, PacketKind } from '../decode/decoder.js';
import { WeirdCounters } from '../decode/weirds.js';
import { ethernet, ethIp, ipPacket, ipTcp, ipUdp } from '../testing/packet-builder.js';
import { FlowKeyBuilder, hashKey, KEY_WORDS } from './flow-key.js';
import { FlowList, FlowTable, NIL } from './flow-table.js';

/** xorshift32: deterministic pseudo-random numbers. */
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

/** A distinct key per id; three hash families: real, clustered at the end of the index (wrap-around), identical. */
function keyOf(id: number): { key: Uint32Array; hash: number } {
  const key = new Uint32Array(KEY_WORDS);
  key[0] = id;
  key[4] = (id * 2654435761) >>> 0;
  key[8] = (id ^ 0x5555) >>> 0;
  key[9] = 6 | ((id & 1) << 8);
  if ((id & 1) === 1) key[1] = id;
  const family = id % 4;
  const hash = family === 0 || family === 1 ? hashKey(key) : family === 2 ? (0xffffffff - (id % 5)) >>> 0 : 0x12345678;
  return { key, hash };
}

function listOrder(t: FlowTable, list: number): number[] {
  const out: number[] = [];
  let prev = NIL;
  for (let f = t.heads[list]!; f !== NIL; f = t.next[f]!) {
    assert.equal(t.prev[f], prev, `prev link of ${f}`);
    assert.equal(t.listOf(f), list);
    out.push(f);
    prev = f;
    assert.ok(out.length <= t.count, 'list cycle');
  }
  assert.equal(t.tails[list], prev);
  return out;
}

describe('FlowTable', () => {
  test('randomised insert / remove / find against a Map model (collisions, wrap-around, growth)', () => {
    const next = rng(0xc0ffee);
    const maxFlows = 1500;
    const t = new FlowTable(maxFlows, 16);
    const model = new Map<number, number>(); // id → flow index
    const slots = new Set<number>();
    const universe = 2400;
    const check = (id: number) => {
      const { key, hash } = keyOf(id);
      const f = t.find(key, hash);
      const want = model.get(id);
      assert.equal(f, want ?? NIL, `find(${id})`);
    };
    let inserts = 0;
    let removes = 0;
    for (let op = 0; op < 30000; op++) {
      const id = 1 + (next() % universe);
      const r = next() % 10;
      if (r < 5) {
        if (!model.has(id) && !t.full) {
          const { key, hash } = keyOf(id);
          const f = t.insert(key, hash);
          t.touch(f, next() % 5 === 0 ? FlowList.Closing : FlowList.Open);
          assert.ok(!slots.has(f), 'slot handed out twice');
          slots.add(f);
          model.set(id, f);
          inserts++;
        }
      } else if (r < 8) {
        const f = model.get(id);
        if (f !== undefined) {
          t.remove(f);
          model.delete(id);
          slots.delete(f);
          removes++;
        }
      } else check(id);
      assert.equal(t.count, model.size);
      if (op % 1000 === 999) for (let i = 1; i <= universe; i++) check(i);
    }
    for (let i = 1; i <= universe; i++) check(i);
    // Both lists together hold every live flow exactly once.
    const listed = [...listOrder(t, FlowList.Open), ...listOrder(t, FlowList.Closing)].sort((a, b) => a - b);
    assert.deepEqual(listed, [...model.values()].sort((a, b) => a - b));
    assert.ok(inserts > 5000 && removes > 3000, `ops: ${inserts} inserts, ${removes} removes`);
    assert.ok(t.capacity <= maxFlows);
  });

  test('the stored key words are the inserted ones', () => {
    const t = new FlowTable(100, 16);
    const { key, hash } = keyOf(77);
    const f = t.insert(key, hash);
    assert.deepEqual([...t.keys.subarray(f * KEY_WORDS, (f + 1) * KEY_WORDS)], [...key]);
    assert.equal(t.hashes[f], hash);
  });

  test('backward-shift deletion keeps a wrapped probe chain intact', () => {
    const t = new FlowTable(16, 16); // index of 32 slots, mask 31
    const ids = [101, 102, 103, 104, 105, 106];
    const flows = ids.map((id) => {
      const key = new Uint32Array(KEY_WORDS);
      key[0] = id;
      // Homes 30, 30, 31, 31, 0, 30: the cluster wraps from slot 30 to slot 3.
      const hash = [30, 30, 31, 31, 0, 30][ids.indexOf(id)]!;
      const f = t.insert(key, hash);
      t.touch(f, FlowList.Open);
      return { id, key, hash, f };
    });
    const alive = new Set(flows);
    for (const victim of [flows[0]!, flows[3]!, flows[1]!, flows[5]!, flows[2]!, flows[4]!]) {
      t.remove(victim.f);
      alive.delete(victim);
      for (const x of flows) assert.equal(t.find(x.key, x.hash), alive.has(x) ? x.f : NIL, `after removing ${victim.id}: ${x.id}`);
    }
    assert.equal(t.count, 0);
  });

  test('identical hashes: keys are compared word by word', () => {
    const t = new FlowTable(64, 16);
    const keys = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((w) => {
      const k = new Uint32Array(KEY_WORDS);
      k[w] = 1; // differ in exactly one word each
      return k;
    });
    const fs = keys.map((k) => {
      const f = t.insert(k, 42);
      t.touch(f, FlowList.Open);
      return f;
    });
    for (const [i, k] of keys.entries()) assert.equal(t.find(k, 42), fs[i]);
    assert.equal(t.find(new Uint32Array(KEY_WORDS), 42), NIL);
    t.remove(fs[4]!);
    for (const [i, k] of keys.entries()) assert.equal(t.find(k, 42), i === 4 ? NIL : fs[i]);
  });

  test('grows by doubling up to maxFlows, then is full', () => {
    const t = new FlowTable(1000, 16);
    assert.equal(t.capacity, 16);
    const caps = new Set<number>();
    for (let id = 1; id <= 1000; id++) {
      assert.equal(t.full, false);
      const { key, hash } = keyOf(id);
      t.touch(t.insert(key, hash), FlowList.Open);
      caps.add(t.capacity);
    }
    assert.deepEqual([...caps], [16, 32, 64, 128, 256, 512, 1000]);
    assert.equal(t.full, true);
    assert.equal(t.count, 1000);
    for (let id = 1; id <= 1000; id++) {
      const { key, hash } = keyOf(id);
      assert.notEqual(t.find(key, hash), NIL, `lost ${id} in growth`);
    }
    assert.ok(t.bytesPerFlow > 0);
    assert.ok(t.stateBytes() > 1000 * 100);
  });

  test('a flow inserted but not (yet) on a list survives growth', () => {
    const t = new FlowTable(1000, 16);
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const id of ids) {
      const { key, hash } = keyOf(id);
      t.insert(key, hash);
    }
    const lost = ids.filter((id) => {
      const { key, hash } = keyOf(id);
      return t.find(key, hash) === NIL;
    });
    assert.deepEqual(lost, []);
  });

  test('freed slots are reused and their state zeroed', () => {
    const t = new FlowTable(4, 16);
    const a = keyOf(1);
    const f = t.insert(a.key, a.hash);
    t.touch(f, FlowList.Open);
    t.packets[2 * f] = 9;
    t.bytes[2 * f + 1] = 99;
    t.lenMin[2 * f] = 3;
    t.synTs[f] = 5;
    t.rttUs[f] = 7;
    t.tcpState[f] = 3;
    t.tunnel[f] = 2;
    t.remove(f);
    const b = keyOf(2);
    const g = t.insert(b.key, b.hash);
    assert.equal(g, f);
    assert.equal(t.packets[2 * g], 0);
    assert.equal(t.bytes[2 * g + 1], 0);
    assert.equal(t.lenMin[2 * g], 0xffffffff);
    assert.equal(t.ttlMin[2 * g], 255);
    assert.equal(t.ttlMax[2 * g], 0);
    assert.equal(t.dirLastTs[2 * g], -1);
    assert.equal(t.iatMin[2 * g], Number.POSITIVE_INFINITY);
    assert.equal(t.synTs[g], -1);
    assert.equal(t.rttUs[g], -1);
    assert.equal(t.tcpState[g], 0);
    assert.equal(t.tunnel[g], 0);
    assert.equal(t.find(a.key, a.hash), NIL);
  });

  test('LRU lists: touch appends to the tail, moves between lists; remove unlinks', () => {
    const t = new FlowTable(16, 16);
    const f = [1, 2, 3, 4, 5].map((id) => {
      const { key, hash } = keyOf(id);
      return t.insert(key, hash);
    });
    for (const x of f) t.touch(x, FlowList.Open);
    assert.deepEqual(listOrder(t, FlowList.Open), f);
    assert.deepEqual(listOrder(t, FlowList.Closing), []);
    t.touch(f[0]!, FlowList.Open); // most recent now
    assert.deepEqual(listOrder(t, FlowList.Open), [f[1], f[2], f[3], f[4], f[0]]);
    t.touch(f[0]!, FlowList.Open); // already the tail: no change
    assert.deepEqual(listOrder(t, FlowList.Open), [f[1], f[2], f[3], f[4], f[0]]);
    t.touch(f[2]!, FlowList.Closing);
    assert.deepEqual(listOrder(t, FlowList.Open), [f[1], f[3], f[4], f[0]]);
    assert.deepEqual(listOrder(t, FlowList.Closing), [f[2]]);
    t.touch(f[4]!, FlowList.Closing);
    assert.deepEqual(listOrder(t, FlowList.Closing), [f[2], f[4]]);
    t.remove(f[3]!);
    assert.deepEqual(listOrder(t, FlowList.Open), [f[1], f[0]]);
    t.remove(f[1]!); // head
    t.remove(f[0]!); // tail, now empty
    assert.deepEqual(listOrder(t, FlowList.Open), []);
    assert.equal(t.heads[FlowList.Open], NIL);
    assert.equal(t.tails[FlowList.Open], NIL);
    t.remove(f[4]!); // tail of Closing
    assert.deepEqual(listOrder(t, FlowList.Closing), [f[2]]);
    t.touch(f[2]!, FlowList.Open); // back to Open
    assert.deepEqual(listOrder(t, FlowList.Open), [f[2]]);
    assert.deepEqual(listOrder(t, FlowList.Closing), []);
  });
});

describe('FlowKeyBuilder', () => {
  const w = new WeirdCounters();
  const d = new PacketDecoder(w);
  const kb = new FlowKeyBuilder();
  /** Decodes a frame and builds its key; returns a copy and the flags. */
  function keyFor(frame: Uint8Array): { key: number[]; hash: number; swapped: boolean } {
    assert.equal(d.decode(frame, 0, frame.length, frame.length, 1, 0), PacketKind.Ip);
    kb.build(d);
    assert.equal(kb.hash, hashKey(kb.key));
    return { key: [...kb.key], hash: kb.hash, swapped: kb.swapped };
  }

  test('both directions of an IPv4 flow make one key and hash', () => {
    const ab = keyFor(ethIp(ipTcp({ src: '10.0.0.9', dst: '10.0.0.1', sport: 40000, dport: 80 })));
    const ba = keyFor(ethIp(ipTcp({ src: '10.0.0.1', dst: '10.0.0.9', sport: 80, dport: 40000 })));
    assert.deepEqual(ab.key, ba.key);
    assert.equal(ab.hash, ba.hash);
    assert.notEqual(ab.swapped, ba.swapped);
    // Side A is the lower address: 10.0.0.1:80.
    assert.equal(ab.key[0], 0x0a000001);
    assert.equal(ab.key[4], 0x0a000009);
    assert.equal(ab.key[8], ((80 << 16) | 40000) >>> 0);
    assert.equal(ab.key[9], 6);
    assert.equal(ab.swapped, true);
  });

  test('same address both ways: ports decide the side', () => {
    const x = keyFor(ethIp(ipUdp({ src: '127.0.0.1', dst: '127.0.0.1', sport: 5000, dport: 53 })));
    const y = keyFor(ethIp(ipUdp({ src: '127.0.0.1', dst: '127.0.0.1', sport: 53, dport: 5000 })));
    assert.deepEqual(x.key, y.key);
    assert.equal(x.key[8], ((53 << 16) | 5000) >>> 0);
    assert.equal(x.swapped, true);
    assert.equal(y.swapped, false);
  });

  test('IPv6: symmetric, addresses in four words each, version bit set', () => {
    const ab = keyFor(ethIp(ipUdp({ src: '2001:db8::2', dst: '2001:db8::1', sport: 1, dport: 2 })));
    const ba = keyFor(ethIp(ipUdp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 2, dport: 1 })));
    assert.deepEqual(ab.key, ba.key);
    assert.equal(ab.hash, ba.hash);
    assert.deepEqual(ab.key.slice(0, 8), [0x20010db8, 0, 0, 1, 0x20010db8, 0, 0, 2]);
    assert.equal(ab.key[9], 17 | 0x100);
  });

  test('VLAN, protocol and version are part of the key', () => {
    const plain = keyFor(ethIp(ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 })));
    const v10 = keyFor(ethernet({ etherType: 0x0800, vlans: [10], payload: ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }) }));
    const v20 = keyFor(ethernet({ etherType: 0x0800, vlans: [20], payload: ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }) }));
    const v0 = keyFor(ethernet({ etherType: 0x0800, vlans: [0], payload: ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }) }));
    const tcpKey = keyFor(ethIp(ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 })));
    const keys = [plain, v10, v20, v0, tcpKey].map((k) => k.key.join());
    assert.equal(new Set(keys).size, 5);
    assert.equal(v10.key[9], (17 | (11 << 12)) >>> 0);
    assert.equal(plain.key[9], 17);
    // An IPv6 address whose words look like an IPv4 key is still another key.
    const v6 = keyFor(ethIp(ipPacket('::a00:1', '::a00:2', 17, ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }).subarray(20))));
    assert.notEqual(v6.key.join(), plain.key.join());
  });
});
