import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import { type CliIo, main } from '../cli/main.js';
import { Engine } from '../engine/engine.js';
import { flowContractViolations } from '../testing/flow-contract.js';
import { ethernet, ipv4, udp } from '../testing/packet-builder.js';
import { pcapFile } from '../testing/pcap-builder.js';
import { parseAddress } from '../flow/ip-text.js';
import type { Plugin } from '../plugins/plugin.js';
import { Catalog, loadCatalog } from './catalog.js';
import { classifierConsumer } from './index.js';
import { parseProtocolFile } from './protocol-file.js';
import { looksLikeDga } from './risks.js';

const tmp = mkdtempSync(join(tmpdir(), 'sonda-classify-'));

async function flows(args: string[]): Promise<Record<string, unknown>[]> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), stderrIsTty: false };
  const code = await main(['flows', '--json', '--no-summary', ...args], io);
  assert.equal(code, 0, err);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('protocol files: blocks, keys, ports and errors with file:line', () => {
  const e = parseProtocolFile('# c\n[Acme App]\ncategory = Web\nhosts = acme.test *.cdn-acme.*\nnets = 10.1.0.0/16 2001:db8::/32\ntcp = 80 8000-8002\nudp=5000\n', 'f.txt');
  assert.equal(e.length, 1);
  assert.deepEqual(e[0]!.tcp, [
    [80, 80],
    [8000, 8002],
  ]);
  assert.deepEqual(e[0]!.hosts, ['acme.test', '*.cdn-acme.*']);
  assert.throws(() => parseProtocolFile('category = Web\n', 'f.txt'), /f\.txt:1: .*before any/);
  assert.throws(() => parseProtocolFile('[A]\ncolour = red\n', 'f.txt'), /f\.txt:2: unknown key/);
  assert.throws(() => parseProtocolFile('[A]\ntcp = 70000\n', 'f.txt'), /bad port/);
  assert.throws(() => parseProtocolFile('[A]\ntcp = 9-3\n', 'f.txt'), /bad port/);
});

test('catalog: host suffixes on label boundaries, globs, longest prefix, ports; later entries win', () => {
  const c = new Catalog().add(
    parseProtocolFile(
      '[Video]\ncategory=Media\nhosts=video.test *googlevideo*\nnets=10.0.0.0/8 2001:db8::/32\nudp=4000-4002\n[Sub]\ncategory=Web\nhosts=a.video.test\nnets=10.1.0.0/16\n',
    ),
  );
  assert.equal(c.byHost('video.test'), 'Video');
  assert.equal(c.byHost('WWW.Video.Test.'), 'Video');
  assert.equal(c.byHost('x.a.video.test'), 'Sub');
  assert.equal(c.byHost('notvideo.test'), undefined);
  assert.equal(c.byHost('r3.sn-4g5e.googlevideo.com'), 'Video');
  const a = (s: string) => parseAddress(s)!;
  assert.equal(c.byAddress(4, a('10.1.2.3').words), 'Sub');
  assert.equal(c.byAddress(4, a('10.2.2.3').words), 'Video');
  assert.equal(c.byAddress(4, a('11.0.0.1').words), undefined);
  assert.equal(c.byAddress(6, a('2001:db8:1::1').words), 'Video');
  assert.equal(c.byAddress(6, a('2001:db9::1').words), undefined);
  assert.equal(c.byPort(17, 4001), 'Video');
  assert.equal(c.byPort(6, 4001), undefined);
  c.add(parseProtocolFile('[Mine]\ncategory=Game\nhosts=video.test\n'));
  assert.equal(c.byHost('video.test'), 'Mine');
  assert.equal(c.categoryOf('Mine'), 'Game');
});

test('addresses: IPv4, IPv6 forms, and non-addresses', () => {
  assert.equal(parseAddress('1.2.3.4')!.words[0], 0x01020304);
  assert.deepEqual([...parseAddress('::1')!.words], [0, 0, 0, 1]);
  assert.deepEqual([...parseAddress('2001:db8::8:1')!.words], [0x20010db8, 0, 0, 0x00080001]);
  for (const bad of ['1.2.3.256', '1:2:3', 'a::b::c', 'host.example', '']) assert.equal(parseAddress(bad), undefined, bad);
});

test('built-in protocol files all parse and give every name a category', () => {
  const c = loadCatalog();
  assert.ok(c.list().length > 30);
  for (const p of c.list()) assert.ok(p.category !== undefined, `${p.name} (${p.source}) has no category`);
});

