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
  /** IPv4: address → (protocol << 16 | port) → entry; numbers only, no string per new flow. */
  private readonly v4 = new Map<number, Map<number, Entry>>();
  /** IPv6: address words and port as text. */
  private readonly v6 = new Map<string, Entry>();
  /** Keys in insertion order, for eviction of the oldest. */
  private readonly order: Array<[number, number] | string> = [];
  private count = 0;
  evictions = 0;
  matched = 0;

  constructor(private readonly maxEntries = 4096) {}

  get size(): number {
    return this.count;
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
      if (a.version === 4) {
        let m = this.v4.get(a.words[0]!);
        if (m === undefined) this.v4.set(a.words[0]!, (m = new Map()));
        const k = (e.protocol << 16) | e.port;
        if (!m.has(k)) this.count++;
        m.set(k, entry);
        this.order.push([a.words[0]!, k]);
      } else {
        const k = key6(e.protocol, a.words, e.port);
        if (!this.v6.has(k)) this.count++;
        this.v6.set(k, entry);
        this.order.push(k);
      }
    }
    while (this.count > this.maxEntries && this.order.length > 0) {
      if (this.remove(this.order.shift()!)) this.evictions++;
    }
    if (this.order.length > 4 * this.maxEntries) this.order.splice(0, this.order.length - this.maxEntries);
  }

  /** The announcement a new flow answers (its server endpoint first, then its client's), if any. */
  match(protocol: number, version: 4 | 6, server: Uint32Array, serverPort: number, client: Uint32Array, clientPort: number, nowUs: number): ExpectedFlow | undefined {
    if (this.count === 0) return undefined;
    return this.find(protocol, version, server, serverPort, nowUs) ?? this.find(protocol, version, client, clientPort, nowUs);
  }

  private find(protocol: number, version: 4 | 6, words: Uint32Array, port: number, nowUs: number): ExpectedFlow | undefined {
    let e: Entry | undefined;
    let k4 = 0;
    let k6 = '';
    if (version === 4) {
      const m = this.v4.get(words[0]!);
      if (m === undefined) return undefined;
      k4 = (protocol << 16) | port;
      e = m.get(k4);
    } else {
      k6 = key6(protocol, words, port);
      e = this.v6.get(k6);
    }
    if (e === undefined) return undefined;
    if (e.expiresUs < nowUs) {
      this.remove(version === 4 ? [words[0]!, k4] : k6);
      return undefined;
    }
    this.matched++;
    return { name: e.name, parentFlowId: e.parentFlowId };
  }

  private remove(k: [number, number] | string): boolean {
    if (typeof k === 'string') {
      if (!this.v6.delete(k)) return false;
    } else {
      const m = this.v4.get(k[0]);
      if (m === undefined || !m.delete(k[1])) return false;
      if (m.size === 0) this.v4.delete(k[0]);
    }
    this.count--;
    return true;
  }
}

function key6(protocol: number, w: Uint32Array, port: number): string {
  return `${protocol}|${w[0]},${w[1]},${w[2]},${w[3]}|${port}`;
}
