// Hostile input: mutated and corrupted captures (../shared/tools/mutate-pcaps.mjs, fixed seed)
// through the whole pipeline — decoders, reassembly, every parser, the classifier, transaction
// events and a plugin with content rules. Nothing may escape as an exception, and every record
// printed must still follow the contract.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { flowContractViolations } from '../testing/flow-contract.js';
import { type CliIo, main } from './main.js';

const SHARED = resolve('../shared');

test('200,000 mutated packets from both corpora: no exception, records follow the contract', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonda-fuzz-'));
  const out = join(dir, 'mutated');
  const r = spawnSync(
    process.execPath,
    [join(SHARED, 'tools/mutate-pcaps.mjs'), '--from', join(SHARED, 'corpus/ndpi/pcap'), '--from', join(SHARED, 'corpus/tcpdump'), '--out', out, '--packets', '200000', '--seed', 'sonda-1', '--per-file', '5000'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const plugin = join(dir, 'content.mjs');
  writeFileSync(
    plugin,
    `export default { name: 'fuzz-content', deliver: 'both', content: ['alert tcp any any -> any any (msg:"a"; content:"GET "; depth:4; content:"HTTP/1."; distance:0; sid:1;)', 'alert udp any any -> any any (msg:"b"; content:"|00 01|"; pcre:"/a+b/"; sid:2;)'], onData() {}, onContent(flow) { flow.tag('hit'); } };\n`,
  );
  const files = readdirSync(out).filter((f) => f.endsWith('.pcap'));
  assert.ok(files.length >= 40, `mutated files: ${files.length}`);
  let records = 0;
  for (const f of files) {
    let text = '';
    let err = '';
    const io: CliIo = { stdout: (s) => (text += s), stderr: (s) => (err += s), stderrIsTty: false };
    const code = await main(['flows', '--read', join(out, f), '--json', '--events', '--no-summary', '--plugin', plugin], io);
    assert.ok(code === 0 || code === 2, `${f}: exit ${code}: ${err}`);
    assert.doesNotMatch(err, /internal error/, f);
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.type !== 'flow') continue;
      records++;
      assert.deepEqual(flowContractViolations(rec), [], `${f}: ${line.slice(0, 300)}`);
    }
  }
  assert.ok(records > 1000, `records: ${records}`);
});
