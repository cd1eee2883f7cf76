/**
 * Test helpers for group C's dissectors: a dissector over crafted payloads (called as the
 * classifier calls it, each payload fenced by guard bytes so a read past `end` shows), random
 * payloads that must not be claimed, and the classifier with chosen dissectors over a capture.
 */
import { CONTINUE, type Dissector, type FlowInfo, MATCH, type Payload, REJECT, SharedStore } from '../dissector.js';
import { classifyCapture, randomPayloads } from './testkit.js';

export { classifyCapture, type NamedFlow, ndpiPcap, randomPayloads, tcpdumpPcap } from './testkit.js';

/** Bytes of a hex string (white space ignored). */
export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Bytes of Latin-1 text. */
export const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Concatenated byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One crafted payload: direction (0 client → server) and bytes (or hex text). */
export type Pkt = readonly [dir: 0 | 1, data: Uint8Array | string];

/** What a dissector made of a crafted flow. */
export interface Verdict {
  /** The name claimed; undefined when rejected or still undecided after the last payload. */
  name: string | undefined;
  /** Whether it rejected the flow. */
  rejected: boolean;
  /** The host name it reported. */
  host: string | undefined;
}

const GUARD = 11;

/** A flow description with defaults filled in (UDP/TCP from the dissector). */
export function flowOf(d: Dissector, f: Partial<FlowInfo>): FlowInfo {
  return {
    transport: f.transport ?? (d.transport === 'tcp' ? 6 : 17),
    ipVersion: f.ipVersion ?? 4,
    clientPort: f.clientPort ?? 40001,
    serverPort: f.serverPort ?? 40002,
    clientAddress: f.clientAddress ?? Uint32Array.of(0x0a000001, 0, 0, 0),
    serverAddress: f.serverAddress ?? Uint32Array.of(0x0a000002, 0, 0, 0),
  };
}

/**
 * Runs `d` over `pkts` the way the classifier does (per-flow state, payload counters, TCP
 * stream offsets). Each payload sits between `guard` bytes, so reading outside it can change
 * the answer; tests run with two different guards.
 */
export function run(d: Dissector, f: Partial<FlowInfo>, pkts: readonly Pkt[], guard = 0x00): Verdict {
  const flow = flowOf(d, f);
  const out: Verdict = { name: undefined, rejected: false, host: undefined };
  if (d.accepts !== undefined && !d.accepts(flow)) {
    out.rejected = true;
    return out;
  }
  const state = d.state?.();
  const packets: [number, number] = [0, 0];
  const stream: [number, number] = [0, 0];
  const store = new SharedStore(); // one flow's dissector memory
  for (const [dir, data] of pkts) {
    const bytes = typeof data === 'string' ? hex(data) : data;
    const buf = new Uint8Array(bytes.length + 2 * GUARD).fill(guard);
    buf.set(bytes, GUARD);
    packets[dir]++;
    const p: Payload = {
      flow,
      dir,
      b: buf,
      off: GUARD,
      end: GUARD + bytes.length,
      index: packets[dir] - 1,
      packets,
      streamOffset: flow.transport === 6 ? stream[dir] : 0,
      tsUs: 0,
      shared: (key, make) => store.get(key, make),
      host(h) {
        if (out.host === undefined && h !== '') out.host = h;
      },
    };
    stream[dir] += bytes.length;
    const v = d.inspect(p, state);
    if (v === CONTINUE) continue;
    if (v === REJECT) out.rejected = true;
    else out.name = v === MATCH ? d.name : (v as string);
    return out;
  }
  return out;
}

/** The name `d` gives a crafted flow, trying two guard fillers (they must agree, else 'GUARD'). */
export function nameOf(d: Dissector, f: Partial<FlowInfo>, pkts: readonly Pkt[]): string | undefined {
  const a = run(d, f, pkts, 0x00).name;
  const b = run(d, f, pkts, 0xff).name;
  return a === b ? a : 'GUARD';
}

/**
 * How many random flows `d` claims (two random payloads, one each way, on `f`'s ports): should be 0.
 * `prefix` is put before each payload, to reach the checks behind a magic number.
 */
export function randomClaims(d: Dissector, f: Partial<FlowInfo>, opts: { seed?: number; n?: number; maxLen?: number; prefix?: Uint8Array } = {}): number {
  const all = randomPayloads(opts.seed ?? 11, 2 * (opts.n ?? 1500), opts.maxLen ?? 200);
  const pre = opts.prefix ?? new Uint8Array(0);
  let claims = 0;
  for (let i = 0; i + 1 < all.length; i += 2) {
    const a = cat(pre, all[i]!);
    const b = cat(pre, all[i + 1]!);
    if (run(d, f, [[0, a], [1, b]]).name !== undefined) claims++;
  }
  return claims;
}

/** Every prefix of `bytes` (shorter than it) as the only payload: the names given. */
export function truncatedNames(d: Dissector, f: Partial<FlowInfo>, before: readonly Pkt[], bytes: Uint8Array, dir: 0 | 1 = 0): Set<string | undefined> {
  const names = new Set<string | undefined>();
  for (let n = 0; n < bytes.length; n++) names.add(nameOf(d, f, [...before, [dir, bytes.subarray(0, n)]]));
  return names;
}

/** Names claimed by DPI in a capture, with counts. */
export async function dpiNames(file: string, dissectors: readonly Dissector[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const f of await classifyCapture(file, dissectors)) if (f.confidence === 'dpi') counts[f.protocol] = (counts[f.protocol] ?? 0) + 1;
  return counts;
}

