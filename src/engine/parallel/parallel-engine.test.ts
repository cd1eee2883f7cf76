/**
 * The parallel engine must give the records one engine gives (flow ids aside, order aside):
 * on the whole nDPI corpus with every parser and events, on a generated capture built to
 * trip timeouts, fragments, tunnels and clock jumps, and without a crash on tcpdump's corpus.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCapture } from '../../capture/read-capture.js';
import { FlowJsonEncoder } from '../../export/flow-json-encoder.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../../flow/flow-snapshot.js';
import { selectParsers } from '../../protocols/index.js';
import {
  EtherType,
  ethernet,
  fragmentIpv4,
  fragmentIpv6,
  gre,
  icmpEcho,
  ipTcp,
  ipUdp,
  ipv4,
  type TcpOptions,
  text,
} from '../../testing/packet-builder.js';
import { type PacketRecord, pcapFile } from '../../testing/pcap-builder.js';
import { seededRandom } from '../../testing/random.js';
import { Engine, type EngineSummary } from '../engine.js';
import type { SerialEngineOptions } from './messages.js';
import { ParallelEngine } from './parallel-engine.js';
import { WorkerPool } from './pool.js';

const NDPI = '../shared/corpus/ndpi/pcap';
const TCPDUMP = '../shared/corpus/tcpdump';

interface Run {
  /** Canonical record texts (no flow_id), sorted. */
  flows: string[];
  /** Canonical event texts (no flow_id) joined to their flow's canonical text, sorted. */
  events: string[];
  summary: Record<string, unknown>;
}

function withoutId(x: { flow_id: string }): string {
  const { flow_id: _, ...rest } = x;
  return JSON.stringify(rest);
}

/** Summary fields that must agree (the worker split and per-slot size are the parallel run's own). */
function comparable(s: EngineSummary): Record<string, unknown> {
  const { flowStateBytesPerFlow: _, workers: __, ...rest } = s as EngineSummary & { workers?: unknown };
  const sortKeys = (v: unknown): unknown =>
    v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)])) : v;
  return sortKeys(rest) as Record<string, unknown>;
}

function samePair(a: string, b: string): boolean {
  const pair = (f: string) => {
    const r = JSON.parse(f) as { client: { ip: string }; server: { ip: string } };
    return [r.client.ip, r.server.ip].sort().join(' ');
  };
  return pair(a) === pair(b);
}

/** Collects flows and events; events are tied to their flow once all flows are known. */
class Collect {
  readonly flowsById = new Map<string, string>();
  readonly eventsRaw: Array<{ flow_id: string }> = [];
  run(summary: EngineSummary): Run {
    const flowOf = (id: string): string => {
      const flow = this.flowsById.get(id);
      assert.ok(flow !== undefined, `event of an unknown flow ${id}`);
      return flow;
    };
    const events = this.eventsRaw.map((e) => {
      // A link to an announcing flow (flow_link) names it by id: compare the flow instead.
      // Announcements are kept per worker, so when several flows of other address pairs
      // announced the same endpoint (a SIP call over two legs), the workers may link to
      // another of them: such a parent is compared as "another pair" only.
      const { parent_flow_id: parent, ...rest } = e as { flow_id: string; parent_flow_id?: string };
      const flow = flowOf(e.flow_id);
      let link = '';
      if (parent !== undefined) link = ` ⇐ ${samePair(flowOf(parent), flow) ? flowOf(parent) : '(another address pair)'}`;
      return `${withoutId(rest)} → ${flow}${link}`;
    });
    return { flows: [...this.flowsById.values()].sort(), events: events.sort(), summary: comparable(summary) };
  }
}

interface RunOptions {
  parsers: string;
  events: boolean;
  engine?: SerialEngineOptions;
}

async function single(file: string, o: RunOptions): Promise<Run> {
  const engine = new Engine({ ...o.engine, consumers: o.parsers === 'none' ? [] : selectParsers(o.parsers) });
  const c = new Collect();
  engine.on('flow', (r) => {
    assert.ok(!c.flowsById.has(r.flow_id));
    c.flowsById.set(r.flow_id, withoutId(r));
  });
  if (o.events) engine.on('event', (e) => c.eventsRaw.push(e));
  await readCapture(file, engine);
  engine.finish();
  return c.run(engine.summary());
}

