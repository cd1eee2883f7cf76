import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { test } from 'node:test';
import { seededRandom } from '../testing/random.js';
import { AhoCorasick, type Pattern } from './aho-corasick.js';

const enc = new TextEncoder();
const pat = (s: string, nocase = false): Pattern => ({ bytes: enc.encode(s), nocase });

/** All (pattern, end) pairs of a scan, as "p@end" sorted. */
function hits(ac: AhoCorasick, chunks: readonly Uint8Array[]): string[] {
  const out: string[] = [];
  const st = ac.newState();
  for (const c of chunks) ac.scan(st, c, 0, c.length, (p, end) => out.push(`${p}@${end}`));
  return out.sort();
}

/** The reference: every occurrence of every pattern by `indexOf` (on lower-cased copies for nocase ones). */
function naive(patterns: readonly Pattern[], data: Uint8Array): string[] {
  const out: string[] = [];
  const lower = (b: Uint8Array): Buffer => Buffer.from(b.map((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c)));
  const exact = Buffer.from(data);
  const folded = lower(data);
  patterns.forEach((p, id) => {
    const hay = p.nocase ? folded : exact;
    const needle = p.nocase ? lower(p.bytes) : Buffer.from(p.bytes);
    for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) out.push(`${id}@${at + needle.length}`);
  });
  return out.sort();
}

/** Splits `data` at the given offsets into copies (no chunk keeps a view of another). */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, data.length]) {
    out.push(data.slice(at, c));
    at = c;
  }
  return out;
}

test('aho-corasick: the textbook example, overlaps and suffixes all reported', () => {
  const ps = ['he', 'she', 'his', 'hers'].map((s) => pat(s));
  const ac = new AhoCorasick(ps);
  assert.deepEqual(hits(ac, [enc.encode('ushers')]), ['0@4', '1@4', '3@6']);
  assert.deepEqual(hits(ac, [enc.encode('ushers')]), naive(ps, enc.encode('ushers')));
  const nested = ['a', 'aa', 'aaa', 'b', 'ab'].map((s) => pat(s));
  const data = enc.encode('aaaabaaa');
  assert.deepEqual(hits(new AhoCorasick(nested), [data]), naive(nested, data));
});

test('aho-corasick: duplicate patterns each reported; binary bytes 0x00 and 0xff', () => {
  const ps: Pattern[] = [{ bytes: Uint8Array.of(0, 0xff, 0) }, { bytes: Uint8Array.of(0, 0xff, 0) }, { bytes: Uint8Array.of(0xff) }];
  const ac = new AhoCorasick(ps);
  assert.deepEqual(hits(ac, [Uint8Array.of(1, 0, 0xff, 0, 0xff, 0)]), ['0@4', '0@6', '1@4', '1@6', '2@3', '2@5']);
  assert.throws(() => new AhoCorasick([{ bytes: new Uint8Array(0) }]), /empty/);
  assert.deepEqual(hits(new AhoCorasick([]), [enc.encode('anything')]), []);
});

test('aho-corasick: nocase folds, case-sensitive patterns stay exact in a folding automaton', () => {
  const ps = [pat('GET', true), pat('Host:'), pat('host:', true), pat('x-1')];
  const ac = new AhoCorasick(ps);
  assert.ok(ac.folds);
  const data = enc.encode('get / HTTP/1.1\r\nHOST: a\r\nHost: b\r\nX-1 x-1 GeT');
  assert.deepEqual(hits(ac, [data]), naive(ps, data));
  assert.ok(hits(ac, [data]).includes('1@30'), 'exact "Host:"');
  assert.equal(hits(ac, [data]).filter((h) => h.startsWith('1@')).length, 1);
});

test('aho-corasick: a match split across 2 and across 3 chunks, case checked across chunks', () => {
  const ps = [pat('cmd.exe', true), pat('Content-Length'), pat('abc')];
  const ac = new AhoCorasick(ps);
  const data = enc.encode('xxCMD.EXEyy content-length Content-Length abc');
  const want = naive(ps, data);
  assert.deepEqual(want, ['0@9', '1@41', '2@45']);
  assert.deepEqual(hits(ac, split(data, [5])), want, 'cmd.exe over 2 chunks');
  assert.deepEqual(hits(ac, split(data, [4, 6])), want, 'cmd.exe over 3 chunks');
  assert.deepEqual(hits(ac, split(data, [30, 35])), want, 'Content-Length over 3 chunks (case from the history)');
  assert.deepEqual(hits(ac, split(data, [18, 20, 33])), want, 'content-length (wrong case) over 3 chunks stays unmatched');
  assert.deepEqual(hits(ac, split(data, Array.from({ length: data.length - 1 }, (_, i) => i + 1))), want, 'one byte per chunk');
  // Offsets continue over chunks, and reset() starts a new stream position without carrying state.
  const st = ac.newState(1000);
  const got: string[] = [];
  ac.scan(st, enc.encode('xcm'), 0, 3, (p, e) => got.push(`${p}@${e}`));
  ac.reset(st, 2000);
  ac.scan(st, enc.encode('d.exe abc'), 0, 9, (p, e) => got.push(`${p}@${e}`));
  assert.deepEqual(got, ['2@2009']);
});

test('aho-corasick: scanBuffer reports buffer indices of a sub-range', () => {
  const ac = new AhoCorasick([pat('ab')]);
  const got: number[] = [];
  ac.scanBuffer(enc.encode('ab_ab_ab'), 2, 7, (_, e) => got.push(e));
  assert.deepEqual(got, [5]);
});

for (const [name, budget] of [
  ['dense rows for all states', undefined],
  ['8 dense states, the rest sparse', 8 * 1024],
  ['only the root dense', 1],
] as const) {
  test(`aho-corasick: 1,000 random patterns agree with a naive search (${name})`, () => {
    const rnd = seededRandom(2024);
    // A small alphabet so that patterns occur often; some letters so that nocase matters.
    const alphabet = Uint8Array.of(0x61, 0x62, 0x41, 0x42, 0x00, 0xff);
    const randomBytes = (n: number): Uint8Array => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = alphabet[Math.floor(rnd() * alphabet.length)]!;
      return b;
    };
    const ps: Pattern[] = [];
    for (let i = 0; i < 1000; i++) ps.push({ bytes: randomBytes(2 + Math.floor(rnd() * 9)), nocase: rnd() < 0.3 });
    const ac = new AhoCorasick(ps, budget === undefined ? {} : { denseBudgetBytes: budget });
    const data = randomBytes(20_000);
    const want = naive(ps, data);
    assert.ok(want.length > 1000, `${want.length} matches`);
    assert.deepEqual(hits(ac, [data]), want);
    const cuts: number[] = [];
    for (let at = 0; ; ) {
      at += 1 + Math.floor(rnd() * 12);
      if (at >= data.length) break;
      cuts.push(at);
    }
    assert.deepEqual(hits(ac, split(data, cuts)), want, 'random chunks');
  });
}
