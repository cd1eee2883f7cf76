// The `sonda` command as a user runs it: the built bin (npm test builds first), real processes,
// exit codes, stdout/stderr contents.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { flowContractViolations } from '../testing/flow-contract.js';
import { ethernet, ipv4, tcp, udp } from '../testing/packet-builder.js';
import { pcapFile } from '../testing/pcap-builder.js';

const BIN = 'bin/sonda.js';
const SAMPLE = 'samples/sample.pcap';
const CORPUS = '../shared/corpus';
const tmp = mkdtempSync(join(tmpdir(), 'sonda-cli-'));

function sonda(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, maxBuffer: 256 << 20, encoding: 'buffer' });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function parseNdjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A small valid capture: one TCP exchange and one UDP datagram. */
function smallCapture(): Uint8Array {
  const a = '10.0.0.1';
  const b = '10.0.0.2';
  const eth = (payload: Uint8Array) => ethernet({ etherType: 0x0800, payload });
  const packets = [
    eth(ipv4({ src: a, dst: b, proto: 6, payload: tcp({ src: a, dst: b, sport: 40000, dport: 80, seq: 1, flags: 0x02 }) })),
    eth(ipv4({ src: b, dst: a, proto: 6, payload: tcp({ src: b, dst: a, sport: 80, dport: 40000, seq: 9, ack: 2, flags: 0x12 }) })),
    eth(ipv4({ src: a, dst: b, proto: 17, payload: udp({ src: a, dst: b, sport: 5353, dport: 53, payload: new Uint8Array(20) }) })),
  ];
  return pcapFile(packets.map((data, i) => ({ data, tsUs: 1_700_000_000_000_000 + i * 1000 })));
}

