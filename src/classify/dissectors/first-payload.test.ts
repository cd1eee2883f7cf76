/**
 * Every dissector's `first` declaration against the dissector itself: the classifier skips a
 * dissector whose `first` a flow's first payload fails, so each declaration must be a promise
 * the dissector keeps — on such a payload its `inspect` says REJECT. Checked on the first
 * payloads of every flow of both corpora (either direction), on seeded random payloads, and on
 * payloads the dissector did not reject with their first byte swapped for each excluded value
 * or cut below the minimum length.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { readCapture } from '../../capture/read-capture.js';
import type { Consumer, Dir } from '../../engine/consumer.js';
import { Engine } from '../../engine/engine.js';
import { loadCatalog } from '../catalog.js';
import { Classifier } from '../classifier.js';
import { type Dissector, type FlowInfo, MATCH, type Payload, REJECT, SharedStore } from '../dissector.js';
import { DISSECTORS } from '../index.js';
import { randomPayloads } from './testkit.js';

/** A flow's first payload in one direction, with what a dissector sees of the flow. */
interface FirstPayloadSample {
  flow: FlowInfo;
  dir: Dir;
  bytes: Uint8Array;
  where: string;
}

const CORPORA = ['../shared/corpus/ndpi/pcap', '../shared/corpus/tcpdump'];
/** Bytes kept of each payload (dissectors decide on far less). */
const KEEP = 4096;

async function firstPayloads(): Promise<FirstPayloadSample[]> {
  const out: FirstPayloadSample[] = [];
  for (const dir of CORPORA) {
    for (const name of readdirSync(dir).filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f))) {
      const grab: Consumer<{ flow: FlowInfo; seen: [boolean, boolean] }> = {
        name: 'first-payloads',
        open: (s) => ({
          flow: {
            transport: s.protocol,
            ipVersion: s.ipVersion,
            clientPort: s.clientPort,
            serverPort: s.serverPort,
            clientAddress: Uint32Array.from(s.clientAddress),
            serverAddress: Uint32Array.from(s.serverAddress),
          },
          seen: [false, false],
        }),
        datagram: (st, d, b, off, end) => take(st, d, b, off, end),
        stream: (st, d, b, off, end) => take(st, d, b, off, end),
        done: (st) => st.seen[0] && st.seen[1],
        close: () => undefined,
      };
      const take = (st: { flow: FlowInfo; seen: [boolean, boolean] }, d: Dir, b: Uint8Array, off: number, end: number): void => {
        if (st.seen[d] || end <= off) return;
        st.seen[d] = true;
        out.push({ flow: st.flow, dir: d, bytes: b.slice(off, Math.min(end, off + KEEP)), where: name });
      };
      const engine = new Engine({ consumers: [grab as Consumer] });
      await readCapture(`${dir}/${name}`, engine).catch(() => undefined);
      engine.finish();
    }
  }
  return out;
}

/** The dissector's verdict on `bytes` as a flow's first payload in direction `dir`. */
function firstVerdict(d: Dissector, flow: FlowInfo, dir: Dir, bytes: Uint8Array): ReturnType<Dissector['inspect']> {
  const packets: [number, number] = [0, 0];
  packets[dir] = 1;
  const store = new SharedStore();
  const p: Payload = {
    flow,
    dir,
    b: bytes,
    off: 0,
    end: bytes.length,
    index: 0,
    packets,
    streamOffset: 0,
    tsUs: 1_700_000_000_000_000,
    host: () => undefined,
    shared: (key, make) => store.get(key, make),
  };
  return d.inspect(p, d.state?.());
}

/** Whether the declaration holds this first payload to anything (it may be for one transport or one direction). */
const bound = (d: Dissector, flow: FlowInfo, dir: Dir): boolean =>
  (d.first!.transport === undefined || (d.first!.transport === 'tcp') === (flow.transport === 6)) && (d.first!.dir === undefined || d.first!.dir === dir);

function passes(d: Dissector, bytes: Uint8Array): boolean {
  const f = d.first!;
  if (f.minLength !== undefined && bytes.length < f.minLength) return false;
  return f.bytes === undefined || bytes.length === 0 || f.bytes.includes(bytes[0]!);
}

const fits = (d: Dissector, flow: FlowInfo): boolean =>
  (d.transport === 'both' || (d.transport === 'tcp') === (flow.transport === 6)) && (flow.transport === 6 || flow.transport === 17) && (d.accepts === undefined || d.accepts(flow));

const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 24)).toString('hex');

