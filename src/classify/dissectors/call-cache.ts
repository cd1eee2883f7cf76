/**
 * Endpoints known to belong to a call application, shared across flows: once a STUN exchange
 * with Telegram's relay names the client's (address, port) `TelegramVoip`, the direct
 * peer-to-peer flow that client opens from the same port is that call too — and so is a peer
 * named in a TURN permission. nDPI keeps the same kind of cache.
 *
 * Bounded (oldest entry dropped first) and aged on packet time, so it never grows with traffic
 * and an old capture's endpoints do not name a later one's flows.
 */
import { type Payload, sharedKey } from '../dissector.js';
import type { CallApp } from './call-nets.js';

/** How long an endpoint stays known, µs of packet time. */
const TTL_US = 600e6;

/** Endpoint → (application, packet time of the last sighting). */
export class CallEndpointCache {
  private readonly map = new Map<number | string, { app: CallApp; tsUs: number }>();

  constructor(private readonly max = 4096) {}

  /** The key of an endpoint: a number for IPv4, text for IPv6. */
  static key(ipVersion: 4 | 6, addr: Uint32Array | readonly number[], port: number): number | string {
    if (ipVersion === 4) return addr[0]! * 65536 + port;
    return `${addr[0]}:${addr[1]}:${addr[2]}:${addr[3]}/${port}`;
  }

  get(key: number | string, tsUs: number): CallApp | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (Math.abs(tsUs - e.tsUs) > TTL_US) {
      this.map.delete(key);
      return undefined;
    }
    return e.app;
  }

  set(key: number | string, app: CallApp, tsUs: number): void {
    if (this.map.has(key)) this.map.delete(key); // re-insert: newest last
    else if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { app, tsUs });
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}

/** Where a classifier keeps its call endpoints (see `Payload.shared`). */
export const CALL_ENDPOINTS = sharedKey<CallEndpointCache>('call-endpoints');

/** The call endpoints of the classifier running `p`. */
export const callEndpointsOf = (p: Payload): CallEndpointCache => p.shared(CALL_ENDPOINTS, () => new CallEndpointCache());
