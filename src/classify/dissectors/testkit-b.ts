/**
 * Test helpers for group B's dissectors: run one dissector over crafted payloads the way the
 * classifier does, or the classifier with chosen dissectors over a corpus capture.
 */
import { readCapture } from '../../capture/read-capture.js';
import type { Consumer, FlowStart } from '../../engine/consumer.js';
import { Engine } from '../../engine/engine.js';
import { seededRandom } from '../../testing/random.js';
import { CONTINUE, type Dissector, type FlowInfo, MATCH, type Payload, REJECT, SharedStore } from '../dissector.js';
import { classifyCapture, randomPayloads } from './testkit.js';

export { classifyCapture, type NamedFlow, ndpiPcap, randomPayloads } from './testkit.js';

/** One crafted payload: direction (0 client → server) and bytes (hex text or bytes). */
export interface TestPayload {
  dir: 0 | 1;
  data: string | Uint8Array;
}

/** Bytes of a hex string (spaces ignored). */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** Bytes of ASCII text. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/**
 * Runs `d` over `payloads` as the classifier would (each payload placed at an odd offset in a
 * larger buffer, so reads outside `[off, end)` show up as a different answer): the name it
 * claims the flow for, or undefined when it rejects or never decides. Flows given one `store`
 * share the dissector's memory across flows, as in one classifier.
 */
export function verdictOf(d: Dissector, flow: Partial<FlowInfo>, payloads: readonly TestPayload[], onHost?: (name: string) => void, store = new SharedStore()): string | undefined {
  const info: FlowInfo = {
    transport: flow.transport ?? (d.transport === 'tcp' ? 6 : 17),
    ipVersion: flow.ipVersion ?? 4,
    clientPort: flow.clientPort ?? 40000,
    serverPort: flow.serverPort ?? 40001,
    clientAddress: flow.clientAddress ?? Uint32Array.of(0xc0a80001, 0, 0, 0),
    serverAddress: flow.serverAddress ?? Uint32Array.of(0x08080808, 0, 0, 0),
  };
  if (d.accepts !== undefined && !d.accepts(info)) return undefined;
  const state = d.state?.();
  const packets: [number, number] = [0, 0];
  const stream: [number, number] = [0, 0];
  for (const pl of payloads) {
    const bytes = typeof pl.data === 'string' ? hex(pl.data) : pl.data;
    // Surround the payload with bytes that would look valid to a reader that strays.
    const buf = new Uint8Array(bytes.length + 14).fill(0x5a);
    buf.set(bytes, 7);
    const p: Payload = {
      flow: info,
      dir: pl.dir,
      b: buf,
      off: 7,
      end: 7 + bytes.length,
      index: packets[pl.dir],
      packets,
      streamOffset: info.transport === 6 ? stream[pl.dir] : 0,
      tsUs: 0,
      shared: (key, make) => store.get(key, make),
      host: (name) => onHost?.(name),
    };
    packets[pl.dir]++;
    stream[pl.dir] += bytes.length;
    const v = d.inspect(p, state);
    if (v === CONTINUE) continue;
    if (v === REJECT) return undefined;
    return v === MATCH ? d.name : (v as string);
  }
  return undefined;
}

/** The host name `d` reports for a flow of `payloads`, if any. */
export function hostOf(d: Dissector, flow: Partial<FlowInfo>, payloads: readonly TestPayload[]): string | undefined {
  let host: string | undefined;
  verdictOf(d, flow, payloads, (name) => {
    host ??= name;
  });
  return host;
}

/**
 * Flows of a capture that `dissectors` claimed, counted by name (the names a dissector may
 * return besides its own: `extra`).
 */
export async function dpiCounts(file: string, dissectors: readonly Dissector[], extra: readonly string[] = []): Promise<Record<string, number>> {
  const names = new Set([...dissectors.map((d) => d.name), ...extra]);
  const counts: Record<string, number> = {};
  for (const f of await classifyCapture(file, dissectors)) {
    if (f.confidence !== 'dpi' || !names.has(f.protocol.split('.')[0]!)) continue;
    counts[f.protocol] = (counts[f.protocol] ?? 0) + 1;
  }
  return counts;
}


/**
 * How many of `n` random payload sequences (1-4 payloads of up to `maxLen` bytes, directions
 * alternating) `d` claims on `flow`. Dissectors must claim none.
 */
export function randomClaims(d: Dissector, flow: Partial<FlowInfo>, seed: number, n = 2000, maxLen = 200): number {
  const rnd = seededRandom(seed);
  let claims = 0;
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rnd() * 4);
    const seq: TestPayload[] = randomPayloads(seed * 7919 + i, k, maxLen).map((data, j) => ({ dir: (j % 2) as 0 | 1, data }));
    if (verdictOf(d, flow, seq) !== undefined) claims++;
  }
  return claims;
}

/** Every strict prefix of `data` (as the only payload): the names `d` gave, if any. */
export function prefixClaims(d: Dissector, flow: Partial<FlowInfo>, data: Uint8Array, dir: 0 | 1 = 0): number[] {
  const out: number[] = [];
  for (let k = 0; k < data.length; k++) if (verdictOf(d, flow, [{ dir, data: data.subarray(0, k) }]) !== undefined) out.push(k);
  return out;
}

/** The first payloads of the first flow of a capture that `match` picks (client → server is dir 0). */
export async function flowPayloads(file: string, match: (f: FlowStart) => boolean, max = 8): Promise<TestPayload[]> {
  const out: TestPayload[] = [];
  let taken = false;
  const keep = (dir: 0 | 1, b: Uint8Array, off: number, end: number): void => {
    if (out.length < max) out.push({ dir, data: b.slice(off, end) });
  };
  const probe: Consumer<true> = {
    name: 'probe',
    open(s) {
      if (taken || !match(s)) return undefined;
      taken = true;
      return true;
    },
    datagram: (_st, dir, b, off, end) => keep(dir, b, off, end),
    stream: (_st, dir, b, off, end) => keep(dir, b, off, end),
    done: () => out.length >= max,
  };
  const engine = new Engine({ consumers: [probe as Consumer] });
  await readCapture(file, engine);
  engine.finish();
  return out;
}
