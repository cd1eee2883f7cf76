/**
 * The one interface through which everything that wants more than flow counters attaches to
 * the engine: the built-in protocol parsers, later the classifier and user plugins. There is
 * no private back door: a built-in gets exactly what a plugin could.
 *
 * Pay for what is used: `open()` is asked once per new flow; a consumer that returns
 * `undefined` never hears of that flow again. TCP reassembly runs only for flows where some
 * consumer that follows them has a `stream` handler, and stops when all of them are done.
 */

import type { PacketDecoder } from '../decode/decoder.js';
import { ipv4Text, ipv6Text } from '../flow/ip-text.js';

/** An address as `FlowStart` gives it (four big-endian words) in the contract's text form. */
export function addressText(ipVersion: 4 | 6, w: Uint32Array): string {
  return ipVersion === 4 ? ipv4Text(w[0]!) : ipv6Text(w[0]!, w[1]!, w[2]!, w[3]!);
}

/** 0 = client → server, 1 = server → client (the flow record's client and server). */
export type Dir = 0 | 1;

/**
 * What a consumer is told about a new flow. The object is reused for the next flow: read it
 * during `open`, keep the values you need (the `weird` function may be kept).
 */
export interface FlowStart {
  /** The engine's handle of the flow: valid until the flow ends (then reused). */
  readonly flow: number;
  readonly ipVersion: 4 | 6;
  /** IP protocol number (6 TCP, 17 UDP …). */
  readonly protocol: number;
  readonly clientPort: number;
  readonly serverPort: number;
  /**
   * Client and server addresses as four big-endian words (IPv4: word 0, the rest 0); reused for
   * the next flow, copy what you keep. `addressText(start.ipVersion, start.clientAddress)` makes text.
   */
  readonly clientAddress: Uint32Array;
  readonly serverAddress: Uint32Array;
  /** Outer 802.1Q VLAN id, -1 without. */
  readonly vlan: number;
  /** Packet time of the flow's first packet, µs. */
  readonly tsUs: number;
  /** Counts an anomaly by name (Zeek weird style, e.g. `dns_pointer_loop`) in the engine's counters. */
  readonly weird: (name: string) => void;
  /**
   * True when someone listens to transaction events: a parser then reads every transaction
   * of the flow, not only what the record needs.
   */
  readonly events: boolean;
  /** The flow's number: its `flow_id` is the engine's prefix followed by this number. */
  readonly serial: number;
  /**
   * True when someone wants transactions as they happen (plugins): a parser then calls
   * `publish` at each one, not only returns them from `events` at the flow's end.
   */
  readonly live: boolean;
  /** Hands a transaction of flow `flow` (the `flow` handle above) to live listeners, now. */
  readonly publish: (flow: number, event: EventFields) => void;
  /**
   * Announces a flow to come (an FTP data connection, an RTP stream from SDP): when a flow
   * with that endpoint starts before the expectation expires, it is named `name` and linked
   * to flow `flow` (the announcing one).
   */
  readonly expect: (flow: number, expectation: Expectation) => void;
  /** This flow was announced by an earlier flow (see `expect`). */
  readonly expected: ExpectedFlow | undefined;
  /** The flow's first packet, decoded (for filters): valid during `open` only. */
  readonly packet: PacketDecoder;
}

/** A flow announced by another (see `FlowStart.expect`). */
export interface Expectation {
  /** nDPI's name for the flow to come: `FTP_DATA`, `RTP` … */
  readonly name: string;
  /** 6 TCP, 17 UDP. */
  readonly protocol: number;
  /** The address that will be connected to (text); absent: either address of the announcing flow. */
  readonly address?: string;
  /** The port that will be connected to. */
  readonly port: number;
  /** How long the announcement holds, in packet time (µs). Default 120 s. */
  readonly ttlUs?: number;
}