test('every `first` declaration holds: a first payload that fails it is rejected', async () => {
  const samples = await firstPayloads();
  assert.ok(samples.length > 3000, `only ${samples.length} first payloads in the corpora`);
  for (const [i, bytes] of randomPayloads(0x5eed, 400, 200).entries()) {
    const port = 1024 + i;
    const base = { ipVersion: 4 as const, clientPort: 50000 + i, serverPort: port, clientAddress: Uint32Array.of(0x0a000001, 0, 0, 0), serverAddress: Uint32Array.of(0x0a000002, 0, 0, 0) };
    samples.push({ flow: { ...base, transport: 6 }, dir: (i & 1) as Dir, bytes, where: 'random' });
    samples.push({ flow: { ...base, transport: 17 }, dir: (i & 1) as Dir, bytes, where: 'random' });
  }
  const declared = DISSECTORS.filter((d) => d.first !== undefined);
  const broken: string[] = [];
  for (const d of declared) {
    const kept: FirstPayloadSample[] = [];
    for (const s of samples) {
      if (!fits(d, s.flow) || !bound(d, s.flow, s.dir)) continue;
      const v = firstVerdict(d, s.flow, s.dir, s.bytes);
      if (!passes(d, s.bytes)) {
        if (v !== REJECT) broken.push(`${d.name}: ${v === MATCH ? 'MATCH' : String(v)} on ${s.where} dir ${s.dir} ${hex(s.bytes)}`);
      } else if (v !== REJECT && kept.length < 200) kept.push(s);
    }
    // What it did not reject, with only the first byte or the length changed, it must reject.
    const excluded = d.first!.bytes === undefined ? [] : Array.from({ length: 256 }, (_, v) => v).filter((v) => !d.first!.bytes!.includes(v));
    for (const s of kept) {
      const copy = s.bytes.slice();
      for (const v of excluded) {
        copy[0] = v;
        const verdict = firstVerdict(d, s.flow, s.dir, copy);
        if (verdict !== REJECT) broken.push(`${d.name}: first byte ${v} of ${s.where} dir ${s.dir} ${hex(copy)} not rejected`);
      }
      for (let n = 0; n < Math.min(d.first!.minLength ?? 0, s.bytes.length); n++) {
        if (firstVerdict(d, s.flow, s.dir, s.bytes.subarray(0, n)) !== REJECT) broken.push(`${d.name}: ${n}-byte cut of ${s.where} dir ${s.dir} not rejected`);
      }
    }
  }
  assert.deepEqual(broken.slice(0, 30), [], `${broken.length} broken promises`);
});

/** One crafted flow for the classifier: its transport, ports, and the direction and bytes of its first payload. */
interface CraftedFlow {
  protocol: 6 | 17;
  clientPort: number;
  serverPort: number;
  dir: Dir;
  bytes: readonly number[];
}

/** Runs a classifier with `probe` alone over crafted flows (one payload each); the names it gave them. */
function classifyCrafted(probe: Dissector, flows: readonly CraftedFlow[]): string[] {
  const c = new Classifier({ catalog: loadCatalog(), dissectors: [probe], risks: false }).consumer;
  return flows.map((f) => {
    const start = { protocol: f.protocol, ipVersion: 4, clientAddress: Uint32Array.of(0x0a000001, 0, 0, 0), serverAddress: Uint32Array.of(0x0a000002, 0, 0, 0), clientPort: f.clientPort, serverPort: f.serverPort, tsUs: 0 };
    const st = c.open(start as never)!;
    const b = Uint8Array.from(f.bytes);
    if (f.protocol === 6) c.stream?.(st, f.dir, b, 0, b.length, 0);
    else c.datagram?.(st, f.dir, b, 0, b.length, 0);
    const fields: Record<string, unknown> = {};
    c.close?.(st, fields as never);
    return (fields.app as { protocol: string }).protocol;
  });
}

test('the classifier never calls a dissector on a flow whose first payload fails its `first`', () => {
  const calls: number[] = [];
  const probe: Dissector = {
    name: 'Probe',
    transport: 'udp',
    first: { bytes: [0x42], minLength: 4 },
    inspect: (p) => {
      calls.push(p.b[p.off]!);
      return p.b[p.off] === 0x42 && p.end - p.off >= 4 ? MATCH : REJECT;
    },
  };
  const names = classifyCrafted(probe, [
    { protocol: 17, clientPort: 40000, serverPort: 7001, dir: 0, bytes: [0x41, 1, 2, 3] },
    { protocol: 17, clientPort: 40000, serverPort: 7002, dir: 0, bytes: [0x42, 1] },
    { protocol: 17, clientPort: 40000, serverPort: 7003, dir: 0, bytes: [0x42, 1, 2, 3] },
  ]);
  assert.deepEqual(calls, [0x42], 'called only on the flow whose first payload passes');
  assert.equal(names[2], 'Probe');
  assert.notEqual(names[0], 'Probe');
  assert.notEqual(names[1], 'Probe');
});

test('a `first` declared for one transport leaves the other transport\'s flows alone', () => {
  const seen: number[] = [];
  const probe: Dissector = {
    name: 'Probe',
    transport: 'both',
    first: { transport: 'udp', bytes: [0x42] },
    inspect: (p) => {
      seen.push(p.flow.transport);
      return REJECT;
    },
  };
  classifyCrafted(probe, [
    { protocol: 6, clientPort: 40000, serverPort: 7001, dir: 0, bytes: [0x41, 1, 2, 3] },
    { protocol: 17, clientPort: 40000, serverPort: 7001, dir: 0, bytes: [0x41, 1, 2, 3] },
  ]);
  assert.deepEqual(seen, [6], 'tried on the TCP flow only');
});

test('a `first` declared for the client\'s opening leaves a flow whose server speaks first alone', () => {
  const seen: Dir[] = [];
  const probe: Dissector = {
    name: 'Probe',
    transport: 'udp',
    first: { dir: 0, bytes: [0x42] },
    inspect: (p) => {
      seen.push(p.dir);
      return REJECT;
    },
  };
  classifyCrafted(probe, [
    { protocol: 17, clientPort: 40000, serverPort: 7001, dir: 0, bytes: [0x41, 1, 2, 3] },
    { protocol: 17, clientPort: 40001, serverPort: 7001, dir: 1, bytes: [0x41, 1, 2, 3] },
  ]);
  assert.deepEqual(seen, [1], 'tried on the flow whose first payload came from the server only');
});
