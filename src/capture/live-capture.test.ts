// Live capture on the loopback interface with real traffic made by the test itself: a local
// HTTP server and client, a local DNS responder and queries. Needs tcpdump and the right to
// capture (CI runs as root; scripts/test.sh installs tcpdump): a test that cannot capture
// fails and says why.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../cli/main.js';
import { Engine } from '../engine/engine.js';
import type { SondaError } from '../errors.js';
import type { FlowRecord } from '../flow/record.js';
import { selectParsers } from '../protocols/index.js';
import { flowContractViolations } from '../testing/flow-contract.js';
import { LiveCapture, tcpdumpArgs } from './live-capture.js';
import { ProcessAttribution } from './process-attribution.js';
import { processConsumer } from './process-consumer.js';
import { readCapture } from './read-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'sonda-live-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const COMM = readFileSync('/proc/self/comm', 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `cond`, polling; fails with `what` after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A DNS query (or its answer: one A record 10.9.8.7) for `name`. */
function dnsMessage(id: number, name: string, answer: boolean): Buffer {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const question = [...labels, 0, 0, 1, 0, 1];
  const head = [id >> 8, id & 0xff, answer ? 0x81 : 0x01, answer ? 0x80 : 0x00, 0, 1, 0, answer ? 1 : 0, 0, 0, 0, 0];
  const rr = answer ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7] : [];
  return Buffer.from([...head, ...question, ...rr]);
}

/**
 * A DNS responder on a loopback address of its own, on a port the DNS parser knows (53, else
 * mDNS's or LLMNR's when 53 is taken there).
 */
async function dnsResponder(): Promise<{ socket: UdpSocket; address: string; port: number }> {
  const address = '127.0.0.77';
  for (const port of [53, 5353, 5355]) {
    const socket = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, address, () => resolve(true));
    });
    if (!ok) {
      socket.close();
      continue;
    }
    socket.on('message', (msg, from) => {
      const id = msg.readUInt16BE(0);
      socket.send(dnsMessage(id, 'live.sonda.test', true), from.port, from.address);
    });
    return { socket, address, port };
  }
  throw new Error(`no DNS port free on ${address}`);
}

/** Starts tcpdump writing a file (the oracle for packet counts); resolves when it listens. */
async function tcpdumpToFile(file: string, filter: string): Promise<ChildProcess> {
  const td = spawn('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-s', '262144', '-w', file, '--', filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    td.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('listening on')) resolve();
    });
    td.once('exit', () => reject(new Error(`tcpdump -w failed: ${err}`)));
    td.once('error', reject);
  });
  return td;
}

function udpSend(socket: UdpSocket, msg: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(msg, port, address, (e) => (e ? reject(e) : resolve())));
}

const key = (r: FlowRecord): string => `${r.protocol} ${r.client.ip}:${r.client.port} ${r.server.ip}:${r.server.port}`;

test('tcpdumpArgs: options map to tcpdump flags; bad values are refused', () => {
  assert.deepEqual(tcpdumpArgs({ interface: 'eth0' }), ['-i', 'eth0', '-U', '-w', '-', '--immediate-mode', '-s', '262144', '-B', '65536']);
  assert.deepEqual(tcpdumpArgs({ interface: 'lo', snaplen: 96, promiscuous: false, bufferKiB: 8192, count: 5, filter: ' tcp port 80 ', immediate: false }), [
    '-i', 'lo', '-U', '-w', '-', '-s', '96', '-p', '-B', '8192', '-c', '5', '--', 'tcp port 80',
  ]);
  for (const bad of [{ interface: '' }, { interface: 'lo', snaplen: 0 }, { interface: 'lo', snaplen: 262145 }, { interface: 'lo', count: 1.5 }, { interface: 'lo', durationS: -1 }, { interface: 'lo', bufferKiB: 0 }]) {
    assert.throws(() => tcpdumpArgs(bad), (e: SondaError) => e.code === 'SONDA_E_BAD_OPTION', JSON.stringify(bad));
  }
});

