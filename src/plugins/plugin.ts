/**
 * The plugin SDK's types: what a plugin declares and what it is handed. A plugin is a plain
 * object (use `definePlugin` for type inference) exported as the default export of a module
 * that `sonda run my-plugin.ts` loads — TypeScript directly, no build step.
 *
 * A plugin receives only what it asked for, for the flows it selected: packets, reassembled
 * stream data, or parsed messages (an HTTP transaction, a DNS answer …), and flow ends with
 * the flow record. The engine pays for nothing no plugin asked for.
 */
import type { Dissector } from '../classify/dissector.js';
import type { EventRecord } from '../engine/engine.js';
import type { FlowRecord, FlowUpdate } from '../flow/record.js';

/** 0 = client → server, 1 = server → client. */
export type Direction = 0 | 1;

/**
 * What a plugin receives of a flow's bytes, switchable per flow at any time:
 * `'none'` (messages and flow ends only), `'packets'` (every packet, see `PacketInfo`),
 * `'client'` / `'server'` (reassembled stream data of that side: what the client sent …),
 * `'both'` (both sides' stream data).
 */
export type DeliveryMode = 'none' | 'packets' | 'client' | 'server' | 'both';

/** Alert severities, most urgent first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** An alert as printed (`type: "alert"`). */
export interface AlertRecord {
  type: 'alert';
  /** Packet time, seconds since the epoch. */
  ts: number;
  severity: Severity;
  /** The flow it is about (absent for run-level alerts). */
  flow_id?: string;
  message: string;
  plugin: string;
  [extra: string]: unknown;
}

/** An endpoint of a flow, as text. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** What a plugin knows of a flow when it starts (made only for flows the plugin follows). */
export interface FlowInfo {
  /** The flow record's `flow_id`. */
  readonly id: string;
  readonly ipVersion: 4 | 6;
  /** `"TCP"`, `"UDP"` … as in the flow record. */
  readonly protocol: string;
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Outer VLAN id, -1 without. */
  readonly vlan: number;
  /** Packet time of the first packet, seconds. */
  readonly firstSeen: number;
  /** The name the flow was announced under by another flow (FTP_DATA, RTP), with that flow's id. */
  readonly expected?: { readonly name: string; readonly parentFlowId: string };
}

/** One packet of a flow (delivery mode `'packets'`). The object is reused: read it during the call. */
export interface PacketInfo {
  readonly dir: Direction;
  /** Packet time, seconds. */
  readonly ts: number;
  /** Wire length of the frame. */
  readonly length: number;
  /** The transport payload (a view: copy what you keep). */
  readonly payload: Uint8Array;
  /** TCP flags byte (0 for other transports). */
  readonly tcpFlags: number;
  readonly ttl: number;
}

/** A content rule's match on a flow. */
export interface ContentMatch {
  readonly sid: number;
  readonly msg: string;
  readonly dir: Direction;
  /** Stream (or payload) offset just past the match. */
  readonly offset: number;
}

/** The run-level services a plugin can use at any time. */
export interface PluginContext {
  /** The plugin's name. */
  readonly name: string;
  /** Raises an alert not tied to a flow. */
  alert(message: string, severity?: Severity, extra?: Record<string, unknown>): void;
  /** Adds `n` (default 1) to the plugin's counter `name` (shown in the summary). */
  count(name: string, n?: number): void;
  /** The rule table shared by all plugins (see `RuleSpec`). */
  readonly rules: PluginRules;
  /** Packet time of the latest packet seen, seconds. */
  readonly now: number;
}

/**
 * A rule in the PF_RING style: exact 5-tuples are looked up in a hash, wildcards by priority.
 * Matched when a flow starts (its first packet, client → server; `symmetric` also matches the
 * reverse). `action`: `pass` (no further rule), `drop` (no plugin sees the flow), `tag` (adds
 * `tag` to the record), `plugin` (hands the flow to `plugin` even if its selection would not).
 */
export interface RuleSpec {
  action: 'pass' | 'drop' | 'tag' | 'plugin';
  tag?: string;
  plugin?: string;
  /** `'tcp'`, `'udp'`, or an IP protocol number. */
  protocol?: string | number;
  /** Client (source) network or address; `'any'` or absent: any. */
  src?: string;
  dst?: string;
  srcPort?: number | { lo: number; hi: number };
  dstPort?: number | { lo: number; hi: number };
  vlan?: number;
  symmetric?: boolean;
  priority?: number;
  /** Lifetime from now, in packet time (seconds): the rule is gone afterwards. */
  ttl?: number;
  /** Removed after its first match. */
  once?: boolean;
}

/** Adding and removing rules at run time. */
export interface PluginRules {
  /** Adds a rule (text in rule-table syntax, or a `RuleSpec`); returns its id (-1: table full). */
  add(rule: RuleSpec | string): number;
  remove(id: number): boolean;
}