test('a TLS capture is classified by DPI, with a contract-shaped app field', async () => {
  const recs = await flows(['--read', '../shared/corpus/ndpi/pcap/443-curl.pcap']);
  const app = recs[0]!.app as Record<string, unknown>;
  assert.equal(app.master, 'TLS');
  assert.equal(app.confidence, 'dpi');
  assert.deepEqual(Object.keys(app).slice(0, 3), ['protocol', 'master', 'app']);
  for (const r of recs) assert.deepEqual(flowContractViolations(r), []);
});

test('--protos: a custom application by host name and by network is classified', async () => {
  const protos = join(tmp, 'mine.txt');
  writeFileSync(protos, '[NtopSite]\ncategory = Collaborative\nhosts = ntop.org\n\n[AcmeTelemetry]\ncategory = IoT-Scada\nnets = 10.9.9.0/24\nudp = 40000\n');
  const byHost = await flows(['--read', '../shared/corpus/ndpi/pcap/443-curl.pcap', '--protos', protos]);
  assert.deepEqual(byHost[0]!.app, { protocol: 'TLS.NtopSite', master: 'TLS', app: 'NtopSite', category: 'Collaborative', confidence: 'dpi' });
  const cap = join(tmp, 'telemetry.pcap');
  const pkt = ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.5', dst: '10.9.9.7', proto: 17, payload: udp({ src: '10.0.0.5', dst: '10.9.9.7', sport: 51000, dport: 40000, payload: new Uint8Array([1, 2, 3, 4]) }) }) });
  writeFileSync(cap, pcapFile([{ data: pkt, tsUs: 1_700_000_000_000_000 }]));
  const byNet = await flows(['--read', cap, '--protos', protos]);
  // Its own port names it first (no dissector can rule it out), as nDPI's give-up order does.
  assert.deepEqual(byNet[0]!.app, { protocol: 'AcmeTelemetry', master: 'AcmeTelemetry', app: 'AcmeTelemetry', category: 'IoT-Scada', confidence: 'port' });
  const other = join(tmp, 'telemetry-other-port.pcap');
  const pkt2 = ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.5', dst: '10.9.9.7', proto: 17, payload: udp({ src: '10.0.0.5', dst: '10.9.9.7', sport: 51000, dport: 40123, payload: new Uint8Array([1, 2, 3, 4]) }) }) });
  writeFileSync(other, pcapFile([{ data: pkt2, tsUs: 1_700_000_000_000_000 }]));
  assert.equal(((await flows(['--read', other, '--protos', protos]))[0]!.app as { confidence: string }).confidence, 'ip');
  const without = await flows(['--read', cap]);
  assert.equal((without[0]!.app as { confidence: string }).confidence, 'unknown');
  assert.equal((await flows(['--read', cap, '--no-classify']))[0]!.app, undefined);
});

test('--protos: a broken file is a usage error with file:line', async () => {
  const bad = join(tmp, 'bad.txt');
  writeFileSync(bad, '[X]\nports = 1\n');
  let err = '';
  const code = await main(['flows', '--read', '../shared/corpus/ndpi/pcap/443-curl.pcap', '--protos', bad], { stdout: () => undefined, stderr: (s) => (err += s), stderrIsTty: false });
  assert.equal(code, 2);
  assert.match(err, /bad\.txt:2: unknown key "ports"/);
});

test('DGA heuristic: machine-made names yes, ordinary names no', () => {
  for (const h of ['xjwqkzvbtrhq.com', 'a8f3k2m9q1z7x.net', 'qwrtzpsdfghjkl.org']) assert.ok(looksLikeDga(h), h);
  for (const h of ['www.google.com', 'facebook.com', 'api.dropboxapi.com', 'wikipedia.org', 'localhost', 'xn--bcher-kva.example']) assert.ok(!looksLikeDga(h), h);
});

test('sonda protocols: every known name with its category; user files add theirs', async () => {
  let out = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: () => undefined, stderrIsTty: false };
  assert.equal(await main(['protocols', '--json'], io), 0);
  const rows = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; category: string; kind: string; detection: string[] });
  assert.ok(rows.length > 250, `${rows.length} names`);
  const by = new Map(rows.map((r) => [r.name, r]));
  assert.deepEqual([by.get('TLS')?.category, by.get('TLS')?.kind], ['Web', 'protocol']);
  assert.ok(by.get('BitTorrent')?.detection.includes('dpi'));
  assert.equal(by.get('YouTube')?.kind, 'application');
  const protos = join(tmp, 'list.txt');
  writeFileSync(protos, '[MyApp]\ncategory = Game\nudp = 40001\n');
  out = '';
  assert.equal(await main(['protocols', '--protos', protos], io), 0);
  assert.match(out, /^MyApp\s+Game\s+application\s+udp\/40001$/m);
});

