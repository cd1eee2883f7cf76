import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type CliIo, main } from '../cli/main.js';
import { ethernet, ipv4, tcp, text, udp } from '../testing/packet-builder.js';
import { pcapFile } from '../testing/pcap-builder.js';
import { runPlugin } from './harness.js';
import { loadPlugins } from './load.js';
import type { FlowUpdate } from '../flow/record.js';
import { definePlugin, type Plugin } from './plugin.js';

const NDPI = '../shared/corpus/ndpi/pcap';
const tmp = mkdtempSync(join(tmpdir(), 'sonda-plugins-'));

/** A TCP connection 10.0.0.1:40000 → 10.0.0.2:80 whose client sends `chunks` as separate segments. */
function tcpCapture(chunks: string[], file: string): string {
  const a = '10.0.0.1';
  const b = '10.0.0.2';
  const eth = (src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array = new Uint8Array(0)) =>
    ethernet({ etherType: 0x0800, payload: ipv4({ src, dst, proto: 6, payload: tcp({ src, dst, sport, dport, seq, ack, flags, payload }) }) });
  const pkts = [eth(a, b, 40000, 80, 100, 0, 0x02), eth(b, a, 80, 40000, 500, 101, 0x12), eth(a, b, 40000, 80, 101, 501, 0x10)];
  let seq = 101;
  for (const c of chunks) {
    const p = text(c);
    pkts.push(eth(a, b, 40000, 80, seq, 501, 0x18, p));
    seq += p.length;
  }
  const path = join(tmp, file);
  writeFileSync(path, pcapFile(pkts.map((data, i) => ({ data, tsUs: 1_700_000_000_000_000 + i * 1000 }))));
  return path;
}

async function example(name: string): Promise<Plugin> {
  return (await loadPlugins([`examples/${name}.ts`]))[0]!;
}

describe('examples on corpus captures', () => {
  test('acme apps: a web service named by host on a real capture, a beacon by its payload', async () => {
    const plugin = await example('acme-apps');
    const web = await runPlugin(plugin, `${NDPI}/443-curl.pcap`);
    assert.deepEqual(web.flows[0]!.app, { protocol: 'TLS.NtopSite', master: 'TLS', app: 'NtopSite', category: 'Collaborative', confidence: 'dpi' });
    const beacon = (sport: number, payload: string) =>
      ethernet({ etherType: 0x0800, payload: ipv4({ src: '10.0.0.5', dst: '10.0.0.9', proto: 17, payload: udp({ src: '10.0.0.5', dst: '10.0.0.9', sport, dport: 40555, payload: text(payload) }) }) });
    const cap = join(tmp, 'beacons.pcap');
    writeFileSync(
      cap,
      pcapFile([
        { data: beacon(51000, 'ACMEv1 ping'), tsUs: 1_700_000_000_000_000 },
        { data: beacon(51001, 'ACMEv2 ping'), tsUs: 1_700_000_000_001_000 },
        { data: beacon(51002, 'ACME'), tsUs: 1_700_000_000_002_000 },
      ]),
    );
    const names = (await runPlugin(plugin, cap)).flows.map((f) => f.app?.protocol);
    assert.deepEqual(names, ['AcmeBeacon', 'Unknown', 'Unknown']);
  });

  test('HTTP referer logger: one info alert per request with a Referer', async () => {
    const run = await runPlugin(await example('http-referer-logger'), `${NDPI}/weibo.pcap`);
    assert.equal(run.stats['http-referer-logger']!.errors, 0);
    assert.ok(run.alerts.length >= 10, `alerts: ${run.alerts.length}`);
    const first = run.alerts[0]!;
    assert.equal(first.severity, 'info');
    assert.equal(first.referer, 'https://www.google.it/');
    assert.equal(first.url, 'weibo.com/login.php?lang=en-us');
    assert.ok(run.flows.some((f) => f.flow_id === first.flow_id), 'the alert names a real flow');
    assert.equal(run.stats['http-referer-logger']!.counters.requests_with_referer, run.alerts.length);
  });

  test('signature detector: SQL injection found in the request; a split signature is found across segments', async () => {
    const p = await example('worm-detector');
    const sqli = await runPlugin(p, `${NDPI}/sql_injection.pcap`);
    assert.deepEqual(
      sqli.alerts.map((a) => [a.sid, a.severity]),
      [[1000001, 'high']],
    );
    assert.deepEqual(sqli.tags.get(sqli.alerts[0]!.flow_id!), ['sid:1000001']);
    const split = await runPlugin(p, tcpCapture(['GET /x?a=c', 'md.e', 'xe HTTP/1.1\r\n\r\n'], 'split.pcap'));
    assert.deepEqual(
      split.alerts.map((a) => a.sid),
      [1000005],
    );
    const clean = await runPlugin(p, `${NDPI}/443-curl.pcap`);
    assert.equal(clean.alerts.length, 0);
  });

  test('top talkers: hosts ranked by bytes at the end of input', async () => {
    const run = await runPlugin(await example('top-talkers'), `${NDPI}/ftp.pcap`);
    assert.equal(run.alerts.length, 1);
    const top = run.alerts[0]!.top as { ip: string; bytes: number }[];
    const total = run.flows.reduce((s, f) => s + f.client.bytes + f.server.bytes, 0);
    assert.equal(top[0]!.bytes, total, 'both hosts of this capture took part in every flow');
    assert.deepEqual(top.map((t) => t.ip).sort(), ['192.168.1.212', '90.130.70.73']);
  });

  test('FTP data tracker: data connections handed over by dynamic rules, linked to the control flow', async () => {
    const run = await runPlugin(await example('ftp-data-tracker'), `${NDPI}/ftp.pcap`);
    const stats = run.stats['ftp-data-tracker']!;
    assert.equal(stats.counters.announced, 2);
    assert.equal(stats.counters.data_flows, 2);
    const control = run.flows.find((f) => f.server.port === 21)!;
    assert.equal(run.alerts.length, 2);
    for (const a of run.alerts) {
      assert.equal(a.control_flow_id, control.flow_id);
      assert.deepEqual(run.tags.get(a.flow_id!), ['ftp-data']);
    }
    assert.deepEqual(
      run.alerts.map((a) => a.bytes),
      [1205, 109440],
    );
  });

  test('HTTP sessions by cookie: five connections grouped into one session', async () => {
    const run = await runPlugin(await example('http-sessions-by-cookie'), `${NDPI}/alexa-app.pcapng`);
    assert.equal(run.alerts.length, 1);
    const a = run.alerts[0]!;
    assert.equal(a.session, 'csrf=-84612738');
    assert.equal(a.connections, 5);
    assert.equal((a.flows as string[]).length, 5);
    assert.deepEqual(a.hosts, ['alexa.amazon.com']);
  });
});