test('sample capture: NDJSON records follow the contract', () => {
  const r = sonda(['flows', '--read', SAMPLE, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const recs = parseNdjson(r.stdout);
  assert.ok(recs.length >= 5, `expected several flows, got ${recs.length}`);
  for (const rec of recs) assert.deepEqual(flowContractViolations(rec), [], JSON.stringify(rec));
  const ids = new Set(recs.map((x) => x.flow_id));
  assert.equal(ids.size, recs.length, 'flow ids are unique');
  assert.match(r.stderr, /^sonda: [\d,]+ packets, .* [\d,]+ flows/m);
});

test('sample capture: the table has a header and one row per flow', () => {
  const json = parseNdjson(sonda(['flows', '--read', SAMPLE, '--json', '--no-summary']).stdout);
  const r = sonda(['flows', '--read', SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^#\s+Proto\s+Client/);
  assert.equal(lines.length, json.length + 1);
  // Aligned: every row has the header's width up to the last column.
  const endCol = lines[0]!.indexOf('End');
  for (const l of lines.slice(1)) assert.ok(l.length > endCol, l);
});

test('records are the same however the capture arrives: file, gzip, stdin', () => {
  const file = join(tmp, 'small.pcap');
  writeFileSync(file, smallCapture());
  writeFileSync(`${file}.gz`, gzipSync(smallCapture()));
  const a = sonda(['flows', '--read', file, '--json', '--no-summary']);
  const b = sonda(['flows', '--read', `${file}.gz`, '--json', '--no-summary']);
  const c = sonda(['flows', '--read', '-', '--json', '--no-summary'], smallCapture());
  assert.equal(a.code, 0, a.stderr);
  assert.equal(parseNdjson(a.stdout).length, 2);
  assert.equal(b.stdout, a.stdout);
  assert.equal(c.stdout, a.stdout);
  const tcpFlow = parseNdjson(a.stdout).find((x) => x.protocol === 'TCP') as { client: { ip: string; port: number }; tcp: { rtt_ms?: number } };
  assert.deepEqual([tcpFlow.client.ip, tcpFlow.client.port], ['10.0.0.1', 40000]);
});

test('not a capture: one line naming the file and its first bytes, exit 2', () => {
  const file = join(tmp, 'notes.txt');
  writeFileSync(file, 'Hello world, this is text\n');
  const r = sonda(['flows', '--read', file]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.includes(file));
  assert.match(lines[0]!, /48 65 6c 6c/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('missing file and directory: one line, exit 2', () => {
  for (const path of [join(tmp, 'nope.pcap'), tmp]) {
    const r = sonda(['flows', '--read', path]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(path));
  }
});

test('truncated last record: warning with the byte offset, flows before it printed, exit 0', () => {
  const whole = smallCapture();
  const cut = whole.subarray(0, whole.length - 10);
  const file = join(tmp, 'cut.pcap');
  writeFileSync(file, cut);
  const r = sonda(['flows', '--read', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*cut\.pcap: .* \(at byte \d+\)/);
  const recs = parseNdjson(r.stdout);
  assert.equal(recs.length, 1, 'the TCP flow before the cut is reported');
  assert.equal(recs[0]!.protocol, 'TCP');
});

test('bad options are usage errors (exit 2)', () => {
  assert.equal(sonda(['flows', '--read', SAMPLE, '--max-flows', '0']).code, 2);
  assert.equal(sonda(['flows']).code, 2);
  assert.equal(sonda(['no-such-command']).code, 2);
  assert.equal(sonda(['--help']).code, 0);
});

test('--max-flows bounds the table and counts evictions', () => {
  const all = parseNdjson(sonda(['flows', '--read', SAMPLE, '--json', '--no-summary']).stdout);
  const r = sonda(['flows', '--read', SAMPLE, '--json', '--max-flows', '2', '--summary-json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stderr.trim().split('\n').pop()!) as { flows: { evicted: number } };
  assert.ok(summary.flows.evicted >= 1, r.stderr);
  const recs = parseNdjson(r.stdout);
  // Evicted flows end early (end_reason idle) and may restart, but no packet is lost.
  const packets = (xs: Record<string, unknown>[]) => xs.reduce((n, x) => n + (x.client as { packets: number }).packets + (x.server as { packets: number }).packets, 0);
  assert.equal(packets(recs), packets(all));
  assert.ok(recs.some((x) => x.end_reason === 'idle'));
});

test('output closed early (| head) ends quietly', () => {
  const r = spawnSync('bash', ['-c', `node ${BIN} flows --read ${CORPUS}/ndpi/pcap/dns_fragmented.pcap --json | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '0', r.stderr);
  assert.doesNotMatch(r.stderr, /internal error|Error:/);
});

test('README: the library example runs and the quick start commands are what the repo has', () => {
  const readme = readFileSync('README.md', 'utf8');
  assert.ok(readme.includes('npx sonda flows --read samples/sample.pcap'), 'quick start runs the sample');
  assert.ok(readme.includes('npm test'), 'quick start runs the tests');
  const ci = readFileSync('.ci/run', 'utf8');
  assert.ok(/^npm test$/m.test(ci), '.ci/run calls the README test command');
  const ex = spawnSync(process.execPath, ['examples/flows-api.mjs', SAMPLE], { encoding: 'utf8' });
  assert.equal(ex.status, 0, ex.stderr);
  assert.match(ex.stdout, /\d+ packets in \d+ flows/);
});

test('--events: transaction records (http, dns, ssh …) come just before their flow, with its flow_id', () => {
  const r = sonda(['flows', '--read', SAMPLE, '--json', '--events', '--no-summary']);
  assert.equal(r.code, 0, r.stderr);
  const lines = parseNdjson(r.stdout);
  const types = new Set(lines.map((l) => l.type));
  for (const t of ['flow', 'http', 'dns', 'ssh']) assert.ok(types.has(t), `has ${t} events`);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.type === 'flow') continue;
    assert.equal(typeof l.ts, 'number');
    // The next flow record after an event is the event's flow.
    const flow = lines.slice(i + 1).find((x) => x.type === 'flow');
    assert.equal(flow?.flow_id, l.flow_id, JSON.stringify(l));
  }
  const http = lines.find((l) => l.type === 'http')!;
  assert.equal(http.method, 'GET');
  assert.equal(http.host, 'example.com');
  // Without --events the flow records are the same.
  const plain = parseNdjson(sonda(['flows', '--read', SAMPLE, '--json', '--no-summary']).stdout);
  assert.deepEqual(
    lines.filter((l) => l.type === 'flow'),
    plain,
  );
  assert.equal(sonda(['flows', '--read', SAMPLE, '--events']).code, 2, '--events needs --json');
});

test("--ja4 ndpi writes JA4 as ndpiReader does (nDPI's expected results); the default follows the specification; a bad form is a usage error", () => {
  const captures = ['android.pcap', 'firefox.pcap', 'iphone.pcap', 'quic.pcap', 'signal.pcap'];
  let same = 0;
  let total = 0;
  let specDiffers = 0;
  for (const c of captures) {
    const expected = (JSON.parse(readFileSync(`${CORPUS}/ndpi/expected/${c}.json`, 'utf8')) as { flows: Array<{ client: { port: number }; tls?: { ja4?: string } }> }).flows;
    const want = new Map(expected.filter((f) => f.tls?.ja4 !== undefined).map((f) => [f.client.port, f.tls!.ja4!]));
    const ndpi = parseNdjson(sonda(['flows', '--read', `${CORPUS}/ndpi/pcap/${c}`, '--json', '--no-summary', '--ja4', 'ndpi']).stdout);
    const spec = parseNdjson(sonda(['flows', '--read', `${CORPUS}/ndpi/pcap/${c}`, '--json', '--no-summary']).stdout);
    for (const [i, rec] of ndpi.entries()) {
      const w = want.get((rec.client as { port: number }).port);
      if (w === undefined) continue;
      total++;
      const got = (rec.tls as { ja4?: string } | undefined)?.ja4;
      if (got === w) same++;
      if ((spec[i]!.tls as { ja4?: string } | undefined)?.ja4 !== got) specDiffers++;
    }
  }
  assert.ok(total >= 40, `flows with an expected JA4: ${total}`);
  // One android.pcap flow: nDPI writes ALPN "h0" for an offered "h2".
  assert.ok(same >= total - 1, `${same} of ${total}`);
  assert.ok(specDiffers > 0, 'the specification form differs on these captures');
  assert.equal(sonda(['flows', '--read', SAMPLE, '--ja4', 'ja5']).code, 2);
});

test('cli: a missing or unreadable capture ends the run with an error, whatever the output (no writer thread left behind)', () => {
  const notCapture = join(tmp, 'not-a-capture.pcap');
  writeFileSync(notCapture, 'hello, not a capture file at all');
  for (const args of [
    ['flows', '--json', '--read', join(tmp, 'missing.pcap')],
    ['flows', '--json', '--workers', '2', '--read', join(tmp, 'missing.pcap')],
    ['flows', '--read', join(tmp, 'missing.pcap')],
    ['flows', '--json', '--read', notCapture],
  ]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, `${args.join(' ')}: killed after 20 s (hung)`);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^sonda: /, args.join(' '));
  }
});
