/**
 * Test helpers for group A's dissectors: one dissector over crafted payloads (the classifier's
 * calling convention, with guard bytes around each payload), or the classifier with chosen
 * dissectors over a corpus capture.
 */
import { readCapture } from '../../capture/read-capture.js';
import type { Consumer } from '../../engine/consumer.js';
import { Engine } from '../../engine/engine.js';
import { seededRandom } from '../../testing/random.js';
import { loadCatalog } from '../catalog.js';
import { Classifier } from '../classifier.js';
import { CONTINUE, type Dissector, type FlowInfo, MATCH, type Payload, REJECT } from '../dissector.js';

/** Bytes of a hex string (white space ignored). */
export function hexBytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Bytes of Latin-1 text. */
export function textBytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** A crafted payload: its direction (0 client → server) and bytes (or hex text). */
export type Packet = readonly [dir: 0 | 1, data: Uint8Array | string];

/** What a dissector said of a crafted flow. */
export interface Outcome {
  /** The name claimed, or undefined (rejected, or still undecided after the last payload). */
  name: string | undefined;
  /** The host name it reported, if any. */
  host: string | undefined;
}

const GUARD = 9;

/**
 * A view of `buf` that throws on any read of an index outside `[off, end)`: dissectors may only
 * read their payload. (Slow; for tests.)
 */
function fenced(buf: Uint8Array, off: number, end: number): Uint8Array {
  return new Proxy(buf, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        const i = Number(key);
        if (i < off || i >= end) throw new RangeError(`read of byte ${i} outside [${off}, ${end})`);
        return target[i];
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

/**
 * Runs `d` over `packets` as the classifier does. Each payload sits between guard bytes that
 * look like more valid data (`guard`), so a read outside `[off, end)` changes the answer; with
 * `fence`, such a read throws instead.
 */
export function inspectAll(d: Dissector, flow: Partial<FlowInfo>, packets: readonly Packet[], guard = 0x20, fence = false): Outcome {
  const info: FlowInfo = {
    transport: flow.transport ?? (d.transport === 'tcp' ? 6 : 17),
    ipVersion: flow.ipVersion ?? 4,
    clientPort: flow.clientPort ?? 45678,
    serverPort: flow.serverPort ?? 45679,
    clientAddress: flow.clientAddress ?? Uint32Array.of(0xc0a80102, 0, 0, 0),
    serverAddress: flow.serverAddress ?? Uint32Array.of(0xc0a801ff, 0, 0, 0),
  };
  const out: Outcome = { name: undefined, host: undefined };
  if (d.accepts !== undefined && !d.accepts(info)) return out;
  const state = d.state?.();
  const counts: [number, number] = [0, 0];
  const stream: [number, number] = [0, 0];
  for (const [dir, data] of packets) {
    const bytes = typeof data === 'string' ? hexBytes(data) : data;
    const buf = new Uint8Array(bytes.length + 2 * GUARD).fill(guard);
    buf.set(bytes, GUARD);
    counts[dir]++;
    const p: Payload = {
      flow: info,
      dir,
      b: fence ? fenced(buf, GUARD, GUARD + bytes.length) : buf,
      off: GUARD,
      end: GUARD + bytes.length,
      index: counts[dir] - 1,
      packets: counts,
      streamOffset: info.transport === 6 ? stream[dir] : 0,
      tsUs: 0,
      host: (h) => {
        if (out.host === undefined && h !== '') out.host = h;
      },
    };
    stream[dir] += bytes.length;
    const v = d.inspect(p, state);
    if (v === CONTINUE) continue;
    if (v !== REJECT) out.name = v === MATCH ? d.name : (v as string);
    return out;
  }
  return out;
}

/** The name `d` claims a crafted flow for (see `inspectAll`; reads outside a payload throw). */
export const nameOf = (d: Dissector, flow: Partial<FlowInfo>, packets: readonly Packet[]): string | undefined => inspectAll(d, flow, packets, 0x20, true).name;

/** `n` seeded random payloads of 0..`maxLen` bytes. */
export function noise(seed: number, n: number, maxLen: number): Uint8Array[] {
  const rnd = seededRandom(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = new Uint8Array(Math.floor(rnd() * (maxLen + 1)));
    for (let j = 0; j < a.length; j++) a[j] = Math.floor(rnd() * 256);
    out.push(a);
  }
  return out;
}

/**
 * How many of `n` random payloads (first payload of a flow, in either direction, on `flow`'s
 * ports) `d` claims: should be 0.
 */
export function noiseClaims(d: Dissector, flow: Partial<FlowInfo>, seed = 7, n = 3000, maxLen = 300): number {
  let claims = 0;
  for (const a of noise(seed, n, maxLen)) {
    if (nameOf(d, flow, [[0, a]]) !== undefined) claims++;
    if (nameOf(d, flow, [[1, a]]) !== undefined) claims++;
  }
  return claims;
}

/** A flow of a capture as the classifier named it. */
export interface Named {
  /** `UDP 1.2.3.4:5 > 6.7.8.9:10`, client first. */
  flow: string;
  protocol: string;
  confidence: string;
  host: string | undefined;
}

/** Runs the classifier with only `dissectors` (and the built-in catalog) over a capture. */
export async function classify(file: string, dissectors: readonly Dissector[]): Promise<Named[]> {
  return (await classifyRun(file, dissectors)).flows;
}

/** `classify`, and how many times a consumer threw (the engine catches and counts it). */
export async function classifyRun(file: string, dissectors: readonly Dissector[]): Promise<{ flows: Named[]; errors: number }> {
  const classifier = new Classifier({ catalog: loadCatalog(), dissectors, risks: false });
  const engine = new Engine({ consumers: [classifier.consumer as Consumer] });
  const out: Named[] = [];
  engine.on('flow', (rec) => {
    out.push({
      flow: `${rec.protocol} ${rec.client.ip}:${rec.client.port} > ${rec.server.ip}:${rec.server.port}`,
      protocol: rec.app?.protocol ?? 'Unknown',
      confidence: rec.app?.confidence ?? 'unknown',
      host: rec.host,
    });
  });
  await readCapture(file, engine);
  engine.finish();
  return { flows: out, errors: engine.summary().consumers?.errors ?? 0 };
}

/** Flows the dissectors claimed (confidence `dpi`), counted by name. */
export async function dpiCount(file: string, dissectors: readonly Dissector[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const f of await classify(file, dissectors)) if (f.confidence === 'dpi') counts[f.protocol] = (counts[f.protocol] ?? 0) + 1;
  return counts;
}

/** A capture of the nDPI corpus (tests run with cwd /work/main). */
export const corpus = (name: string): string => `../shared/corpus/ndpi/pcap/${name}`;

/** A capture of the tcpdump corpus. */
export const tcpdumpCorpus = (name: string): string => `../shared/corpus/tcpdump/${name}`;
