// The flow figures the core engine promises, measured by the shared scorer on the whole dev
// corpus (../shared/corpus/ndpi): the same command a user runs, against nDPI's expected flows.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const SHARED = resolve('../shared');

interface Metric {
  value: number;
  ok: number;
  n: number;
}

test('flows on the nDPI corpus: recall >= 0.995, precision >= 0.99, packets and bytes >= 0.99, no crash; application fields and classification', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'sonda-score-')), 'score.json');
  const r = spawnSync(
    process.execPath,
    [
      join(SHARED, 'tools/score-flows.mjs'),
      '--expected', join(SHARED, 'corpus/ndpi/expected'),
      '--pcaps', join(SHARED, 'corpus/ndpi/pcap'),
      '--cmd', `${process.execPath} ${resolve('bin/sonda.js')} flows --read {pcap} --json --no-summary`,
      '--jobs', '2',
      '--out', out,
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  assert.equal(r.status, 0, r.stderr);
  const score = JSON.parse(readFileSync(out, 'utf8')) as { metrics: Record<string, Metric>; crashes: unknown[]; files: unknown[] };
  const m = score.metrics;
  const line = r.stdout.trim().split('\n').pop();
  // Exact fractions, not the rounded print-out.
  const frac = (k: string): number => m[k]!.ok / m[k]!.n;
  assert.ok(frac('recall') >= 0.995, `recall ${frac('recall')} (${line})`);
  assert.ok(frac('precision') >= 0.99, `precision ${frac('precision')} (${line})`);
  assert.ok(frac('packets') >= 0.99, `packets ${frac('packets')} (${line})`);
  assert.ok(frac('bytes') >= 0.99, `bytes ${frac('bytes')} (${line})`);
  assert.equal(score.crashes.length, 0, JSON.stringify(score.crashes).slice(0, 2000));
  // Application fields (the parsers' issue): floors at today's figures, so they only go up.
  // JA4 follows the FoxIO specification, nDPI's expected values do not (see README), so it
  // is reported, not held to nDPI.
  assert.ok(frac('host') >= 0.97, `host ${frac('host')} (${line})`);
  assert.ok(frac('http') >= 0.95, `http ${frac('http')} (${line})`);
  assert.ok(frac('ja3') >= 0.97, `ja3 ${frac('ja3')} (${line})`);
  // Classification (issue targets: master >= 0.93, MASTER.APP >= 0.88, category >= 0.90).
  assert.ok(frac('master') >= 0.93, `master ${frac('master')} (${line})`);
  assert.ok(frac('app') >= 0.88, `app ${frac('app')} (${line})`);
  assert.ok(frac('category') >= 0.9, `category ${frac('category')} (${line})`);
  assert.ok(score.files.length >= 271, `scored ${score.files.length} captures`);
});