test('loopback: HTTP and DNS flows with exact packet counts, parser fields and the owning process', async () => {
  const http = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.url}`);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as AddressInfo).port;
  const dns = await dnsResponder();
  const filter = `(host 127.0.0.1 and tcp port ${httpPort}) or (host ${dns.address} and udp port ${dns.port})`;
  const file = join(tmp, 'oracle.pcap');
  const oracle = await tcpdumpToFile(file, filter);

  const engine = new Engine({ consumers: [processConsumer(new ProcessAttribution()), ...selectParsers('all')] });
  const records: FlowRecord[] = [];
  engine.on('flow', (r) => records.push(r));
  const cap = await LiveCapture.start({ interface: 'lo', filter }, engine);

  // Five requests on one kept-alive connection; three queries, each from a socket of its own.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let clientPort = 0;
  for (let i = 0; i < 5; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: httpPort, path: `/r${i}`, agent, headers: { host: 'web.sonda.test' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve(text));
      });
      req.on('socket', (s) => {
        s.once('connect', () => {
          clientPort = s.localPort ?? 0;
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, `hello /r${i}`);
  }
  const dnsClients: UdpSocket[] = [];
  for (let i = 0; i < 3; i++) {
    const s = createSocket('udp4');
    dnsClients.push(s);
    const answered = new Promise((r) => s.once('message', r));
    await udpSend(s, dnsMessage(0x1000 + i, 'live.sonda.test', false), dns.port, dns.address);
    await answered;
  }
  // The flows are seen (and attributed) while the client sockets exist; then they go away.
  await until(() => engine.summary().flows.created >= 4, 5000, 'the capture to see 4 flows');
  const dnsPorts = dnsClients.map((s) => s.address().port);
  agent.destroy();
  for (const s of dnsClients) s.close();
  await sleep(150);
  const result = await cap.stop();
  engine.finish();
  oracle.kill('SIGINT');
  await new Promise((r) => oracle.once('exit', r));
  http.close();
  dns.socket.close();

  assert.equal(result.endedBy, 'stop');
  assert.equal(result.error, undefined);
  assert.equal(result.kernelDrops, 0);
  assert.equal(typeof result.interfaceDrops, 'number');
  assert.equal(result.captured, engine.summary().packets, 'every packet tcpdump wrote was read');
  assert.ok((result.received ?? 0) >= (result.captured ?? 0));
  for (const r of records) assert.deepEqual(flowContractViolations(r), [], JSON.stringify(r));

  assert.equal(records.length, 4, records.map(key).join('\n'));
  const web = records.find((r) => r.protocol === 'TCP');
  assert.ok(web, 'the HTTP flow');
  assert.deepEqual([web.client.ip, web.client.port, web.server.ip, web.server.port], ['127.0.0.1', clientPort, '127.0.0.1', httpPort]);
  assert.ok(web.client.packets >= 2 + 5 && web.server.packets >= 1 + 5, 'handshake and five exchanges');
  assert.equal(web.tcp?.client_flags?.includes('S'), true);
  assert.equal(web.host, 'web.sonda.test');
  assert.equal(web.http?.method, 'GET');
  assert.equal(web.http?.url, 'web.sonda.test/r0');
  assert.equal(web.http?.status, 200);
  assert.deepEqual(web.process, { pid: process.pid, name: COMM });

  const queries = records.filter((r) => r.protocol === 'UDP');
  assert.deepEqual(queries.map((r) => r.client.port).sort(), [...dnsPorts].sort());
  for (const q of queries) {
    assert.deepEqual([q.client.ip, q.server.ip, q.server.port], ['127.0.0.1', dns.address, dns.port]);
    assert.deepEqual([q.client.packets, q.server.packets], [1, 1]);
    assert.equal(q.dns?.query, 'live.sonda.test');
    assert.deepEqual(q.dns?.answers, ['10.9.8.7']);
    assert.equal(q.end_reason, 'eof');
    assert.deepEqual(q.process, { pid: process.pid, name: COMM }, `${key(q)}: the client socket was closed before the flow ended`);
  }

  // The same packets as a tcpdump writing a file at the same time, flow by flow.
  const fromFile = new Engine();
  const oracleRecords: FlowRecord[] = [];
  fromFile.on('flow', (r) => oracleRecords.push(r));
  await readCapture(file, fromFile);
  fromFile.finish();
  const counts = (rs: FlowRecord[]) => rs.map((r) => `${key(r)} ${r.client.packets}/${r.server.packets} ${r.client.bytes}/${r.server.bytes}`).sort();
  assert.deepEqual(counts(records), counts(oracleRecords));
});

test('count: tcpdump stops after N packets and every one reaches the sink', async () => {
  const rx = createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const engine = new Engine();
  const cap = await LiveCapture.start({ interface: 'lo', filter: `udp and host 127.0.0.1 and port ${port}`, count: 3, promiscuous: false, snaplen: 128 }, engine);
  const tx = createSocket('udp4');
  for (let i = 0; i < 6; i++) await udpSend(tx, Buffer.alloc(500, i), port, '127.0.0.1');
  const result = await cap.done;
  engine.finish();
  tx.close();
  rx.close();
  assert.equal(result.endedBy, 'count');
  assert.equal(result.captured, 3);
  const s = engine.summary();
  assert.equal(s.packets, 3);
  assert.ok(s.capturedBytes <= 3 * 128 && s.bytes === 3 * (14 + 20 + 8 + 500), 'snap length cuts captured bytes, not wire bytes');
});

test('errors name the cause and quote tcpdump: no interface, bad filter, no tcpdump, no permission', async () => {
  const engine = new Engine();
  const failure = async (o: Parameters<typeof LiveCapture.start>[0]): Promise<SondaError> => {
    try {
      const cap = await LiveCapture.start(o, engine);
      await cap.stop();
    } catch (e) {
      return e as SondaError;
    }
    assert.fail(`capture started: ${JSON.stringify(o)}`);
  };
  let e = await failure({ interface: 'nosuch0' });
  assert.equal(e.code, 'SONDA_E_CAPTURE');
  assert.match(e.message, /^nosuch0: no such interface \(tcpdump: nosuch0: .*\); interfaces here: .*\blo\b/);
  e = await failure({ interface: 'lo', filter: 'tcp and and' });
  assert.equal(e.code, 'SONDA_E_BAD_FILTER');
  assert.match(e.message, /^capture filter "tcp and and" rejected \(tcpdump: .*syntax error/);
  e = await failure({ interface: 'lo', tcpdump: join(tmp, 'no-tcpdump-here') });
  assert.equal(e.code, 'SONDA_E_CAPTURE');
  assert.match(e.message, /needs tcpdump: .*no-tcpdump-here: not found/);
  // tcpdump run as nobody: the kernel refuses the capture socket.
  const asNobody = join(tmp, 'tcpdump-as-nobody');
  writeFileSync(asNobody, '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all tcpdump "$@"\n');
  chmodSync(asNobody, 0o755);
  e = await failure({ interface: 'lo', tcpdump: asNobody });
  assert.equal(e.code, 'SONDA_E_CAPTURE');
  assert.match(e.message, /^lo: no permission to capture \(tcpdump: .*permission.*\)/i);
});

/** Sends a datagram to `port` every 40 ms until stopped. */
function udpTicker(port: number): { socket: UdpSocket; stop: () => void } {
  const socket = createSocket('udp4');
  const t = setInterval(() => socket.send('tick', port, '127.0.0.1'), 40);
  return { socket, stop: () => clearInterval(t) };
}

test('CLI in-process: --interface lo --duration with a positional filter, stats lines, flushed flows', async () => {
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const port = sink.address().port;
  const ticker = udpTicker(port);
  let out = '';
  let err = '';
  const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s), stderrIsTty: false };
  const code = await main(['flows', '--interface', 'lo', '--duration', '1.2', '--stats-interval', '0.4', '--json', '--parsers', 'none', 'udp', 'and', 'host', '127.0.0.1', 'and', 'port', String(port)], io);
  ticker.stop();
  const myPort = ticker.socket.address().port;
  ticker.socket.close();
  sink.close();
  assert.equal(code, 0, err);
  const recs = out.trim().split('\n').map((l) => JSON.parse(l) as FlowRecord);
  assert.equal(recs.length, 1, out);
  const r = recs[0]!;
  assert.deepEqual([r.protocol, r.client.port, r.server.port, r.end_reason], ['UDP', myPort, port, 'eof']);
  assert.ok(r.client.packets >= 10, `${r.client.packets} datagrams in 1.2 s`);
  assert.deepEqual(r.process, { pid: process.pid, name: COMM });
  assert.match(err, /^sonda: capturing on lo \(udp and host 127\.0\.0\.1 and port \d+\); Ctrl-C stops$/m);
  assert.match(err, /^sonda: [\d,]+ packets, [\d,]+ packets\/s, \d+ flows open, \d+ ended; dropped: 0 by kernel, \d+ by interface$/m);
  assert.match(err, /^sonda: [\d,]+ packets, .* 1 flows/m);
  assert.match(err, /^ {2}capture on lo: [\d,]+ received by filter, 0 dropped by kernel, \d+ dropped by interface$/m);
});

test('CLI: exactly one of --read and --interface', async () => {
  let err = '';
  const io = { stdout: () => undefined, stderr: (s: string) => void (err += s), stderrIsTty: false };
  assert.equal(await main(['flows'], io), 2);
  assert.match(err, /give either --read <file> or --interface <name>/);
  assert.equal(await main(['flows', '--read', 'x.pcap', '--interface', 'lo'], io), 2);
  err = '';
  assert.equal(await main(['flows', '--interface', 'nosuch0'], io), 2);
  assert.match(err, /^sonda: nosuch0: no such interface/);
});

test('CLI as a process, stopped by SIGINT: open flows are flushed (eof) and the summary printed', async () => {
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const port = sink.address().port;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sonda-dev.ts', 'flows', '-i', 'lo', '--json', '--parsers', 'none', 'udp', 'and', 'port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    await until(() => err.includes('capturing on lo') || child.exitCode !== null, 15000, `the CLI to start capturing (stderr: ${err})`);
    assert.equal(child.exitCode, null, err);
    const tx = createSocket('udp4');
    for (let i = 0; i < 4; i++) await udpSend(tx, Buffer.from(`n${i}`), port, '127.0.0.1');
    await sleep(200);
    child.kill('SIGINT');
    const code = await exited;
    tx.close();
    assert.equal(code, 0, err);
    const recs = out.trim().split('\n').map((l) => JSON.parse(l) as FlowRecord);
    assert.equal(recs.length, 1, out);
    assert.equal(recs[0]!.end_reason, 'eof');
    assert.equal(recs[0]!.client.packets, 4);
    assert.equal(recs[0]!.process?.pid, process.pid, 'the sender is this test process');
    assert.match(err, /^sonda: 4 packets, .* 1 flows/m);
    assert.match(err, /capture on lo: \d+ received by filter, 0 dropped by kernel/);
  } finally {
    child.kill('SIGKILL');
    sink.close();
  }
});
