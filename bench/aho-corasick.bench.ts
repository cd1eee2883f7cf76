// Throughput of the Aho–Corasick scan against a plain loop over the same bytes, in one run.
// Run: node --import tsx bench/aho-corasick.bench.ts [MiB=64] [rounds=3]
// Patterns: 4–16 bytes, random printable ASCII (30% nocase) or random binary; data: random bytes
// (xorshift, seeded).
// The reference loop reads every byte and folds it into a sum (the floor for any per-byte scan).
import { seededRandom } from '../src/testing/random.js';
import { AhoCorasick, type Pattern } from '../src/search/aho-corasick.js';

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 3);
const rnd = seededRandom(1);

function patterns(n: number, binary = false): Pattern[] {
  const out: Pattern[] = [];
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(4 + Math.floor(rnd() * 13));
    for (let k = 0; k < b.length; k++) b[k] = binary ? Math.floor(rnd() * 256) : 0x20 + Math.floor(rnd() * 95);
    out.push({ bytes: b, nocase: !binary && rnd() < 0.3 });
  }
  return out;
}

const data = new Uint8Array(mib << 20);
{
  let s = 0x12345678;
  const w = new Uint32Array(data.buffer);
  for (let i = 0; i < w.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    w[i] = s >>> 0;
  }
}

function plainLoop(b: Uint8Array): number {
  let x = 0;
  for (let i = 0; i < b.length; i++) x = (x + b[i]!) | 0;
  return x;
}

const mbs = (ms: number): number => data.length / 1e6 / (ms / 1000);
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;

const sets = { text1k: patterns(1000), text10k: patterns(10000), bin1k: patterns(1000, true), bin10k: patterns(10000, true) };
const cases: [string, Pattern[], number | undefined][] = [
  ['1,000 printable patterns', sets.text1k, undefined],
  ['10,000 printable patterns', sets.text10k, undefined],
  ['10,000 printable patterns, 1 MiB dense budget', sets.text10k, 1 << 20],
  ['1,000 binary patterns', sets.bin1k, undefined],
  ['10,000 binary patterns', sets.bin10k, undefined],
  ['10,000 binary patterns, all dense', sets.bin10k, 1 << 30],
];
for (const [name, ps, budget] of cases) {
  let t = performance.now();
  const ac = new AhoCorasick(ps, budget === undefined ? {} : { denseBudgetBytes: budget });
  const buildMs = performance.now() - t;
  const acMs: number[] = [];
  const refMs: number[] = [];
  let found = 0;
  for (let r = 0; r < rounds; r++) {
    t = performance.now();
    plainLoop(data);
    refMs.push(performance.now() - t);
    found = 0;
    t = performance.now();
    // Scanned in 64 KiB chunks, as a stream would be.
    const st = ac.newState();
    for (let off = 0; off < data.length; off += 65536) ac.scan(st, data, off, Math.min(data.length, off + 65536), () => found++);
    acMs.push(performance.now() - t);
  }
  const a = mbs(median(acMs));
  const ref = mbs(median(refMs));
  console.log(
    `${name}: ${ac.stateCount} states, ${ac.denseStates} dense, ${ac.classes} byte classes, ${(ac.memoryBytes / 2 ** 20).toFixed(1)} MiB, build ${buildMs.toFixed(0)} ms; ` +
      `scan ${a.toFixed(0)} MB/s, plain loop ${ref.toFixed(0)} MB/s, ratio ${(a / ref).toFixed(2)}; ${found} matches in ${mib} MiB`,
  );
}
