import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FrameSink } from '../../capture/frame.js';
import { allocateRing, RECORD_HEADER, RecordKind, RingReader, RingWriter, recordBytes } from './ring.js';

interface Got {
  bytes: number[];
  wireLen: number;
  tsUs: number;
  linkType: number;
}

/** Collects frames (copying them: views into the ring die with the call). */
class Collector implements FrameSink {
  frames: Got[] = [];
  markers: Array<[number, number]> = [];
  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    this.frames.push({ bytes: Array.from(data.subarray(offset, offset + caplen)), wireLen, tsUs, linkType });
  }
  readonly onMarker = (kind: number, value: number): boolean => {
    this.markers.push([kind, value]);
    return kind === RecordKind.End;
  };
}

function frameOf(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i) & 0xff);
}

test('ring: frames come out whole and in order, with their header fields', () => {
  const mem = allocateRing(4096);
  const w = new RingWriter(mem);
  const r = new RingReader(mem);
  const c = new Collector();
  const big = new Uint8Array(100);
  big.set(frameOf(60, 1), 20);
  assert.ok(w.tryFrame(big, 20, 60, 1514, 1_700_000_000_123_456, 1));
  assert.ok(w.tryFrame(frameOf(1, 2), 0, 1, 1, 2.5, 101));
  assert.ok(w.tryFrame(new Uint8Array(0), 0, 0, 0, 3, 0));
  assert.equal(r.drain(c, c.onMarker), 0, 'nothing is visible before publish()');
  w.publish();
  assert.equal(r.drain(c, c.onMarker), 3);
  assert.deepEqual(c.frames, [
    { bytes: Array.from(frameOf(60, 1)), wireLen: 1514, tsUs: 1_700_000_000_123_456, linkType: 1 },
    { bytes: [frameOf(1, 2)[0]!], wireLen: 1, tsUs: 2.5, linkType: 101 },
    { bytes: [], wireLen: 0, tsUs: 3, linkType: 0 },
  ]);
  assert.ok(w.drained);
});

test('ring: a record is at most header + 7 bytes of padding + frame, rounded to 8', () => {
  assert.equal(recordBytes(0), RECORD_HEADER + 8);
  assert.equal(recordBytes(1), RECORD_HEADER + 8);
  assert.equal(recordBytes(2), RECORD_HEADER + 16);
  assert.equal(recordBytes(61), RECORD_HEADER + 72);
});

test('ring: frames at every source alignment come out intact (the copy keeps their alignment)', () => {
  const mem = allocateRing(8192);
  const w = new RingWriter(mem, 1 << 30);
  const r = new RingReader(mem, 512);
  const c = new Collector();
  const src = new Uint8Array(4096);
  for (let i = 0; i < src.length; i++) src[i] = (i * 7) & 0xff;
  const want: number[][] = [];
  for (let round = 0; round < 40; round++) {
    for (let off = 0; off < 8; off++) {
      const n = 1 + ((round * 13 + off * 29) % 90);
      const at = round * 17 + off;
      assert.ok(w.tryFrame(src, at, n, n, want.length, 1));
      want.push(Array.from(src.subarray(at, at + n)));
    }
    w.publish();
    r.drain(c, c.onMarker);
  }
  assert.deepEqual(
    c.frames.map((f) => f.bytes),
    want,
  );
});

test('ring: wraps around the end many times without losing or reordering a frame', () => {
  const mem = allocateRing(4096);
  const w = new RingWriter(mem, 1 << 30);
  const r = new RingReader(mem, 512);
  const c = new Collector();
  let sent = 0;
  // Sizes that do not divide the ring, so records straddle the end in every way.
  for (let round = 0; round < 200; round++) {
    for (let k = 0; k < 5; k++) {
      const n = (round * 37 + k * 101) % 300;
      assert.ok(w.tryFrame(frameOf(n, sent), 0, n, n, sent, 1), `frame ${sent} fits in a drained ring`);
      sent++;
    }
    w.publish();
    r.drain(c, c.onMarker);
  }
  assert.equal(c.frames.length, sent);
  for (let i = 0; i < sent; i++) {
    const got = c.frames[i]!;
    assert.equal(got.tsUs, i);
    assert.deepEqual(got.bytes, Array.from(frameOf(got.wireLen, i)), `frame ${i}`);
  }
});