test('an address from an earlier DNS answer names a later flow to it (confidence cache)', async () => {
  // Response: id 1, QR|RD|RA, one question (video.cachetest A IN), one answer A 10.7.7.7.
  const name = [5, ...Buffer.from('video'), 9, ...Buffer.from('cachetest'), 0];
  const dns = Uint8Array.from([0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...name, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 7, 7, 7]);
  const udpPacket = (src: string, dst: string, sport: number, dport: number, payload: Uint8Array) =>
    ethernet({ etherType: 0x0800, payload: ipv4({ src, dst, proto: 17, payload: udp({ src, dst, sport, dport, payload }) }) });
  const cap = join(tmp, 'cache.pcap');
  writeFileSync(
    cap,
    pcapFile([
      { data: udpPacket('10.0.0.53', '10.0.0.5', 53, 40000, dns), tsUs: 1_700_000_000_000_000 },
      { data: udpPacket('10.0.0.5', '10.7.7.7', 40001, 5999, Uint8Array.from([9, 9, 9, 9, 9])), tsUs: 1_700_000_001_000_000 },
    ]),
  );
  const protos = join(tmp, 'cache.txt');
  writeFileSync(protos, '[CacheVideo]\ncategory = Video\nhosts = video.cachetest\n');
  const recs = await flows(['--read', cap, '--protos', protos]);
  const later = recs.find((r) => (r.server as { port: number }).port === 5999)!;
  assert.deepEqual(later.app, { protocol: 'CacheVideo', master: 'CacheVideo', app: 'CacheVideo', category: 'Video', confidence: 'cache' });
});

const protocolOf = (recs: Record<string, unknown>[], port: number): unknown =>
  (recs.find((r) => (r.client as { port: number }).port === port || (r.server as { port: number }).port === port)?.app as { protocol?: unknown } | undefined)?.protocol;

test('a STUN flow that goes on to a DTLS handshake is DTLS, with STUN\'s application (as nDPI)', async () => {
  const recs = await flows(['--read', '../shared/corpus/ndpi/pcap/stun_dtls_rtp.pcapng']);
  assert.equal(protocolOf(recs, 19305), 'DTLS.GoogleCall');
  const server = await flows(['--read', '../shared/corpus/ndpi/pcap/stun_dtls_unidirectional_server.pcap']);
  assert.equal(protocolOf(server, 540), 'DTLS');
});

test('HTTP content names OCSP, IPP and MPEG-DASH; QUIC past its handshake and TLS after a keep-alive byte keep their names', async () => {
  assert.equal(protocolOf(await flows(['--read', '../shared/corpus/ndpi/pcap/http_invalid_server.pcap']), 80), 'HTTP.OCSP');
  assert.deepEqual([...new Set((await flows(['--read', '../shared/corpus/ndpi/pcap/ipp.pcap'])).map((r) => (r.app as { protocol: string }).protocol))], ['HTTP.IPP']);
  assert.ok((await flows(['--read', '../shared/corpus/ndpi/pcap/mpeg-dash.pcap'])).every((r) => (r.app as { protocol: string }).protocol === 'HTTP.MpegDash'));
  const sh = await flows(['--read', '../shared/corpus/ndpi/pcap/quic_sh.pcap']);
  assert.ok(sh.length >= 3 && sh.every((r) => (r.app as { master: string }).master === 'QUIC'));
  assert.equal(protocolOf(await flows(['--read', '../shared/corpus/ndpi/pcap/starcraft_battle.pcap']), 3052), 'TLS');
});

test('dissector memory is per classifier: the same capture classified twice in one process gives the same names', async () => {
  for (const c of ['zoom_p2p.pcapng', 'stun_wa_call.pcapng']) {
    const names = async () => (await flows(['--read', `../shared/corpus/ndpi/pcap/${c}`])).map((r) => (r.app as { protocol: string }).protocol);
    const first = await names();
    assert.deepEqual(await names(), first, c);
    assert.ok(first.some((p) => p.includes('.')), `${c}: some flows named by their call application`);
  }
});

