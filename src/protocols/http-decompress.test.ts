import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { BodyDecoder, type Coding, type DecodeAbort, type DecodeLimits, isZlibHeader, parseContentEncoding, RATIO_FLOOR } from './http-decompress.js';

const LIMITS: DecodeLimits = { keepBytes: 1 << 20, maxDecompressedBytes: 10 << 20, maxRatio: 100 };

/** Text with some repetition: compresses, but far below the ratio limit. */
function sample(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 0x61 + ((x >>> 16) % 26);
  }
  return out;
}

/** Runs `data` through a decoder in `pieces` writes; resolves with what `done` got. */
function decode(codings: Coding[], data: Uint8Array, limits = LIMITS, pieces = 7): Promise<{ body: Uint8Array; aborted: DecodeAbort | undefined; calls: number }> {
  return new Promise((resolve) => {
    let calls = 0;
    const d = new BodyDecoder(codings, limits, (body, aborted) => {
      calls++;
      // A second call would show up in `calls` after the tick.
      setImmediate(() => resolve({ body, aborted, calls }));
    });
    const step = Math.max(1, Math.ceil(data.length / pieces));
    for (let o = 0; o < data.length; o += step) d.write(data, o, Math.min(data.length, o + step));
    d.end();
  });
}

describe('parseContentEncoding', () => {
  test('codings in order applied; identity dropped; unknown or too deep is undefined', () => {
    assert.deepEqual(parseContentEncoding('gzip'), ['gzip']);
    assert.deepEqual(parseContentEncoding(' X-GZip '), ['gzip']);
    assert.deepEqual(parseContentEncoding('deflate, br'), ['deflate', 'br']);
    assert.deepEqual(parseContentEncoding('identity'), []);
    assert.deepEqual(parseContentEncoding(''), []);
    assert.equal(parseContentEncoding('compress'), undefined);
    assert.equal(parseContentEncoding('zstd'), undefined);
    assert.equal(parseContentEncoding('gzip, gzip, gzip'), undefined);
  });
  test('zlib header check (RFC 1950)', () => {
    const z = deflateSync(Buffer.from('x'));
    assert.ok(isZlibHeader(z[0]!, z[1]!));
    assert.ok(isZlibHeader(0x78, 0x01) && isZlibHeader(0x78, 0xda));
    const raw = deflateRawSync(Buffer.from('hello hello hello'));
    assert.ok(!isZlibHeader(raw[0]!, raw[1]!));
  });
});

describe('BodyDecoder', () => {
  const plain = sample(200_000);
  for (const [name, codings, data] of [
    ['gzip', ['gzip'], gzipSync(plain)],
    ['deflate (zlib)', ['deflate'], deflateSync(plain)],
    ['deflate (raw)', ['deflate'], deflateRawSync(plain)],
    ['br', ['br'], brotliCompressSync(plain)],
    ['deflate then gzip (stacked)', ['deflate', 'gzip'], gzipSync(deflateSync(plain))],
  ] as Array<[string, Coding[], Uint8Array]>) {
    test(`${name}: decoded whole, done once`, async () => {
      const r = await decode(codings, data);
      assert.equal(r.aborted, undefined);
      assert.equal(r.calls, 1);
      assert.equal(Object.getPrototypeOf(r.body), Uint8Array.prototype);
      assert.deepEqual(r.body, plain);
    });
  }

  test('deflate split before its second byte still tells zlib from raw', async () => {
    const z = deflateSync(plain);
    const r = await decode(['deflate'], z, LIMITS, z.length);
    assert.deepEqual(r.body, plain);
  });

  test('truncated input decodes as far as it goes, without error', async () => {
    const z = gzipSync(plain);
    const r = await decode(['gzip'], z.subarray(0, z.length >> 1));
    assert.equal(r.aborted, undefined);
    assert.ok(r.body.length > 0 && r.body.length < plain.length);
    assert.deepEqual(r.body, plain.subarray(0, r.body.length));
  });

  test('corrupt data: aborted "error"', async () => {
    const z = gzipSync(plain);
    const bad = new Uint8Array(z);
    for (let i = 2000; i < 2100; i++) bad[i] = 0xff;
    const r = await decode(['gzip'], bad);
    assert.equal(r.aborted, 'error');
    // What inflate wrote before noticing may already be wrong: only its bound is promised.
    assert.ok(r.body.length <= LIMITS.keepBytes);
    const r2 = await decode(['gzip'], new Uint8Array([0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    assert.equal(r2.aborted, 'error');
  });

  test('keepBytes: decoding stops quietly once they are kept', async () => {
    const r = await decode(['gzip'], gzipSync(plain), { ...LIMITS, keepBytes: 1000 });
    assert.equal(r.aborted, undefined);
    assert.deepEqual(r.body, plain.subarray(0, 1000));
  });

  test('a bomb trips the ratio past the floor, or the size with a lax ratio', async () => {
    const bomb = gzipSync(new Uint8Array(50 << 20), { level: 9 });
    assert.ok(bomb.length < 100_000);
    const big: DecodeLimits = { keepBytes: 64 << 20, maxDecompressedBytes: 10 << 20, maxRatio: 100 };
    const r = await decode(['gzip'], bomb, big);
    assert.equal(r.aborted, 'ratio');
    assert.ok(r.body.length > RATIO_FLOOR && r.body.length < 1 << 20, `kept ${r.body.length}`);
    const r2 = await decode(['gzip'], bomb, { ...big, maxRatio: 1e9 });
    assert.equal(r2.aborted, 'size');
    assert.equal(r2.body.length, 10 << 20);
  });

  test('small, very repetitive bodies are not bombs', async () => {
    const zeros = new Uint8Array(RATIO_FLOOR);
    const r = await decode(['gzip'], gzipSync(zeros));
    assert.equal(r.aborted, undefined);
    assert.equal(r.body.length, RATIO_FLOOR);
  });

  test('empty input and stop()', async () => {
    const r = await decode(['deflate'], new Uint8Array(0));
    assert.equal(r.body.length, 0);
    assert.equal(r.aborted, undefined);
    let got: DecodeAbort | undefined | null = null;
    const d = new BodyDecoder(['gzip'], LIMITS, (_b, a) => {
      got = a;
    });
    d.write(gzipSync(plain), 0, 100);
    d.stop('error');
    assert.equal(got, 'error');
    assert.ok(d.settled);
    d.write(plain, 0, 10); // ignored
    d.end();
  });
});