/** What a flow knows of the flow that announced it. */
export interface ExpectedFlow {
  readonly name: string;
  /** `flow_id` of the announcing flow. */
  readonly parentFlowId: string;
}

/**
 * A transaction event (`http`, `dns`, `tls`, `ssh`, `dhcp`, `ntp` …): the engine adds
 * `flow_id` (and `ts`, the flow's last packet time, when the consumer gave none).
 */
export interface EventFields {
  readonly type: string;
  /** Packet time of the transaction, seconds since the epoch. */
  ts?: number;
  [field: string]: unknown;
}

/**
 * Fields a consumer adds to the flow record when the flow ends (the contract's names:
 * `host`, `http`, `tls`, `dns`, later `app`, `risks`, `tags` …). Unknown values stay absent.
 */
export type RecordFields = Partial<Record<(typeof RECORD_EXTRA_KEYS)[number], unknown>>;

/** No fields: what a flow that no consumer followed adds to its record (shared, frozen). */
export const NO_FIELDS: RecordFields = Object.freeze({});

/** Record fields consumers may fill, in the contract's order (the encoder writes them so). */
export const RECORD_EXTRA_KEYS = ['app', 'risks', 'tags', 'process', 'host', 'http', 'tls', 'dns'] as const;

/**
 * A consumer of flows. `S` is its per-flow state: created by `open`, handed back on every
 * call for that flow, dropped after `close`.
 */
export interface Consumer<S = unknown> {
  /** Shown in counters and errors. */
  readonly name: string;
  /**
   * When `open` is asked: at the flow's first packet (`packet`, the default), or at its first
   * payload (`payload`: the first in-order TCP bytes of either direction, or the first non-empty
   * datagram), just before those bytes are handed to `stream` or `datagram`. A parser that
   * recognises its protocol by the first payload opens late and declines with `false` from
   * `stream`/`datagram`: flows that never carry a payload, or carry another protocol, then
   * cost it no state at all. `FlowStart.packet` is then the packet at hand: the one that brought
   * the payload, or, for bytes held out of order and released when the flow ends, the packet the
   * engine was handling then (`tsUs` stays the flow's first packet time); `packet` hooks see
   * packets from then on.
   */
  readonly openAt?: 'packet' | 'payload';
  /**
   * With `openAt: 'payload'`: asked at the flow's first packet. False says `open` would decline
   * the flow whatever its payload (another transport, events not listened to), so the engine
   * does not keep the flow waiting for its payload on this consumer's account. Absent: maybe.
   */
  mayOpen?(flow: FlowStart): boolean;
  /** A new flow: return a state to follow it, or undefined to ignore it. */
  open(flow: FlowStart): S | undefined;
  /**
   * In-order TCP payload bytes of one direction; `b` is only valid during the call. Return
   * `false` to let the flow go at once (its first bytes are not your protocol): the state is
   * dropped, with no `close` or `events` for it, so a flow ruled out early costs no memory to its end.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing must stay valid
  stream?(state: S, dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void | false;
  /** A hole in one direction's TCP stream. */
  gap?(state: S, dir: Dir, bytes: number): void;
  /**
   * Every packet of the flow (before its payload goes to `stream` or `datagram`), decoded;
   * `d` is only valid during the call. Costs nothing for consumers that leave it out.
   */
  packet?(state: S, dir: Dir, d: PacketDecoder, tsUs: number): void;
  /** A UDP (or other non-TCP) payload; `b` is only valid during the call. `false`: as for `stream`. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing must stay valid
  datagram?(state: S, dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void | false;
  /** True when the consumer wants nothing more of this flow (the engine stops feeding it). */
  done?(state: S): boolean;
  /** The flow ended: add record fields. Called for every flow `open` accepted. */
  close?(state: S, fields: RecordFields): void;
  /** The flow ended and events are listened to: the flow's transactions, in order (after `close`). */
  events?(state: S): readonly EventFields[] | undefined;
}
