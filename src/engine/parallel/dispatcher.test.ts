import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSink } from '../../capture/frame.js';
import { EtherType, ethernet, ipTcp } from '../../testing/packet-builder.js';
import { Dispatcher } from './dispatcher.js';
import { mergeSummaries } from './merge-summary.js';
import { allocateRing, RecordKind, RingReader, RingWriter } from './ring.js';

type Item = ['frame', number] | ['clock', number] | ['end'];

/** What one worker would read, in order: frames by time, clock records, the end. */
function readAll(reader: RingReader): Item[] {
  const items: Item[] = [];
  const sink: FrameSink = { frame: (_d, _o, _c, _w, tsUs) => items.push(['frame', tsUs]) };
  reader.drain(sink, (kind, value) => {
    if (kind === RecordKind.Clock) items.push(['clock', value]);
    else if (kind === RecordKind.End) items.push(['end']);
    return false;
  });
  return items;
}

function rings(n: number, bytes = 1 << 16): { writers: RingWriter[]; readers: RingReader[] } {
  const mems = Array.from({ length: n }, () => allocateRing(bytes));
  return { writers: mems.map((m) => new RingWriter(m)), readers: mems.map((m) => new RingReader(m)) };
}

const tcpFrame = (src: string, dst: string) => ethernet({ etherType: EtherType.IPv4, payload: ipTcp({ src, dst, sport: 1, dport: 2, seq: 0, flags: 0x10 }) });
const S = 1e6;

test('dispatcher: every worker hears each clock step, before any later frame, as one engine would expire', () => {
  const { writers, readers } = rings(2);
  const d = new Dispatcher(writers, { expiryStepUs: S });
  const a = tcpFrame('10.0.0.1', '10.0.0.2');
  const b = tcpFrame('10.0.0.3', '10.0.0.9');
  const times = [1.0, 1.2, 2.1, 1.9, 2.5, 3.5, 3.6];
  times.forEach((t, i) => {
    const f = i % 2 === 0 ? a : b;
    d.frame(f, 0, f.length, f.length, t * S, 1);
  });
  d.end();
  const got = readers.map(readAll);
  // The steps: 1.0 (first frame), 2.1 (>= 1.0 + 1), 3.5 (>= 2.1 + 1); 1.9 is late, not a step.
  for (const items of got) {
    assert.deepEqual(
      items.filter((x) => x[0] === 'clock').map((x) => x[1]),
      [1.0 * S, 2.1 * S, 3.5 * S],
    );
    assert.deepEqual(items.at(-1), ['end']);
    // No frame comes after a clock record later than itself… unless it is late in the capture too.
    let clock = 0;
    for (const [kind, t] of items) {
      if (kind === 'clock') clock = t as number;
      if (kind === 'frame') assert.ok((t as number) >= clock || t === 1.9 * S, `frame at ${t} after clock ${clock}`);
    }
  }
  const frames = got.map((items) => items.filter((x) => x[0] === 'frame').length);
  assert.equal(frames[0]! + frames[1]!, times.length);
  assert.equal(d.firstTsUs, 1.0 * S);
  assert.equal(d.lastTsUs, 3.6 * S);
});

test('dispatcher: both directions go to one worker; frames without IP to worker 0', () => {
  const { writers, readers } = rings(3);
  const d = new Dispatcher(writers, { expiryStepUs: S });
  const fwd = tcpFrame('192.0.2.1', '198.51.100.7');
  const rev = tcpFrame('198.51.100.7', '192.0.2.1');
  const arp = ethernet({ etherType: 0x0806, payload: new Uint8Array(28) });
  for (let i = 0; i < 10; i++) {
    d.frame(fwd, 0, fwd.length, fwd.length, S, 1);
    d.frame(rev, 0, rev.length, rev.length, S, 1);
  }
  d.frame(arp, 0, arp.length, arp.length, S, 1);
  d.flush();
  const counts = readers.map((r) => readAll(r).filter((x) => x[0] === 'frame').length);
  assert.deepEqual(Array.from(d.frames), counts);
  const ipWorker = counts.findIndex((c) => c >= 20);
  assert.ok(ipWorker >= 0, `one worker has both directions: ${counts}`);
  assert.equal(counts.reduce((x, y) => x + y, 0), 21);
  assert.ok(ipWorker === 0 ? counts[0] === 21 : counts[0] === 1, 'ARP went to worker 0');
});