/** A flow as a plugin handles it: its info, its per-flow state, and what it can do with it. */
export interface PluginFlow<F = unknown, S = unknown> {
  readonly info: FlowInfo;
  /** The plugin's per-flow state (from `flowState`), released when the flow ends. */
  state: F;
  /** The flow's session, once it joined one (see `PluginSessions`). */
  readonly session: PluginSession<S> | undefined;
  /** Adds a label to the flow record's `tags`. */
  tag(label: string): void;
  /** Raises an alert about this flow. */
  alert(message: string, severity?: Severity, extra?: Record<string, unknown>): void;
  /** Changes what this plugin receives of this flow from now on. */
  deliver(mode: DeliveryMode): void;
  /** This plugin wants nothing more of this flow: no more callbacks; the engine stops paying for it. */
  done(): void;
  /** Joins the session with this key (see `PluginSessions`); without `sessions`, ignored. */
  join(key: string): void;
}

/** A logical session: flows grouped by a key a plugin computes. */
export interface PluginSession<S> {
  readonly key: string;
  state: S;
  /** Ids of the flows that joined, in join order. */
  readonly flows: readonly string[];
  /** Packet time of the first and latest activity, seconds. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/**
 * Sessions: flows grouped by a key (an HTTP cookie, a user name). A flow joins by
 * `flow.join(key)` or by `key` returning one; a session ends `timeout` seconds (packet time)
 * after the last of its flows ended, or at the end of input.
 */
export interface PluginSessions<S, F = unknown> {
  /** Asked at flow start and at each message until the flow joined: the session key, if any. */
  key?(flow: PluginFlow<F, S>, message?: EventRecord): string | undefined;
  /** Seconds after the last flow ended. Default 60. */
  timeout?: number;
  /** Makes a new session's state. */
  state(key: string): S;
  /** The session ended. */
  onEnd?(session: PluginSession<S>, ctx: PluginContext): void;
}

/** What a plugin selects: flows must pass every given part. */
export interface PluginSelect {
  /** tcpdump filter syntax, checked on the flow's first packet (and on every delivered packet). */
  filter?: string;
  /** Either endpoint's port is one of these. */
  ports?: readonly number[];
  /** Either endpoint's address is in one of these networks (CIDR). */
  networks?: readonly string[];
  /** Transport: `'tcp'`, `'udp'` … */
  transports?: readonly string[];
}

/**
 * A plugin. `F` is its per-flow state, `S` its session state. Every callback is optional; an
 * exception thrown by one is caught, counted under the plugin's name and reported, and never
 * stops the engine or other plugins (the plugin stops receiving that flow).
 */
export interface Plugin<F = unknown, S = unknown> {
  /** Shown in alerts, counters and errors. */
  readonly name: string;
  /** Which flows (default: all). */
  readonly select?: PluginSelect;
  /** What each new flow delivers (default `'none'`); change per flow with `flow.deliver`. */
  readonly deliver?: DeliveryMode;
  /** Parsed messages wanted: types (`'http'`, `'dns'`, `'tls'`, `'ftp_command'`, `'sip'` …) or `'all'`. */
  readonly messages?: readonly string[] | 'all';
  /** Snort-style content rules searched over the selected flows' data (see docs/plugins.md). */
  readonly content?: readonly string[];
  /**
   * Applications this plugin teaches the classifier, in Sonda's protocol-file format (as
   * `--protos` files: `[Name]` blocks with category, hosts, nets, tcp/udp ports). They come after
   * the built-in ones (and win over them) and before `--protos` files.
   */
  readonly protocols?: string;
  /**
   * Payload dissectors of the plugin's own protocols, tried before the built-in ones (name each
   * after a `[Name]` of `protocols` to give it a category). See the `Dissector` interface.
   */
  readonly dissectors?: readonly Dissector[];
  /** Per-flow state constructor (default: `undefined`). */
  flowState?(info: FlowInfo): F;
  /** Seconds of packet time between two `onFlowUpdate` calls of one flow (default 60). */
  readonly updateInterval?: number;
  sessions?: PluginSessions<S, F>;
  onStart?(ctx: PluginContext): void;
  onFlowStart?(flow: PluginFlow<F, S>, ctx: PluginContext): void;
  onPacket?(flow: PluginFlow<F, S>, packet: PacketInfo, ctx: PluginContext): void;
  /** Reassembled stream data (TCP) or a datagram (UDP) of one side, per the delivery mode; a view: copy what you keep. */
  onData?(flow: PluginFlow<F, S>, dir: Direction, data: Uint8Array, ctx: PluginContext): void;
  /** A hole in the stream of one side. */
  onGap?(flow: PluginFlow<F, S>, dir: Direction, bytes: number, ctx: PluginContext): void;
  onMessage?(flow: PluginFlow<F, S>, message: EventRecord, ctx: PluginContext): void;
  onContent?(flow: PluginFlow<F, S>, match: ContentMatch, ctx: PluginContext): void;
  /**
   * A followed flow is still going: its counters so far, at most once per `updateInterval` of
   * packet time, on one of its packets (a flow with no packet in the interval gets none).
   */
  onFlowUpdate?(flow: PluginFlow<F, S>, update: FlowUpdate, ctx: PluginContext): void;
  /** The flow ended: its record (tags set now no longer reach it). */
  onFlowEnd?(flow: PluginFlow<F, S>, record: FlowRecord, ctx: PluginContext): void;
  /** End of input, after every flow and session ended. */
  onFinish?(ctx: PluginContext): void;
}

/** Identity function that gives a plugin object its types. */
export function definePlugin<F = undefined, S = undefined>(plugin: Plugin<F, S>): Plugin<F, S> {
  return plugin;
}
