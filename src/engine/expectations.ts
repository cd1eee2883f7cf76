/**
 * Flows announced by other flows: an FTP control connection's PORT/PASV, a SIP call's SDP
 * media. When a new flow's endpoint matches an announcement that has not expired (packet
 * time), the flow is named by it and linked to the announcing flow. Bounded: beyond
 * `maxEntries` the oldest announcement goes first (counted).
 */
import { parseAddress } from '../flow/ip-text.js';
import type { Expectation, ExpectedFlow } from './consumer.js';

interface Entry extends ExpectedFlow {
  readonly expiresUs: number;
}

/** Default lifetime of an announcement, µs. */
export const DEFAULT_EXPECTATION_TTL_US = 120e6;

export class ExpectationTable {
  private readonly entries = new Map<string, Entry>();
  evictions = 0;
  matched = 0;

  constructor(private readonly maxEntries = 4096) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds an announcement made at packet time `nowUs` by flow `parentFlowId`; without an
   * address, each of `fallback` (the announcing flow's addresses) is announced.
   */
  add(e: Expectation, parentFlowId: string, nowUs: number, fallback: ReadonlyArray<{ version: 4 | 6; words: Uint32Array }>): void {
    const entry: Entry = { name: e.name, parentFlowId, expiresUs: nowUs + (e.ttlUs ?? DEFAULT_EXPECTATION_TTL_US) };
    const addr = e.address !== undefined ? parseAddress(e.address) : undefined;
    if (e.address !== undefined && addr === undefined) return;
    for (const a of addr !== undefined ? [addr] : fallback) {
      const k = key(e.protocol, a.version, a.words, e.port);
      this.entries.delete(k);
      this.entries.set(k, entry);
    }
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
      this.evictions++;
    }
  }

  /** The announcement a new flow answers (its server endpoint first, then its client's), if any. */
  match(protocol: number, version: 4 | 6, server: Uint32Array, serverPort: number, client: Uint32Array, clientPort: number, nowUs: number): ExpectedFlow | undefined {
    if (this.entries.size === 0) return undefined;
    for (const [words, port] of [
      [server, serverPort],
      [client, clientPort],
    ] as const) {
      const k = key(protocol, version, words, port);
      const e = this.entries.get(k);
      if (e === undefined) continue;
      if (e.expiresUs < nowUs) {
        this.entries.delete(k);
        continue;
      }
      this.matched++;
      return { name: e.name, parentFlowId: e.parentFlowId };
    }
    return undefined;
  }
}

function key(protocol: number, version: 4 | 6, w: Uint32Array, port: number): string {
  return version === 4 ? `${protocol}|${w[0]}|${port}` : `${protocol}|${w[0]},${w[1]},${w[2]},${w[3]}|${port}`;
}