describe('plugin host', () => {
  test('a throwing plugin is counted and reported by name; the engine and other plugins go on', async () => {
    let seen = 0;
    const bad = definePlugin({
      name: 'bad',
      onFlowStart(flow) {
        if (flow.info.protocol === 'UDP') throw new Error('boom');
      },
      onFlowEnd() {
        throw new TypeError('again');
      },
    });
    const good = definePlugin({
      name: 'good',
      onFlowEnd: () => {
        seen++;
      },
    });
    const run = await runPlugin([bad, good], `${NDPI}/dns.pcap`);
    assert.equal(seen, run.flows.length);
    const s = run.stats.bad!;
    assert.ok(s.errors > 0);
    assert.match(s.errorMessages[0]!, /^(onFlowStart: boom|onFlowEnd: again)$/);
    assert.equal(run.stats.good!.errors, 0);
  });

  test('flow updates: counters so far, once per interval of packet time, up to the final record; a throwing update is isolated', async () => {
    const updates = new Map<string, FlowUpdate[]>();
    const p = definePlugin({
      name: 'updates',
      updateInterval: 5,
      onFlowUpdate(flow, u) {
        assert.equal(u.flow_id, flow.info.id);
        const list = updates.get(u.flow_id) ?? [];
        list.push(u);
        updates.set(u.flow_id, list);
      },
    });
    const run = await runPlugin(p, `${NDPI}/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`);
    assert.ok(updates.size >= 2, `${updates.size} flows updated`);
    let n = 0;
    for (const [id, list] of updates) {
      const end = run.flows.find((r) => r.flow_id === id)!;
      assert.ok(end !== undefined);
      for (let i = 0; i < list.length; i++) {
        const u = list[i]!;
        n++;
        assert.equal('end_reason' in u, false);
        assert.ok(u.client.packets + u.server.packets <= end.client.packets + end.server.packets);
        assert.ok(u.last_seen - u.first_seen >= 5 - 1e-6, 'not before the first interval');
        if (i > 0) {
          const prev = list[i - 1]!;
          assert.ok(u.last_seen - prev.last_seen >= 5 - 1e-6, 'at most once per interval');
          assert.ok(u.client.packets + u.server.packets > prev.client.packets + prev.server.packets);
        }
      }
    }
    assert.ok(n >= 10, `${n} updates`);
    // Flows shorter than the interval get none.
    for (const r of run.flows) if (r.last_seen - r.first_seen < 5) assert.equal(updates.has(r.flow_id), false);
    const bad = await runPlugin(definePlugin({ name: 'bad', updateInterval: 1, onFlowUpdate: () => { throw new Error('no'); } }), `${NDPI}/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`);
    assert.ok(bad.stats.bad!.errors >= 1);
    assert.match(bad.stats.bad!.errorMessages[0]!, /^onFlowUpdate: no$/);
    assert.equal(bad.flows.length, run.flows.length);
  });

  test('delivery modes switch on a live flow; done() stops every callback', async () => {
    const log: string[] = [];
    const p = definePlugin<{ packets: number }>({
      name: 'modes',
      deliver: 'packets',
      flowState: () => ({ packets: 0 }),
      onPacket(flow) {
        log.push('packet');
        if (++flow.state.packets === 4) flow.deliver('client');
      },
      onData(flow, dir, data) {
        log.push(`data${dir}:${Buffer.from(data).toString()}`);
        if (log.filter((x) => x.startsWith('data')).length === 2) flow.done();
      },
      onFlowEnd: () => {
        log.push('end');
      },
    });
    await runPlugin(p, tcpCapture(['A', 'B', 'C', 'D'], 'modes.pcap'));
    // Packets 1-4 as packets (the 4th carries "A", switched before its payload is delivered), then stream data.
    assert.deepEqual(log, ['packet', 'packet', 'packet', 'packet', 'data0:A', 'data0:B']);
  });

  test('select: a tcpdump filter, ports and networks choose the flows', async () => {
    const counts: Record<string, number> = {};
    const mk = (name: string, select: Plugin['select']): Plugin => ({
      name,
      select,
      onFlowStart: () => {
        counts[name] = (counts[name] ?? 0) + 1;
      },
    });
    const run = await runPlugin([mk('all', undefined), mk('udp53', { filter: 'udp port 53' }), mk('port53', { ports: [53] }), mk('none', { networks: ['203.0.113.0/24'] })], `${NDPI}/dns.pcap`);
    const dnsFlows = run.flows.filter((f) => f.protocol === 'UDP' && (f.server.port === 53 || f.client.port === 53)).length;
    assert.equal(dnsFlows, 2);
    assert.equal(counts.all, run.flows.length);
    // As in tcpdump, 'udp port 53' does not look inside PPPoE (the second flow needs 'pppoes and …').
    assert.equal(counts.udp53, 1);
    assert.equal(counts.port53, dnsFlows);
    assert.equal(counts.none, undefined);
  });

  test('rules: tag, drop and plugin actions; runtime rules with expiry; text rules', async () => {
    const followed: string[] = [];
    const p = definePlugin({
      name: 'ruled',
      select: { ports: [1] }, // selects nothing by itself
      onStart(ctx) {
        ctx.rules.add({ action: 'tag', tag: 'dns', protocol: 'udp', dstPort: 53 });
        ctx.rules.add('drop tcp any any -> any 443');
        ctx.rules.add({ action: 'plugin', plugin: 'ruled', protocol: 'tcp', dstPort: 80, ttl: 3600 });
      },
      onFlowStart(flow) {
        followed.push(`${flow.info.protocol}/${flow.info.server.port}`);
      },
    });
    const run = await runPlugin(p, `${NDPI}/dns.pcap`);
    const dns = run.flows.filter((f) => f.protocol === 'UDP' && f.server.port === 53);
    assert.ok(dns.length > 0);
    for (const f of dns) assert.deepEqual((f as { tags?: string[] }).tags, ['dns']);
    assert.ok(followed.every((x) => x === 'TCP/80'));
    const http = await runPlugin(p, `${NDPI}/weibo.pcap`);
    assert.ok(http.flows.filter((f) => f.server.port === 80).length > 0);
  });

  test('sessions end after their timeout in packet time, and at the end of input', async () => {
    const ended: Array<[string, number]> = [];
    const p = definePlugin<undefined, { n: number }>({
      name: 'by-client',
      sessions: {
        key: (flow) => flow.info.client.ip,
        timeout: 1,
        state: () => ({ n: 0 }),
        onEnd: (s) => {
          ended.push([s.key, s.flows.length]);
        },
      },
      onFlowStart(flow) {
        flow.session!.state.n++;
      },
    });
    const run = await runPlugin(p, `${NDPI}/dns.pcap`);
    const clients = new Set(run.flows.map((f) => f.client.ip));
    assert.equal(new Set(ended.map((e) => e[0])).size <= clients.size, true);
    assert.equal(
      ended.reduce((s, e) => s + e[1], 0),
      run.flows.length,
      'every flow belongs to exactly one ended session',
    );
  });

  test('loading: errors name the file; a module may export several plugins', async () => {
    await assert.rejects(loadPlugins(['nope.ts']), /plugin file not found: nope\.ts/);
    const bad = join(tmp, 'bad.mjs');
    writeFileSync(bad, 'export default 42;\n');
    await assert.rejects(loadPlugins([bad]), /not a plugin/);
    const two = join(tmp, 'two.ts');
    writeFileSync(two, "const a: { name: string } = { name: 'a' };\nexport default [a, { name: 'b' }];\n");
    assert.deepEqual(
      (await loadPlugins([two])).map((x) => x.name),
      ['a', 'b'],
    );
  });

  test('sonda run: alerts as NDJSON with the flow records, plugin counters in the summary', async () => {
    let out = '';
    let err = '';
    const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), stderrIsTty: false };
    const code = await main(['run', 'examples/worm-detector.ts', '--read', `${NDPI}/sql_injection.pcap`, '--summary-json'], io);
    assert.equal(code, 0, err);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.type),
      ['alert', 'flow'],
    );
    assert.deepEqual(lines[1]!.tags, ['sid:1000001']);
    const summary = JSON.parse(err.trim().split('\n').at(-1)!) as { plugins: Record<string, { alerts: number }> };
    assert.equal(summary.plugins['worm-detector']!.alerts, 1);
  });
});
