// Hostile input: `sonda flows` on every capture of ../shared/corpus (tcpdump's fuzzed and
// malformed captures and nDPI's). It must end normally on each: exit 0 (or 2 with one line
// for a file that is not a capture at all), never an internal error, and every record it
// prints must follow the contract (with every parser and transaction events on). Runs
// in-process through the CLI's own entry point.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowContractViolations } from '../testing/flow-contract.js';
import { main } from './main.js';

const CORPUS = '../shared/corpus';

async function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['flows', '--read', file, '--json', '--events'], {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stderrIsTty: false,
  });
  return { code, stdout, stderr };
}

for (const dir of ['tcpdump', 'ndpi/pcap']) {
  test(`every capture in corpus/${dir} ends normally with contract records`, async () => {
    const files = readdirSync(join(CORPUS, dir)).sort();
    assert.ok(files.length > 100, `corpus/${dir} is there (${files.length} files)`);
    const failures: string[] = [];
    let records = 0;
    let notCaptures = 0;
    for (const name of files) {
      const file = join(CORPUS, dir, name);
      const r = await run(file);
      if (r.code === 2) {
        notCaptures++;
        const lines = r.stderr.trimEnd().split('\n');
        if (lines.length !== 1 || !lines[0]!.startsWith('sonda: ') || !lines[0]!.includes(name)) failures.push(`${name}: exit 2 without the one-line message: ${r.stderr}`);
        continue;
      }
      if (r.code !== 0) {
        failures.push(`${name}: exit ${r.code}: ${r.stderr.trim()}`);
        continue;
      }
      for (const line of r.stdout.split('\n')) {
        if (line === '') continue;
        records++;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch {
          failures.push(`${name}: not JSON: ${line.slice(0, 80)}`);
          break;
        }
        const r = rec as { type?: unknown; flow_id?: unknown; ts?: unknown };
        if (r.type !== 'flow') {
          // A transaction event: typed, tied to a flow, timed.
          if (typeof r.type !== 'string' || typeof r.flow_id !== 'string' || typeof r.ts !== 'number') failures.push(`${name}: bad event ${line.slice(0, 120)}`);
          continue;
        }
        const v = flowContractViolations(rec);
        if (v.length) {
          failures.push(`${name}: ${v.join('; ')}`);
          break;
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(records > 500, `records were printed (${records})`);
    // A handful of tcpdump's files are deliberately not captures; nDPI's all are.
    if (dir === 'ndpi/pcap') assert.equal(notCaptures, 0);
  });
}
