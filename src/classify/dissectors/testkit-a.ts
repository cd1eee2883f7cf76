/**
 * Test helpers for group A's dissectors: one dissector over crafted payloads (the classifier's
 * calling convention, with guard bytes around each payload), or the classifier with chosen
 * dissectors over a corpus capture.
 */
import { CONTINUE, type Dissector, type FlowInfo, MATCH, type Payload, REJECT, SharedStore } from '../dissector.js';
import { classifyCapture, randomPayloads } from './testkit.js';

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
  const store = new SharedStore(); // one flow's dissector memory
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
      shared: (key, make) => store.get(key, make),
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

/**
 * How many of `n` random payloads (first payload of a flow, in either direction, on `flow`'s
 * ports) `d` claims: should be 0.
 */
export function noiseClaims(d: Dissector, flow: Partial<FlowInfo>, seed = 7, n = 3000, maxLen = 300): number {
  let claims = 0;
  for (const a of randomPayloads(seed, n, maxLen)) {
    if (nameOf(d, flow, [[0, a]]) !== undefined) claims++;
    if (nameOf(d, flow, [[1, a]]) !== undefined) claims++;
  }
  return claims;
}

/** Flows the dissectors claimed (confidence `dpi`), counted by name. */
export async function dpiCount(file: string, dissectors: readonly Dissector[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const f of await classifyCapture(file, dissectors)) if (f.confidence === 'dpi') counts[f.protocol] = (counts[f.protocol] ?? 0) + 1;
  return counts;
}

export { classifyCapture as classify, classifyRun, type NamedFlow as Named, ndpiPcap as corpus, randomPayloads as noise, tcpdumpPcap as tcpdumpCorpus } from './testkit.js';
