/**
 * The shape of a payload dissector: a small function that looks at the first payloads of a
 * flow and says whether the flow speaks its protocol. The classifier runs every dissector that
 * fits the flow's transport (and whose `first` declaration the flow's first payload meets)
 * over the first packets of each direction, until one claims the flow, all have given up, or
 * the flow's packet budget is spent (then DPI stops and the flow costs nothing more).
 *
 * Dissectors are hostile-input code: they read only within `[off, end)`, never throw on any
 * bytes, and keep no view of `b` past the call.
 */
import type { Dir } from '../engine/consumer.js';

/** Keep asking me about this flow's next payloads. */
export const CONTINUE = 0;
/** This flow is not my protocol: do not ask again. */
export const REJECT = -1;
/** This flow is my protocol (the dissector's own `name`). */
export const MATCH = 1;

/**
 * A dissector's answer: CONTINUE, REJECT, MATCH, or the name of the protocol found when one
 * dissector covers a family (e.g. `"SMBv1"` / `"SMBv23"`) — an nDPI protocol name.
 */
export type Verdict = typeof CONTINUE | typeof REJECT | typeof MATCH | string;

/** What a dissector knows of the flow (the flow record's client and server). */
export interface FlowInfo {
  /** 6 TCP, 17 UDP, other IP protocol numbers for the rest. */
  readonly transport: number;
  readonly ipVersion: 4 | 6;
  readonly clientPort: number;
  readonly serverPort: number;
  /**
   * Four big-endian words each (IPv4 in word 0). Each read refills one array per side, shared
   * by all flows: read them during the call, copy what you keep.
   */
  readonly clientAddress: Uint32Array;
  readonly serverAddress: Uint32Array;
}

/** One payload, as a dissector sees it. The object is reused: read it during the call. */
export interface Payload {
  readonly flow: FlowInfo;
  /** 0 client → server, 1 server → client. */
  readonly dir: Dir;
  readonly b: Uint8Array;
  readonly off: number;
  readonly end: number;
  /** 0 for the first payload of this direction, 1 for the next … */
  readonly index: number;
  /** Payloads seen in each direction so far, this one included. */
  readonly packets: readonly [number, number];
  /** TCP: stream bytes of this direction before `off` (0 for the stream's start); UDP: 0. */
  readonly streamOffset: number;
  /** Packet time, µs. */
  readonly tsUs: number;
  /** Names the flow's host (a NetBIOS name, an SSDP location host …) when no parser named one. */
  host(name: string): void;
  /**
   * Memory the classifier keeps for dissectors across flows (an endpoint cache …), one per
   * classifier, so engines and runs in one process never see each other's: the value under
   * `key` (a module's own token), made by `make` the first time.
   */
  shared<T>(key: SharedKey<T>, make: () => T): T;
}

/** A token naming one kind of {@link Payload.shared} memory (make one per module: `sharedKey<Cache>('calls')`). */
export interface SharedKey<T> {
  readonly name: string;
  /** Type brand only. */
  readonly _type?: T;
}

/** A new {@link SharedKey}. */
export const sharedKey = <T>(name: string): SharedKey<T> => ({ name });

/** The store behind {@link Payload.shared}: one per classifier (or per test run). */
export class SharedStore {
  private readonly values = new Map<SharedKey<unknown>, unknown>();

  get<T>(key: SharedKey<T>, make: () => T): T {
    let v = this.values.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      this.values.set(key, v);
    }
    return v;
  }
}

/**
 * A payload dissector. `S` is its per-flow state (made only for flows it is tried on).
 *
 * @example
 * ```ts
 * export const resp: Dissector = {
 *   name: 'RESP', transport: 'tcp', // Redis
 *   inspect: (p) => (p.b[p.off] === 0x2a && p.end - p.off > 4 ? MATCH : REJECT),
 * };
 * ```
 */
export interface Dissector<S = unknown> {
  /** nDPI's protocol name (see `sonda protocols`). */
  readonly name: string;
  /** Transports tried: `'tcp'`, `'udp'` or `'both'`. */
  readonly transport: 'tcp' | 'udp' | 'both';
  /** Optional cheap pre-check (ports, address family): false = never tried on this flow. */
  accepts?(flow: FlowInfo): boolean;
  /**
   * What the flow's first payload must look like for this dissector not to REJECT it at once
   * (whichever direction it comes from: `index` 0, `streamOffset` 0, fresh state). The classifier
   * checks it with one table lookup for all dissectors; one whose test fails is never called on
   * the flow. Leave it out when the first payload alone cannot rule the protocol out.
   * `dissectors/first-payload.test.ts` checks every built-in declaration against the dissector's own verdicts.
   */
  first?: FirstPayload;
  /** Per-flow state, made when the dissector is first tried on a flow. */
  state?(): S;
  inspect(p: Payload, state: S): Verdict;
}

/** A necessary condition on a flow's first payload (see {@link Dissector.first}). */
export interface FirstPayload {
  /** The byte values it may start with (make it with {@link byteSet}); any when absent. */
  readonly bytes?: readonly number[];
  /** Shorter first payloads are rejected. */
  readonly minLength?: number;
  /**
   * Only flows of this transport are held to it: a dissector for both that waits for more on
   * TCP but decides a datagram at once declares for UDP alone.
   */
  readonly transport?: 'tcp' | 'udp';
  /**
   * Only a first payload sent this way is held to it (0: by the client): a dissector that
   * judges the client's opening but waits when the server speaks first declares `dir: 0`.
   */
  readonly dir?: 0 | 1;
}

/**
 * A set of byte values, sorted: numbers, inclusive `[lo, hi]` ranges and text (each character's
 * code; pass both cases of a word a peer may send in either).
 */
export function byteSet(...parts: ReadonlyArray<number | readonly [number, number] | string>): readonly number[] {
  const set = new Set<number>();
  for (const part of parts) {
    if (typeof part === 'number') set.add(part & 0xff);
    else if (typeof part === 'string') for (let i = 0; i < part.length; i++) set.add(part.charCodeAt(i) & 0xff);
    else for (let v = part[0]; v <= part[1]; v++) set.add(v & 0xff);
  }
  return [...set].sort((a, b) => a - b);
}

/** Reads a big-endian 16-bit value (callers check bounds). */
export const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
/** Reads a big-endian 32-bit value (callers check bounds). */
export const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
/** Reads a little-endian 16-bit value. */
export const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
/** Reads a little-endian 32-bit value. */
export const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** True when `b[off, end)` starts with the ASCII text `s`. */
export function startsWith(b: Uint8Array, off: number, end: number, s: string): boolean {
  if (end - off < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** True when `b[off, end)` starts with `s`, ASCII letters compared case-insensitively. */
export function startsWithNoCase(b: Uint8Array, off: number, end: number, s: string): boolean {
  if (end - off < s.length) return false;
  for (let i = 0; i < s.length; i++) if ((b[off + i]! | 0x20) !== (s.charCodeAt(i) | 0x20)) return false;
  return true;
}

/** Index of the ASCII text `s` in `b[off, end)`, or -1. */
export function indexOf(b: Uint8Array, off: number, end: number, s: string): number {
  const n = s.length;
  if (n === 0) return off;
  const first = s.charCodeAt(0);
  outer: for (let i = off; i + n <= end; i++) {
    if (b[i] !== first) continue;
    for (let j = 1; j < n; j++) if (b[i + j] !== s.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** True when the flow's server or client port is `port`. */
export const onPort = (f: FlowInfo, port: number): boolean => f.serverPort === port || f.clientPort === port;