test('ring: a full ring refuses records until the reader gives space back', () => {
  const mem = allocateRing(4096);
  const w = new RingWriter(mem, 1 << 30);
  const r = new RingReader(mem);
  const c = new Collector();
  let n = 0;
  while (w.tryFrame(frameOf(100, n), 0, 100, 100, n, 1)) n++;
  // 128 bytes per record (these frames need no padding); room is asked for the most a
  // 100-byte frame can take (136): 31 records, 128 bytes left of which 8 always stay free.
  assert.equal(recordBytes(100), 136);
  assert.equal(n, 31);
  assert.equal(w.tryFrame(frameOf(100, n), 0, 100, 100, n, 1), false, 'refused: nothing written');
  // 4096 - 31 × 128 = 128 bytes left, 8 of them kept free: five 24-byte records fit.
  let markers = 0;
  while (w.tryMarker(RecordKind.Clock, markers)) markers++;
  assert.equal(markers, 5);
  w.publish();
  assert.equal(r.drain(c, c.onMarker), n + markers);
  assert.deepEqual(
    c.frames.map((f) => f.tsUs),
    Array.from({ length: n }, (_, i) => i),
  );
  assert.ok(w.tryFrame(frameOf(100, n), 0, 100, 100, n, 1), 'room again after the drain');
  assert.ok(w.waitForRoom(recordBytes(100)), 'waitForRoom returns at once when there is room');
});

test('ring: markers travel in order with the frames; End stops the drain', () => {
  const mem = allocateRing(4096);
  const w = new RingWriter(mem);
  const r = new RingReader(mem);
  const c = new Collector();
  w.tryFrame(frameOf(10, 0), 0, 10, 10, 5, 1);
  w.tryMarker(RecordKind.Clock, 1e6);
  w.tryFrame(frameOf(10, 1), 0, 10, 10, 6, 1);
  w.tryMarker(RecordKind.End, 0);
  w.tryFrame(frameOf(10, 2), 0, 10, 10, 7, 1);
  w.publish();
  assert.equal(r.drain(c, c.onMarker), 4);
  assert.ok(r.stopped);
  assert.deepEqual(c.markers, [
    [RecordKind.Clock, 1e6],
    [RecordKind.End, 0],
  ]);
  assert.deepEqual(
    c.frames.map((f) => f.tsUs),
    [5, 6],
  );
  // The next session's reader goes on after the End record.
  assert.equal(r.drain(c, c.onMarker), 1);
  assert.equal(c.frames.at(-1)?.tsUs, 7);
});

test('ring: records are published in batches of publishBytes', () => {
  const mem = allocateRing(1 << 16);
  const w = new RingWriter(mem, 1024);
  const r = new RingReader(mem);
  const c = new Collector();
  for (let i = 0; i < 7; i++) w.tryFrame(frameOf(100, i), 0, 100, 100, i, 1);
  assert.equal(r.drain(c, c.onMarker), 0, '7 × 128 bytes < 1024: not yet visible');
  w.tryFrame(frameOf(100, 7), 0, 100, 100, 7, 1);
  assert.equal(r.drain(c, c.onMarker), 8, 'the 8th record reaches 1024 bytes: the batch is published');
});

test('ring: a failed reader releases a waiting writer', () => {
  const mem = allocateRing(4096);
  const w = new RingWriter(mem, 1 << 30);
  const r = new RingReader(mem);
  while (w.tryFrame(frameOf(100, 0), 0, 100, 100, 0, 1));
  r.fail();
  assert.equal(w.failed, true);
  assert.equal(w.waitForRoom(recordBytes(100), 1), false);
});

test('ring: across threads, a small ring with back-pressure delivers every frame', async () => {
  const { Worker } = await import('node:worker_threads');
  const mem = allocateRing(8192);
  const count = 20_000;
  // The consumer thread (the real RingReader, loaded through tsx) sums what it reads; the
  // producer waits whenever the ring is full.
  const ringUrl = new URL('./ring.ts', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ringUrl)}); }).then(({ RingReader }) => {
      const reader = new RingReader(workerData, 1024);
      let frames = 0, sum = 0, tsSum = 0;
      const sink = { frame(d, o, n, _w, ts) { for (let k = 0; k < n; k++) sum += d[o + k]; tsSum += ts; frames++; } };
      for (;;) {
        const n = reader.drain(sink, () => true);
        if (reader.stopped) break;
        if (n === 0) reader.wait(50);
      }
      parentPort.postMessage({ frames, sum, tsSum });
    });`;
  const worker = new Worker(code, { eval: true, workerData: mem });
  const result = new Promise<{ frames: number; sum: number; tsSum: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const w = new RingWriter(mem, 512);
  let sum = 0;
  let tsSum = 0;
  for (let i = 0; i < count; i++) {
    const n = (i * 7919) % 700;
    const f = frameOf(n, i);
    for (const b of f) sum += b;
    tsSum += i;
    if (!w.tryFrame(f, 0, n, n, i, 1)) {
      assert.ok(w.waitForRoom(recordBytes(n)));
      assert.ok(w.tryFrame(f, 0, n, n, i, 1));
    }
  }
  if (!w.tryMarker(RecordKind.End, 0)) {
    w.waitForRoom(RECORD_HEADER);
    w.tryMarker(RecordKind.End, 0);
  }
  w.publish();
  assert.deepEqual(await result, { frames: count, sum, tsSum });
  await worker.terminate();
});
