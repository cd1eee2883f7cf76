import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Engine } from '../engine/engine.js';
import type { FlowRecord } from '../flow/record.js';
import { ethernet, icmpEcho, ipv4, tcp } from '../testing/packet-builder.js';
import { ProcessAttribution, type ProcessInfo } from './process-attribution.js';
import { processConsumer } from './process-consumer.js';

// Real sockets of this process, and crafted packets for them fed straight to an engine: the
// engine sees the flows while the sockets exist, as it would in live capture.

const COMM = readFileSync('/proc/self/comm', 'utf8').trim();
const ME: ProcessInfo = { pid: process.pid, name: COMM };
let server: Server;
let port = 0;
const clients: Socket[] = [];

before(async () => {
  server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  for (const c of clients) c.destroy();
  server.close();
});

async function client(): Promise<Socket> {
  const c = connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  clients.push(c);
  return c;
}

/** A SYN from `sport` to `dport`, 127.0.0.1 both ways, stamped now. */
function syn(engine: Engine, sport: number, dport: number, src = '127.0.0.1', dst = '127.0.0.1'): void {
  const f = ethernet({ etherType: 0x0800, payload: ipv4({ src, dst, proto: 6, payload: tcp({ src, dst, sport, dport, seq: 1, flags: 0x02 }) }) });
  engine.frame(f, 0, f.length, f.length, Date.now() * 1000, 1);
}

/** Records lookups (was the answer given at once, or settling at the flow's end?). */
class SpyAttribution extends ProcessAttribution {
  readonly answers: Array<{ port: number; settle: boolean; found: boolean }> = [];
  override lookup(...args: Parameters<ProcessAttribution['lookup']>): ProcessInfo | undefined {
    const r = super.lookup(...args);
    this.answers.push({ port: args[3], settle: args[7] === true, found: r !== undefined });
    return r;
  }
}

test('a TCP flow of this process gets `process`, kept after the socket closed', async () => {
  const c = await client();
  const engine = new Engine({ consumers: [processConsumer()] });
  const recs: FlowRecord[] = [];
  engine.on('flow', (r) => recs.push(r));
  syn(engine, c.localPort!, port);
  c.destroy();
  await new Promise((r) => c.once('close', r));
  engine.finish();
  assert.equal(recs.length, 1);
  assert.deepEqual(recs[0]!.process, ME);
});

test('flows without a local end and protocols without sockets are not followed', () => {
  const attr = new SpyAttribution({ localAddresses: () => [] });
  const engine = new Engine({ consumers: [processConsumer(attr)] });
  const recs: FlowRecord[] = [];
  engine.on('flow', (r) => recs.push(r));
  syn(engine, 40000, 80, '192.0.2.1', '198.51.100.2');
  const ping = ethernet({ etherType: 0x0800, payload: ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 1, payload: icmpEcho({ id: 1, seq: 1 }) }) });
  engine.frame(ping, 0, ping.length, ping.length, Date.now() * 1000, 1);
  engine.finish();
  assert.equal(recs.length, 2);
  for (const r of recs) assert.equal(r.process, undefined);
  assert.equal(attr.answers.length, 0);
  assert.equal(engine.summary().consumers?.followedFlows, 0);
});

test('a flow whose lookup was rationed is answered at the next table read, while its socket lives', async () => {
  // Each read of the TCP table rations the next for 99 times its duration (~0.1 s or more).
  const attr = new SpyAttribution({ maxBusyShare: 0.01 });
  const engine = new Engine({ consumers: [processConsumer(attr)] });
  const recs: FlowRecord[] = [];
  engine.on('flow', (r) => recs.push(r));
  const a = await client();
  syn(engine, a.localPort!, port); // reads the table
  const x = await client();
  syn(engine, x.localPort!, port); // too soon: pending
  const xPort = x.localPort!;
  assert.deepEqual(
    attr.answers.map((q) => q.found),
    [true, false],
  );
  // New flows come; the first that reads the table again answers the pending x too.
  const xFound = () => attr.answers.some((q) => q.port === xPort && q.found);
  for (let i = 0; i < 30 && !xFound(); i++) {
    await new Promise((r) => setTimeout(r, 100));
    const y = await client();
    syn(engine, y.localPort!, port);
  }
  x.destroy();
  await new Promise((r) => x.once('close', r));
  engine.finish();
  const xAnswers = attr.answers.filter((q) => q.port === xPort);
  assert.equal(xAnswers[0]?.found, false);
  assert.deepEqual(xAnswers.at(-1), { port: xPort, settle: false, found: true }, 'answered before its end, not by settling');
  assert.ok(recs.length >= 3);
  for (const r of recs) assert.deepEqual(r.process, ME, `client port ${r.client.port}`);
});