test('dispatcher: in drop mode a full ring drops and counts; a missed clock record is delivered later', () => {
  const { writers, readers } = rings(1, 4096);
  const d = new Dispatcher(writers, { expiryStepUs: S, whenBehind: 'drop' });
  const f = tcpFrame('10.0.0.1', '10.0.0.2');
  // Nobody reads: the ring (4 KiB) fills after a few dozen frames, the rest are dropped.
  for (let i = 0; i < 200; i++) d.frame(f, 0, f.length, f.length, S + i, 1);
  assert.ok(d.dropped[0]! > 100, `dropped ${d.dropped[0]}`);
  assert.equal(d.frames[0]! + d.dropped[0]!, 200);
  // A clock step while the ring is full to the last byte (filled up with records of a kind
  // the reader skips): owed, then written before the next frame that fits.
  while (writers[0]!.tryMarker(-99, 0));
  d.frame(f, 0, f.length, f.length, 5 * S, 1);
  const first = readAll(readers[0]!);
  assert.equal(first.filter((x) => x[0] === 'clock').length, 1, 'only the first step fitted');
  d.frame(f, 0, f.length, f.length, 5 * S + 1, 1);
  d.flush();
  assert.deepEqual(readAll(readers[0]!), [
    ['clock', 5 * S],
    ['frame', 5 * S + 1],
  ]);
});

test('dispatcher: a frame bigger than a quarter of the ring goes on the side channel, its place kept by a record', () => {
  const { writers, readers } = rings(1, 8192);
  const posted: Uint8Array[] = [];
  const d = new Dispatcher(writers, { expiryStepUs: S, oversize: [{ postMessage: (b) => posted.push(b) }] });
  const small = tcpFrame('10.0.0.1', '10.0.0.2');
  const big = new Uint8Array(3000).fill(7);
  d.frame(small, 0, small.length, small.length, S, 1);
  d.frame(big, 0, big.length, 9000, S + 1, 1);
  d.frame(small, 0, small.length, small.length, S + 2, 1);
  d.end();
  const kinds: string[] = [];
  readers[0]!.drain({ frame: (_d, _o, _c, _w, ts) => kinds.push(`frame ${ts - S}`) }, (kind, value, wireLen) => {
    kinds.push(kind === RecordKind.Oversize ? `oversize ${value - S} ${wireLen}` : String(kind));
    return kind === RecordKind.End;
  });
  assert.deepEqual(kinds, [String(RecordKind.Clock), 'frame 0', 'oversize 1 9000', 'frame 2', String(RecordKind.End)]);
  assert.equal(posted.length, 1);
  assert.deepEqual(posted[0], big);
});

test('merge: counters add up, nested ones too; the span is the dispatcher’s', () => {
  const part = (packets: number, weird: string) =>
    ({
      packets,
      bytes: packets * 100,
      firstTsUs: 5,
      lastTsUs: 6,
      flows: { created: packets, ended: packets, evicted: 0, portReuse: 1 },
      flowStateBytesPerFlow: 289,
      consumers: { followedFlows: 2, reassembly: { gaps: 1 } },
      weirds: { [weird]: 1, common: 2 },
    }) as unknown as Parameters<typeof mergeSummaries>[0][number];
  const m = mergeSummaries([part(3, 'a'), part(4, 'b')], 1, 9) as unknown as Record<string, unknown>;
  assert.deepEqual(m, {
    packets: 7,
    bytes: 700,
    firstTsUs: 1,
    lastTsUs: 9,
    flows: { created: 7, ended: 7, evicted: 0, portReuse: 2 },
    flowStateBytesPerFlow: 289,
    consumers: { followedFlows: 4, reassembly: { gaps: 2 } },
    weirds: { a: 1, common: 4, b: 1 },
  });
  assert.deepEqual(Object.keys(m).slice(0, 4), ['packets', 'bytes', 'firstTsUs', 'lastTsUs'], 'the engine’s key order');
});