test('a plugin adds its own applications: protocol text and a payload dissector, before --protos files', async () => {
  const plugin = join(tmp, 'acme-plugin.mjs');
  writeFileSync(
    plugin,
    `const MAGIC = 'ACMEv1';
export default {
  name: 'acme',
  protocols: '[NtopSite]\\ncategory = Collaborative\\nhosts = ntop.org\\n\\n[AcmeBeacon]\\ncategory = IoT-Scada\\n',
  dissectors: [{
    name: 'AcmeBeacon',
    transport: 'udp',
    first: { bytes: [MAGIC.charCodeAt(0)], minLength: MAGIC.length },
    inspect: (p) => (p.end - p.off >= MAGIC.length && String.fromCharCode(...p.b.subarray(p.off, p.off + MAGIC.length)) === MAGIC ? 1 : -1),
  }],
};
`,
  );
  const byHost = await flows(['--read', '../shared/corpus/ndpi/pcap/443-curl.pcap', '--plugin', plugin]);
  assert.deepEqual(byHost[0]!.app, { protocol: 'TLS.NtopSite', master: 'TLS', app: 'NtopSite', category: 'Collaborative', confidence: 'dpi' });
  const cap = join(tmp, 'beacon.pcap');
  const beacon = (sport: number, text: string) =>
    ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.5', dst: '10.0.0.9', proto: 17, payload: udp({ src: '10.0.0.5', dst: '10.0.0.9', sport, dport: 40555, payload: new TextEncoder().encode(text) }) }) });
  writeFileSync(
    cap,
    pcapFile([
      { data: beacon(51000, 'ACMEv1 hello'), tsUs: 1_700_000_000_000_000 },
      { data: beacon(51001, 'NOT A BEACON'), tsUs: 1_700_000_000_100_000 },
    ]),
  );
  const byPayload = await flows(['--read', cap, '--plugin', plugin]);
  assert.deepEqual(byPayload[0]!.app, { protocol: 'AcmeBeacon', master: 'AcmeBeacon', app: 'AcmeBeacon', category: 'IoT-Scada', confidence: 'dpi' });
  assert.equal((byPayload[1]!.app as { protocol: string }).protocol, 'Unknown');
  // A --protos file comes last and wins over the plugin's entry.
  const protos = join(tmp, 'beacon-protos.txt');
  writeFileSync(protos, '[AcmeBeacon]\ncategory = Network\n');
  const overridden = await flows(['--read', cap, '--plugin', plugin, '--protos', protos]);
  assert.equal((overridden[0]!.app as { category: string }).category, 'Network');
  // `sonda protocols --plugin` lists them.
  let listing = '';
  assert.equal(await main(['protocols', '--json', '--plugin', plugin], { stdout: (t) => (listing += t), stderr: () => undefined, stderrIsTty: false }), 0);
  const rows = listing
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { name: string; kind: string; detection: string[]; category: string });
  assert.deepEqual(
    rows.filter((r) => r.name === 'AcmeBeacon' || r.name === 'NtopSite').map((r) => [r.name, r.kind, r.detection.join(','), r.category]),
    [
      ['AcmeBeacon', 'protocol', 'dpi', 'IoT-Scada'],
      ['NtopSite', 'application', '', 'Collaborative'],
    ],
  );
  // The test harness gives plugins the same classifier.
  const { runPlugin } = await import('../plugins/harness.js');
  const mod = (await import(pathToFileURL(plugin).href)) as { default: Plugin };
  const run = await runPlugin(mod.default, cap);
  assert.equal(run.flows[0]!.app?.protocol, 'AcmeBeacon');
  // A broken protocol text or dissector stops the run with the plugin's name.
  const bad = join(tmp, 'bad-plugin.mjs');
  writeFileSync(bad, "export default { name: 'bad', protocols: '[X]\\ncolour = red\\n' };\n");
  const badDissector = join(tmp, 'bad-dissector.mjs');
  writeFileSync(badDissector, "export default { name: 'worse', dissectors: [{ name: 'Y' }] };\n");
  for (const [file, message] of [
    [bad, /plugin bad:2: unknown key/],
    [badDissector, /plugin worse: dissectors: each needs/],
  ] as const) {
    let err = '';
    const code = await main(['flows', '--json', '--read', cap, '--plugin', file], { stdout: () => undefined, stderr: (s) => (err += s), stderrIsTty: false });
    assert.equal(code, 2);
    assert.match(err, message);
  }
});

test('app fields: one frozen object per distinct value, shared by the flows that get it', async () => {
  const engine = new Engine({ consumers: [classifierConsumer()] });
  const apps: unknown[] = [];
  engine.on('flow-row', (_t, _f, _reason, fields) => apps.push(fields.app));
  await readCapture('samples/sample.pcap', engine);
  engine.finish();
  const byValue = new Map<string, unknown>();
  for (const app of apps) {
    assert.ok(Object.isFrozen(app));
    const key = JSON.stringify(app);
    if (!byValue.has(key)) byValue.set(key, app);
    assert.equal(app, byValue.get(key), `${key}: the same object`);
  }
  assert.ok(apps.length > byValue.size, 'some values repeat');
});