async function parallel(file: string, pool: WorkerPool, o: RunOptions): Promise<Run> {
  const pe = new ParallelEngine({ workers: pool, parsers: o.parsers, events: o.events, engine: o.engine ?? {} });
  const c = new Collect();
  pe.on('flow', (r) => {
    assert.ok(!c.flowsById.has(r.flow_id), `flow ids are unique (${r.flow_id})`);
    c.flowsById.set(r.flow_id, withoutId(r));
  });
  if (o.events) pe.on('event', (e) => c.eventsRaw.push(e));
  await readCapture(file, pe);
  return c.run(await pe.finish());
}

function assertSame(name: string, one: Run, many: Run, failures: string[]): void {
  const diff = (a: string[], b: string[]): string => {
    const sb = new Set(b);
    const sa = new Set(a);
    const onlyA = a.filter((x) => !sb.has(x));
    const onlyB = b.filter((x) => !sa.has(x));
    return `one engine only: ${onlyA.slice(0, 2).join(' | ')}; workers only: ${onlyB.slice(0, 2).join(' | ')}`;
  };
  if (JSON.stringify(one.flows) !== JSON.stringify(many.flows)) failures.push(`${name}: flows differ (${one.flows.length} vs ${many.flows.length}): ${diff(one.flows, many.flows)}`);
  else if (JSON.stringify(one.events) !== JSON.stringify(many.events)) failures.push(`${name}: events differ (${one.events.length} vs ${many.events.length}): ${diff(one.events, many.events)}`);
  else if (JSON.stringify(one.summary) !== JSON.stringify(many.summary)) failures.push(`${name}: summaries differ: ${JSON.stringify(one.summary)} vs ${JSON.stringify(many.summary)}`);
}

let pool2: WorkerPool;
let pool3: WorkerPool;
let tmp: string;

before(() => {
  // Pools serve every capture: thread start-up is paid once. The 3-worker pool has small
  // rings, so back-pressure, wrap-around and oversize frames happen all the time.
  pool2 = new WorkerPool(2);
  pool3 = new WorkerPool(3, { ringBytes: 64 << 10 });
  tmp = mkdtempSync(join(tmpdir(), 'sonda-parallel-'));
});

