import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import { Engine } from '../engine/engine.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import { buildFlowRecord } from '../flow/record.js';
import { FlowJsonEncoder } from './flow-json-encoder.js';

const NDPI = '../shared/corpus/ndpi/pcap';

/** Runs a capture and returns, per flow, [encoder text, JSON.stringify of the record object]. */
async function bothForms(file: string, prefix = ''): Promise<[string, string][]> {
  const engine = new Engine({ flowIdPrefix: prefix });
  const encoder = new FlowJsonEncoder(prefix, 64);
  const row = new Float64Array(SNAPSHOT_FIELDS);
  const out: [string, string][] = [];
  const text = new TextDecoder();
  engine.on('flow-row', (t, f, reason) => {
    snapshotFlow(t, f, reason, row, 0);
    encoder.encode(row, 0);
    out.push([text.decode(encoder.take()), `${JSON.stringify(buildFlowRecord(row, 0, prefix))}\n`]);
  });
  await readCapture(file, engine).catch(() => undefined);
  engine.finish();
  return out;
}

test('encoder writes exactly JSON.stringify(record) on every flow of the nDPI corpus', async () => {
  let n = 0;
  const features = new Set<string>();
  for (const name of readdirSync(NDPI).sort()) {
    for (const [fast, reference] of await bothForms(join(NDPI, name))) {
      assert.equal(fast, reference, name);
      n++;
      const rec = JSON.parse(reference) as Record<string, unknown>;
      if (rec.vlan !== undefined) features.add('vlan');
      if (rec.tunnel !== undefined) features.add('tunnel');
      if (rec.ip_version === 6) features.add('ipv6');
      if ((rec.tcp as { rtt_ms?: number } | undefined)?.rtt_ms !== undefined) features.add('rtt');
      if (rec.protocol !== 'TCP' && rec.protocol !== 'UDP') features.add('other-l4');
    }
  }
  assert.ok(n > 4000, `${n} flows compared`);
  assert.deepEqual([...features].sort(), ['ipv6', 'other-l4', 'rtt', 'tunnel', 'vlan']);
});

test('encoder: flow id prefix, and a prefix that would need escaping is refused', async () => {
  const [[fast, reference]] = (await bothForms('samples/sample.pcap', 'w1-')) as [[string, string]];
  assert.equal(fast, reference);
  assert.match(fast, /"flow_id":"w1-\d+"/);
  assert.throws(() => new FlowJsonEncoder('a"b'), RangeError);
});

test('encoder: app fields kept by value are written exactly as JSON.stringify, whatever their shape', async () => {
  const engine = new Engine();
  const row = new Float64Array(SNAPSHOT_FIELDS);
  engine.on('flow-row', (t, f, reason) => snapshotFlow(t, f, reason, row, 0));
  await readCapture('samples/sample.pcap', engine);
  engine.finish();
  const encoder = new FlowJsonEncoder('', 64);
  const text = new TextDecoder();
  const apps: unknown[] = [
    { protocol: 'TLS.YouTube', master: 'TLS', app: 'YouTube', category: 'Media', confidence: 'dpi' },
    { protocol: 'TLS.YouTube', master: 'TLS', app: 'YouTube', category: 'Media', confidence: 'dpi' },
    { protocol: 'TLS.YouTube', master: 'TLS', app: 'YouTube', category: 'Media', confidence: 'cache' },
    { protocol: 'DNS', master: 'DNS', app: 'DNS', confidence: 'dpi' },
    { protocol: 'DNS', master: 'DNS', app: 'DNS', category: 'Network', confidence: 'dpi' },
    { protocol: 'Odd"Name\\', master: 'Odd', app: 'Odd', confidence: 'dpi' },
    { master: 'TLS', protocol: 'TLS', app: 'TLS', confidence: 'dpi' },
    { protocol: 'TLS', master: 'TLS', app: 'TLS', confidence: 'dpi', note: 'a plugin key' },
    { protocol: 'TLS', master: 'TLS', app: 'TLS', category: 7, confidence: 'dpi' },
    { protocol: 'TLS', master: 'TLS', app: 'TLS', confidence: 'dpi' },
    'just text',
  ];
  for (const app of apps) {
    encoder.encode(row, 0, { app });
    assert.equal(text.decode(encoder.take()), `${JSON.stringify(buildFlowRecord(row, 0, '', { app }))}\n`, JSON.stringify(app));
  }
});