after(async () => {
  await Promise.all([pool2.close(), pool3.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

test('parallel: 2 and 3 workers give the records, events and summary of one engine on the whole nDPI corpus (every parser)', async () => {
  const files = readdirSync(NDPI).sort();
  assert.equal(files.length, 271);
  const failures: string[] = [];
  let flows = 0;
  let events = 0;
  const o: RunOptions = { parsers: 'all', events: true };
  for (const name of files) {
    const file = join(NDPI, name);
    const one = await single(file, o);
    flows += one.flows.length;
    events += one.events.length;
    assertSame(`${name} (2 workers)`, one, await parallel(file, pool2, o), failures);
    assertSame(`${name} (3 workers)`, one, await parallel(file, pool3, o), failures);
  }
  assert.deepEqual(failures, []);
  assert.ok(flows > 4000 && events > 1000, `the corpus made flows (${flows}) and events (${events})`);
});

/**
 * A capture made to stress what sharding could get wrong: idle gaps longer than the idle
 * timeout inside flows, TCP close and port reuse, IPv4 and IPv6 fragments (some never
 * complete), GRE tunnels, VLANs, ARP, truncated frames, frames out of time order, a clock
 * that jumps an hour ahead on one frame, and jumbo frames bigger than a small ring's quarter.
 */
function mixedCapture(seed: number, sessions: number): Uint8Array {
  const rnd = seededRandom(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const packets: PacketRecord[] = [];
  const T0 = 1_700_000_000_000_000;
  const SPAN = 600e6;
  const eth = (ip: Uint8Array, vlan?: number) => ethernet({ etherType: ip[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4, ...(vlan === undefined ? {} : { vlans: [vlan] }), payload: ip });
  const client = (v6: boolean) => (v6 ? `2001:db8:1::${(pick(300) + 1).toString(16)}` : `10.0.${pick(4)}.${pick(250) + 1}`);
  const server = (v6: boolean) => (v6 ? `2001:db8:2::${(pick(40) + 1).toString(16)}` : `192.0.2.${pick(40) + 1}`);
  const add = (tsUs: number, data: Uint8Array) => packets.push({ data, tsUs: Math.round(tsUs) });
  for (let s = 0; s < sessions; s++) {
    let t = T0 + rnd() * SPAN;
    const v6 = rnd() < 0.25;
    const a = client(v6);
    const b = server(v6);
    const vlan = rnd() < 0.15 ? pick(4000) + 1 : undefined;
    const tunnel = !v6 && rnd() < 0.08 ? [`198.51.100.${pick(3) + 1}`, '198.51.100.200'] : null;
    const wrap = (ip: Uint8Array, toServer: boolean) => {
      if (tunnel === null) return eth(ip, vlan);
      const [x, y] = toServer ? tunnel : [tunnel[1]!, tunnel[0]!];
      return eth(ipv4({ src: x!, dst: y!, proto: 47, payload: gre({ protocol: ip[0]! >> 4 === 6 ? EtherType.IPv6 : EtherType.IPv4, payload: ip }) }), vlan);
    };
    const kind = rnd();
    if (kind < 0.55) {
      // TCP: handshake, an HTTP-ish exchange with pauses (some longer than the idle timeout),
      // then FIN, RST, or nothing; sometimes the ports are reused right after.
      const sport = 1024 + pick(60000);
      const dport = rnd() < 0.5 ? 80 : 8000 + pick(10);
      let cs = pick(1 << 30);
      let ss = pick(1 << 30);
      const seg = (toServer: boolean, flags: number, payload: Uint8Array = new Uint8Array(0)) => {
        const o: TcpOptions & { src: string; dst: string } = toServer
          ? { src: a, dst: b, sport, dport, seq: cs, ack: ss, flags, payload }
          : { src: b, dst: a, sport: dport, dport: sport, seq: ss, ack: cs, flags, payload };
        add(t, wrap(ipTcp(o), toServer));
        if (toServer) cs = (cs + payload.length + (flags & 0x03 ? 1 : 0)) >>> 0;
        else ss = (ss + payload.length + (flags & 0x03 ? 1 : 0)) >>> 0;
        t += rnd() < 0.05 ? 12e6 + rnd() * 5e6 : rnd() * 50e3;
      };
      for (let round = rnd() < 0.1 ? 2 : 1; round > 0; round--) {
        seg(true, 0x02);
        seg(false, 0x12);
        seg(true, 0x10);
        const n = 1 + pick(6);
        for (let i = 0; i < n; i++) {
          seg(true, 0x18, text(`GET /${s}/${i} HTTP/1.1\r\nHost: h${pick(50)}.example\r\n\r\n`));
          seg(false, 0x18, text(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello`));
        }
        const end = rnd();
        if (end < 0.6) {
          seg(true, 0x11);
          seg(false, 0x11);
          seg(true, 0x10);
        } else if (end < 0.8) seg(false, 0x04);
      }
    } else if (kind < 0.8) {
      // UDP: queries and answers, some large enough to be fragmented (a fragment sometimes lost).
      const sport = 1024 + pick(60000);
      const n = 1 + pick(4);
      for (let i = 0; i < n; i++) {
        for (const toServer of [true, false]) {
          const size = rnd() < 0.2 ? 2000 + pick(3000) : 20 + pick(200);
          const ip = ipUdp(
            toServer
              ? { src: a, dst: b, sport, dport: 53, payload: new Uint8Array(size).fill(i), ...(v6 ? {} : { ip: { id: pick(65536) } }) }
              : { src: b, dst: a, sport: 53, dport: sport, payload: new Uint8Array(size).fill(i + 1), ...(v6 ? {} : { ip: { id: pick(65536) } }) },
          );
          if (size > 1400) {
            const frags = v6 ? fragmentIpv6(ip, 1200, pick(1 << 30)) : fragmentIpv4(ip, 1200);
            const lose = rnd() < 0.2 ? pick(frags.length) : -1;
            // Fragments may come out of order.
            if (rnd() < 0.3) frags.reverse();
            frags.forEach((f, k) => {
              if (k !== lose) add(t + k * 100, wrap(f, toServer));
            });
          } else add(t, wrap(ip, toServer));
          t += rnd() < 0.05 ? 11e6 : rnd() * 200e3;
        }
      }
    } else if (kind < 0.9) {
      const id = pick(65536);
      for (let i = 0; i < 1 + pick(5); i++) {
        add(t, eth(ipv4({ src: a.includes(':') ? '10.9.9.9' : a, dst: '192.0.2.250', proto: 1, payload: icmpEcho({ id, seq: i }) }), vlan));
        add(t + 1000, eth(ipv4({ src: '192.0.2.250', dst: a.includes(':') ? '10.9.9.9' : a, proto: 1, payload: icmpEcho({ reply: true, id, seq: i }) }), vlan));
        t += 1e6;
      }
    } else if (kind < 0.95) {
      add(t, ethernet({ etherType: 0x0806, payload: new Uint8Array(28).fill(s & 0xff) }));
    } else if (kind < 0.98) {
      // Truncated: the IP header cut short (undecodable), or the TCP header cut short.
      const ip = ipTcp({ src: a, dst: b, sport: 1, dport: 2, seq: 0, flags: 0x02 });
      add(t, eth(ip).subarray(0, 14 + (rnd() < 0.5 ? 10 : (v6 ? 40 : 20) + 6)));
    } else {
      // Jumbo frames: bigger than a quarter of a 64 KiB ring.
      const sport = 1024 + pick(60000);
      for (let i = 0; i < 3; i++) {
        add(t, eth(ipUdp({ src: a, dst: b, sport, dport: 9, payload: new Uint8Array(17_000 + pick(20_000)) })));
        t += 1000;
      }
    }
  }
  packets.sort((x, y) => x.tsUs - y.tsUs);
  // Out of time order now and then (captures merged from several interfaces do this).
  for (let i = 1; i < packets.length; i++) {
    if (rnd() < 0.02) [packets[i - 1], packets[i]] = [packets[i]!, packets[i - 1]!];
  }
  // One frame an hour ahead: every flow's clock jumps (an ARP frame: no flow of its own).
  const mid = packets.length >> 1;
  packets.splice(mid, 0, { data: ethernet({ etherType: 0x0806, payload: new Uint8Array(28) }), tsUs: packets[mid]!.tsUs + 3600e6 });
  return pcapFile(packets);
}

const SHORT: SerialEngineOptions = { flows: { idleTimeout: 10, tcpCloseTimeout: 3, activeTimeout: 90 } };

test('parallel: a generated capture with short timeouts gives the same flows with 1, 2 and 3 workers', async () => {
  const file = join(tmp, 'mixed.pcap');
  writeFileSync(file, mixedCapture(42, 4000));
  const failures: string[] = [];
  for (const o of [
    { parsers: 'all', events: true, engine: SHORT },
    { parsers: 'none', events: false },
  ] satisfies RunOptions[]) {
    const one = await single(file, o);
    assert.ok(one.flows.length > 3000, `flows: ${one.flows.length}`);
    const reasons = new Set(one.flows.map((f) => (JSON.parse(f) as { end_reason: string }).end_reason));
    if (o.engine) assert.deepEqual([...reasons].sort(), ['active', 'eof', 'fin', 'idle', 'rst'], 'every end reason happens');
    const label = `${o.parsers}${o.engine ? ', short timeouts' : ''}`;
    assertSame(`${label} (2 workers)`, one, await parallel(file, pool2, o), failures);
    assertSame(`${label} (3 workers)`, one, await parallel(file, pool3, o), failures);
  }
  assert.deepEqual(failures, []);
});

test('parallel: NDJSON from the workers (to a descriptor, or to this thread) is the one engine’s lines', async () => {
  const file = join(NDPI, 'netflix.pcap');
  const engine = new Engine({ consumers: selectParsers('all') });
  const enc = new FlowJsonEncoder();
  const row = new Float64Array(SNAPSHOT_FIELDS);
  const lines: string[] = [];
  engine.on('event', (e) => lines.push(JSON.stringify(e)));
  engine.on('flow-row', (t, f, reason, fields) => {
    snapshotFlow(t, f, reason, row, 0);
    enc.encode(row, 0, fields);
    lines.push(new TextDecoder().decode(enc.take()).trimEnd());
  });
  await readCapture(file, engine);
  engine.finish();
  const norm = (text: string) =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.stringify({ ...JSON.parse(l), flow_id: '' }, (k, v) => (k === 'parent_flow_id' ? '' : v)))
      .sort();
  const want = norm(lines.join('\n'));

  const out = join(tmp, 'out.ndjson');
  const fd = openSync(out, 'w');
  const pe = new ParallelEngine({ workers: pool3, parsers: 'all', events: true, output: 'fd', fd });
  await readCapture(file, pe);
  const s = await pe.finish();
  closeSync(fd);
  assert.deepEqual(norm(readFileSync(out, 'utf8')), want);
  assert.equal(pe.flows, s.flows.ended);
  assert.equal(pe.outputError, null);

  const chunks: string[] = [];
  const pe2 = new ParallelEngine({ workers: pool2, parsers: 'all', events: true, output: 'ndjson' });
  pe2.on('ndjson', (b) => chunks.push(new TextDecoder().decode(b)));
  await readCapture(file, pe2);
  await pe2.finish();
  assert.ok(chunks.every((c) => c.endsWith('\n')), 'whole lines');
  assert.deepEqual(norm(chunks.join('')), want);
});

test('parallel: every tcpdump corpus capture goes through 2 workers without a crash, as one engine reads it', async () => {
  const files = readdirSync(TCPDUMP).sort();
  assert.ok(files.length > 800);
  const failures: string[] = [];
  for (const name of files) {
    const file = join(TCPDUMP, name);
    let one: Run;
    try {
      one = await single(file, { parsers: 'all', events: false });
    } catch {
      continue; // not a capture at all: nothing to compare
    }
    try {
      assertSame(name, one, await parallel(file, pool2, { parsers: 'all', events: false }), failures);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('parallel: an owned pool closes at finish(); frames and drops are reported per worker', async () => {
  const pe = new ParallelEngine({ workers: 2, output: 'none' });
  await readCapture(join(NDPI, 'netflix.pcap'), pe);
  const s = await pe.finish();
  assert.equal(s.workers.count, 2);
  assert.equal(s.workers.dropped, 0);
  assert.equal(
    s.workers.frames.reduce((a, b) => a + b, 0),
    s.packets,
  );
  assert.ok(s.workers.frames.every((n) => n > 0), `both workers had frames: ${s.workers.frames}`);
  assert.equal(pe.flows, s.flows.ended);
  assert.throws(() => new ParallelEngine({ workers: pool2, output: 'fd' }), /needs fd/);
});

test('parallel: a pool runs one session at a time', async () => {
  const pe = new ParallelEngine({ workers: pool2, output: 'none' });
  assert.throws(() => new ParallelEngine({ workers: pool2 }), /already running/);
  await pe.finish();
  assert.equal(pe.summary().packets, 0);
  // Free again.
  await new ParallelEngine({ workers: pool2 }).finish();
});

test('parallel: plugin modules load in every worker', async () => {
  const mod = join(tmp, 'plugin.mjs');
  // A consumer that follows every flow and adds nothing: it must not change the records.
  writeFileSync(mod, 'export function createConsumers(o) { return [{ name: o.name, open: () => ({}), datagram() {}, close() {} }]; }\n');
  const file = join(NDPI, 'dns.pcap');
  const pe = new ParallelEngine({ workers: pool2, modules: [{ url: mod, options: { name: 'noop' } }] });
  const got: string[] = [];
  pe.on('flow', (r) => got.push(withoutId(r)));
  await readCapture(file, pe);
  const s = await pe.finish();
  assert.ok((s.consumers?.followedFlows ?? 0) > 0, 'the plugin followed flows');
  assert.deepEqual(got.sort(), (await single(file, { parsers: 'none', events: false })).flows);
});

test('parallel: a worker that fails makes the run fail with its reason, and releases the reader', async () => {
  const pe = new ParallelEngine({ workers: 2, modules: [{ url: join(tmp, 'no-such-plugin.mjs') }], ringBytes: 64 << 10 });
  // The reader either stops on the failed worker's full ring or reaches the end.
  const read = await readCapture(join(NDPI, 'netflix.pcap'), pe).then(
    () => null,
    (e: Error) => e,
  );
  if (read !== null) assert.match(read.message, /worker \d stopped/);
  await assert.rejects(pe.finish(), /worker \d failed: .*no-such-plugin/s);
  assert.ok(pe.error !== null);
});
