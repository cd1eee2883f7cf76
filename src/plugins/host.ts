/**
 * Runs plugins on an engine: each plugin becomes one consumer of the engine (so it is asked
 * about each new flow and fed only what it follows), plus the engine's message, event and
 * flow listeners for parsed messages and flow ends. Every call into a plugin is guarded: an
 * exception is counted and reported under the plugin's name, and that plugin stops receiving
 * that flow; the engine and the other plugins go on.
 */
import type { Dissector } from '../classify/dissector.js';
import { type ProtocolEntry, parseProtocolFile } from '../classify/protocol-file.js';
import type { PacketDecoder } from '../decode/decoder.js';
import type { Consumer, Dir, FlowStart, RecordFields } from '../engine/consumer.js';
import { addressText } from '../engine/consumer.js';
import type { Engine, EventRecord } from '../engine/engine.js';
import { compileFilter, type PacketFilter } from '../filter/index.js';
import type { FlowRecord, FlowUpdate } from '../flow/record.js';
import { type Cidr, parseCidr, type Rule, RuleTable, RuleTuple } from '../rules/index.js';
import { parseRule } from '../rules/rule-text.js';
import { SondaError } from '../errors.js';
import type {
  AlertRecord,
  ContentMatch,
  DeliveryMode,
  FlowInfo,
  PacketInfo,
  Plugin,
  PluginContext,
  PluginFlow,
  PluginRules,
  PluginSession,
  RuleSpec,
  Severity,
} from './plugin.js';
import { type ContentScanner, makeContentScanner } from './content.js';

/** Message types the parsers publish as they happen; the others reach plugins at the flow's end. */
const LIVE_TYPES = new Set(['http', 'dns', 'ftp_command', 'sip']);

const L4_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP', 47: 'GRE' };

/** Per-plugin counters, for the summary. */
export interface PluginStats {
  flows: number;
  alerts: number;
  errors: number;
  /** The first few error messages (callback: message). */
  errorMessages: string[];
  counters: Record<string, number>;
  sessions: number;
}

/** Options of a plugin host. */
export interface PluginHostOptions {
  /** The engine's flow id prefix (workers). */
  flowIdPrefix?: string;
}

const MAX_ERROR_MESSAGES = 5;

/** One plugin's runtime: its context, stats, selection and flows. */
class Runtime implements PluginContext {
  readonly stats: PluginStats = { flows: 0, alerts: 0, errors: 0, errorMessages: [], counters: {}, sessions: 0 };
  readonly live = new Map<number, FlowHandle>();
  readonly filter: PacketFilter | null;
  readonly networks: Cidr[];
  readonly ports: Set<number> | null;
  readonly transports: Set<number> | null;
  readonly messageTypes: Set<string> | 'all' | null;
  readonly content: ContentScanner | null;
  readonly sessions = new Map<string, SessionImpl>();
  readonly name: string;

  constructor(
    readonly plugin: Plugin,
    readonly host: PluginHost,
    /** Position among the host's plugins. */
    readonly index: number,
  ) {
    this.name = plugin.name;
    const sel = plugin.select ?? {};
    this.filter = sel.filter !== undefined && sel.filter.trim() !== '' ? compileFilter(sel.filter) : null;
    this.networks = (sel.networks ?? []).map((n) => {
      const c = parseCidr(n);
      if (c === undefined) throw new SondaError('SONDA_E_BAD_PLUGIN', `plugin ${plugin.name}: select.networks: not a network: ${n}`);
      return c;
    });
    this.ports = sel.ports !== undefined ? new Set(sel.ports) : null;
    this.transports = sel.transports !== undefined ? new Set(sel.transports.map(transportNumber)) : null;
    this.messageTypes = plugin.messages === undefined ? null : plugin.messages === 'all' ? 'all' : new Set(plugin.messages);
    this.content = plugin.content !== undefined && plugin.content.length > 0 ? makeContentScanner(plugin.content, plugin.name) : null;
  }

  get rules(): PluginRules {
    return this.host.rulesApi;
  }

  get now(): number {
    return this.host.nowUs / 1e6;
  }

  alert(message: string, severity: Severity = 'medium', extra?: Record<string, unknown>): void {
    this.host.raise(this, undefined, message, severity, extra);
  }

  count(name: string, n = 1): void {
    this.stats.counters[name] = (this.stats.counters[name] ?? 0) + n;
  }

  wantsMessage(type: string): boolean {
    const m = this.messageTypes;
    return m !== null && (m === 'all' || m.has(type));
  }

  /** Guarded call into the plugin; false when it threw (counted, reported). */
  call(what: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.stats.errors++;
      this.host.weird('plugin_error');
      if (this.stats.errorMessages.length < MAX_ERROR_MESSAGES) this.stats.errorMessages.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  selects(s: FlowStart): boolean {
    if (this.transports !== null && !this.transports.has(s.protocol)) return false;
    if (this.ports !== null && !this.ports.has(s.clientPort) && !this.ports.has(s.serverPort)) return false;
    if (this.networks.length > 0 && !this.networks.some((c) => inCidr(c, s.ipVersion, s.clientAddress) || inCidr(c, s.ipVersion, s.serverAddress))) return false;
    const f = this.filter;
    if (f === null) return true;
    // Most flows fail on the values already decoded; the frame is read again only for the rest.
    if (f.flowGate !== null && s.packet.tunnel === 0 && !f.flowGate(s.protocol, s.ipVersion, s.clientPort, s.serverPort, s.clientAddress, s.serverAddress)) return false;
    return frameMatches(f, s.packet);
  }
}

function frameMatches(f: PacketFilter, d: PacketDecoder): boolean {
  return f.matches(d, d.frameData, d.frameOffset, d.frameCaplen, d.wireBytes, d.frameLinkType);
}

function transportNumber(t: string): number {
  const n = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, sctp: 132, gre: 47 }[t.toLowerCase()];
  if (n === undefined) throw new SondaError('SONDA_E_BAD_PLUGIN', `unknown transport "${t}" (tcp, udp, icmp, icmp6, sctp, gre)`);
  return n;
}

function inCidr(c: Cidr, version: 4 | 6, w: Uint32Array): boolean {
  if (c.version !== version) return false;
  const net = [c.w0, c.w1, c.w2, c.w3];
  let bits = c.prefix;
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if (((w[i]! & mask) >>> 0) !== net[i]) return false;
  }
  return true;
}

/** A session of one plugin. */
class SessionImpl implements PluginSession<unknown> {
  readonly flows: string[] = [];
  open = 0;
  firstSeen: number;
  lastSeen: number;
  /** Packet time (µs) at which it ends, when no flow is open; Infinity while one is. */
  endsAtUs = Number.POSITIVE_INFINITY;

  constructor(
    readonly key: string,
    public state: unknown,
    nowUs: number,
  ) {
    this.firstSeen = this.lastSeen = nowUs / 1e6;
  }
}

/** One plugin's handle on one flow. */
class FlowHandle implements PluginFlow<unknown, unknown> {
  state: unknown = undefined;
  session: SessionImpl | undefined = undefined;
  mode: DeliveryMode;
  finished = false;
  tags: string[] | null = null;
  readonly scan: [unknown, unknown];
  /** Packet time (µs) of the last `onFlowUpdate`, or of the flow's start. */
  lastUpdateUs = 0;

  constructor(
    readonly rt: Runtime,
    readonly info: FlowInfo,
    readonly flow: number,
  ) {
    this.mode = rt.plugin.deliver ?? 'none';
    if (rt.content !== null) {
      const budget = rt.content.newBudget();
      this.scan = [rt.content.newState(budget), rt.content.newState(budget)];
    } else this.scan = [null, null];
  }

  tag(label: string): void {
    this.tags ??= [];
    if (!this.tags.includes(label)) this.tags.push(label);
  }

  alert(message: string, severity: Severity = 'medium', extra?: Record<string, unknown>): void {
    this.rt.host.raise(this.rt, this.info.id, message, severity, extra);
  }

  deliver(mode: DeliveryMode): void {
    this.mode = mode;
  }

  done(): void {
    this.finished = true;
  }

  join(key: string): void {
    this.rt.host.join(this, key);
  }
}

/** Listener of alerts as they are raised. */
export type AlertListener = (alert: AlertRecord) => void;

/**
 * The plugins of one engine. Make one, `attach(engine)` before feeding the engine, and call
 * `finish()` after `engine.finish()`.
 */
/** A plugin's dissector, if it has the shape the classifier calls (else the plugin is refused). */
function checkedDissector(p: Plugin, d: Dissector): Dissector {
  if (d === null || typeof d !== 'object' || typeof d.name !== 'string' || d.name === '' || typeof d.inspect !== 'function' || !['tcp', 'udp', 'both'].includes(d.transport)) {
    throw new SondaError('SONDA_E_BAD_PLUGIN', `plugin ${p.name}: dissectors: each needs a name, a transport (tcp, udp, both) and inspect()`);
  }
  return d;
}

export class PluginHost {
  readonly rules = new RuleTable();
  readonly runtimes: Runtime[];
  /** The rules' consumer and one for all plugins, for `EngineOptions.consumers`. */
  readonly consumers: Consumer[];
  /** Per plugin (same order as `runtimes`): how it opens, is fed and closes a flow. */
  private readonly parts: Consumer<FlowHandle>[];
  nowUs = 0;
  /** Flows dropped by a rule (no plugin saw them). */
  droppedFlows = 0;
  private readonly alertListeners: AlertListener[] = [];
  private readonly closing = new Map<string, FlowHandle[]>();
  private readonly flowIdPrefix: string;
  private readonly tuple = new RuleTuple();
  private decisionSerial = -1;
  private decision: Rule | undefined;
  private weirdFn: (name: string) => void = () => undefined;
  /** The attached engine's records of open flows (for `onFlowUpdate`). */
  private liveRecord: ((f: number) => FlowUpdate) | null = null;
  private readonly packetInfo: { -readonly [K in keyof PacketInfo]: PacketInfo[K] } = { dir: 0, ts: 0, length: 0, payload: new Uint8Array(0), tcpFlags: 0, ttl: 0 };

  /**
   * What the plugins teach the classifier (`Plugin.protocols` and `Plugin.dissectors`), for
   * `classifierConsumer({ entries, extraDissectors })`: made at once, so a bad protocol text
   * stops the run before it starts.
   */
  readonly classifierExtras: { readonly entries: readonly ProtocolEntry[]; readonly extraDissectors: readonly Dissector[] };

  constructor(
    plugins: readonly Plugin[],
    opts: PluginHostOptions = {},
  ) {
    const names = new Set<string>();
    for (const p of plugins) {
      if (typeof p?.name !== 'string' || p.name === '') throw new SondaError('SONDA_E_BAD_PLUGIN', 'a plugin has no name');
      if (names.has(p.name)) throw new SondaError('SONDA_E_BAD_PLUGIN', `two plugins are named "${p.name}"`);
      names.add(p.name);
    }
    this.classifierExtras = {
      entries: plugins.flatMap((p) => (p.protocols === undefined ? [] : parseProtocolFile(p.protocols, `plugin ${p.name}`))),
      extraDissectors: plugins.flatMap((p) => (p.dissectors ?? []).map((d) => checkedDissector(p, d))),
    };
    this.flowIdPrefix = opts.flowIdPrefix ?? '';
    this.runtimes = plugins.map((p, i) => new Runtime(p, this, i));
    this.parts = this.runtimes.map((rt) => this.consumerFor(rt));
    this.consumers = this.runtimes.length > 0 ? [this.rulesConsumer(), this.multiplexed()] : [this.rulesConsumer()];
  }

  /** Rules as plugins use them. */
  readonly rulesApi: PluginRules = {
    add: (rule) => this.rules.add(typeof rule === 'string' ? parseRule(rule) : this.toRule(rule)),
    remove: (id) => this.rules.remove(id),
  };

  /** Per-plugin counters. */
  stats(): Record<string, PluginStats> {
    const out: Record<string, PluginStats> = {};
    for (const rt of this.runtimes) out[rt.name] = { ...rt.stats, counters: { ...rt.stats.counters }, errorMessages: [...rt.stats.errorMessages] };
    return out;
  }

  onAlert(listener: AlertListener): this {
    this.alertListeners.push(listener);
    return this;
  }

  /** Subscribes to the engine's messages, events and flow ends, and starts the plugins. */
  attach(engine: Engine): this {
    this.weirdFn = (n) => engine.weirds.hitName(n);
    this.liveRecord = (f) => engine.liveRecord(f);
    if (this.runtimes.some((rt) => rt.messageTypes !== null || rt.plugin.sessions?.key !== undefined)) {
      engine.on('message', (f, ev) => this.message(f, ev));
      engine.on('event', (ev) => this.closingEvent(ev));
    }
    // Records are made only when a plugin reads them (flow ends, sessions' clock).
    if (this.runtimes.some((rt) => rt.plugin.onFlowEnd !== undefined || rt.plugin.sessions !== undefined)) engine.on('flow', (rec) => this.flowEnd(rec));
    else {
      const prefix = this.flowIdPrefix;
      engine.on('flow-row', (t, f) => {
        if (this.closing.size !== 0) this.closing.delete(prefix + t.serial[f]!);
      });
    }
    for (const rt of this.runtimes) rt.call('onStart', () => rt.plugin.onStart?.(rt));
    return this;
  }

  /** End of input: ends every session and tells the plugins. Call after `engine.finish()`. */
  finish(): void {
    for (const rt of this.runtimes) {
      for (const s of [...rt.sessions.values()]) this.endSession(rt, s);
      rt.call('onFinish', () => rt.plugin.onFinish?.(rt));
    }
  }

  weird(name: string): void {
    this.weirdFn(name);
  }

  raise(rt: Runtime, flowId: string | undefined, message: string, severity: Severity, extra?: Record<string, unknown>): void {
    rt.stats.alerts++;
    const alert: AlertRecord = { type: 'alert', ts: Math.round(this.nowUs) / 1e6, severity, ...(flowId !== undefined ? { flow_id: flowId } : {}), message: String(message), plugin: rt.name, ...(extra ?? {}) };
    for (const l of this.alertListeners) l(alert);
  }

  join(h: FlowHandle, key: string): void {
    const spec = h.rt.plugin.sessions;
    if (spec === undefined || h.session !== undefined) return;
    let s = h.rt.sessions.get(key);
    if (s === undefined) {
      let state: unknown;
      if (!h.rt.call('sessions.state', () => (state = spec.state(key)))) return;
      s = new SessionImpl(key, state, this.nowUs);
      h.rt.sessions.set(key, s);
      h.rt.stats.sessions++;
    }
    s.open++;
    s.endsAtUs = Number.POSITIVE_INFINITY;
    s.lastSeen = this.nowUs / 1e6;
    s.flows.push(h.info.id);
    h.session = s;
  }

  private toRule(r: RuleSpec): Rule {
    const protocol = r.protocol === undefined ? undefined : typeof r.protocol === 'number' ? r.protocol : transportNumber(r.protocol);
    const { ttl, protocol: _p, ...rest } = r;
    return { ...rest, protocol, ...(ttl !== undefined ? { expireAt: this.nowUs + ttl * 1e6 } : {}) };
  }

  /** The first rule matching the flow (one lookup per flow, shared by all plugins). */
  private ruleFor(s: FlowStart): Rule | undefined {
    if (s.serial === this.decisionSerial) return this.decision;
    this.decisionSerial = s.serial;
    this.decision = undefined;
    if (this.rules.size === 0) return undefined;
    const t = this.tuple;
    if (s.ipVersion === 4) t.setV4(s.protocol, s.clientAddress[0]!, s.clientPort, s.serverAddress[0]!, s.serverPort, s.vlan);
    else t.setV6(s.protocol, s.clientAddress, s.clientPort, s.serverAddress, s.serverPort, s.vlan);
    this.decision = this.rules.match(t, s.tsUs);
    if (this.decision?.action === 'drop') this.droppedFlows++;
    return this.decision;
  }

  /** Tags from `tag` rules go on the record even when no plugin follows the flow. */
  private rulesConsumer(): Consumer<string> {
    return {
      name: 'rules',
      open: (s) => {
        this.nowUs = s.tsUs;
        const r = this.ruleFor(s);
        return r?.action === 'tag' ? r.tag : undefined;
      },
      done: () => true,
      close: (tag, fields) => addTags(fields, [tag]),
    };
  }

  private flowInfo(s: FlowStart): FlowInfo {
    return {
      id: this.flowIdPrefix + s.serial,
      ipVersion: s.ipVersion,
      protocol: L4_NAMES[s.protocol] ?? String(s.protocol),
      client: { ip: addressText(s.ipVersion, s.clientAddress), port: s.clientPort },
      server: { ip: addressText(s.ipVersion, s.serverAddress), port: s.serverPort },
      vlan: s.vlan,
      firstSeen: Math.round(s.tsUs) / 1e6,
      ...(s.expected !== undefined ? { expected: { name: s.expected.name, parentFlowId: s.expected.parentFlowId } } : {}),
    };
  }

  private consumerFor(rt: Runtime): Consumer<FlowHandle> {
    const p = rt.plugin;
    const c: Consumer<FlowHandle> = {
      name: `plugin:${rt.name}`,
      open: (s) => {
        const r = this.ruleFor(s);
        if (r?.action === 'drop') return undefined;
        const forced = r?.action === 'plugin' && r.plugin === rt.name;
        if (!forced && !rt.selects(s)) return undefined;
        const info = this.flowInfo(s);
        const h = new FlowHandle(rt, info, s.flow);
        h.lastUpdateUs = s.tsUs;
        if (p.flowState !== undefined && !rt.call('flowState', () => (h.state = p.flowState!(info)))) return undefined;
        rt.stats.flows++;
        rt.live.set(s.flow, h);
        const key = p.sessions?.key;
        if (key !== undefined) {
          rt.call('sessions.key', () => {
            const k = key(h);
            if (k !== undefined) this.join(h, k);
          });
        }
        if (p.onFlowStart !== undefined && !rt.call('onFlowStart', () => p.onFlowStart!(h, rt))) h.finished = true;
        return h;
      },
      done: (h) => h.finished,
      close: (h, fields) => {
        rt.live.delete(h.flow);
        if (h.tags !== null) addTags(fields, h.tags);
        const list = this.closing.get(h.info.id);
        if (list === undefined) this.closing.set(h.info.id, [h]);
        else list.push(h);
      },
    };
    const onPacket = p.onPacket;
    const onFlowUpdate = p.onFlowUpdate;
    if (onPacket !== undefined || onFlowUpdate !== undefined) {
      const intervalUs = (p.updateInterval ?? 60) * 1e6;
      c.packet = (h, dir, d, tsUs) => {
        this.nowUs = tsUs;
        if (h.finished) return;
        if (onFlowUpdate !== undefined && tsUs - h.lastUpdateUs >= intervalUs && this.liveRecord !== null) {
          h.lastUpdateUs = tsUs;
          const update = this.liveRecord(h.flow);
          if (!rt.call('onFlowUpdate', () => onFlowUpdate(h, update, rt))) {
            h.finished = true;
            return;
          }
        }
        if (onPacket === undefined || h.mode !== 'packets') return;
        if (rt.filter !== null && !frameMatches(rt.filter, d)) return;
        const pi = this.packetInfo;
        pi.dir = dir;
        pi.ts = Math.round(tsUs) / 1e6;
        pi.length = d.wireBytes;
        const end = Math.min(d.payloadEnd, d.payloadOffset + d.payloadLength);
        pi.payload = d.keyBuf.subarray(d.payloadOffset, Math.max(d.payloadOffset, end));
        pi.tcpFlags = d.l4Proto === 6 ? d.tcpFlags : 0;
        pi.ttl = d.ttl;
        if (!rt.call('onPacket', () => onPacket(h, pi, rt))) h.finished = true;
      };
    }
    if (p.onData !== undefined || rt.content !== null) {
      const data = (h: FlowHandle, dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void => {
        this.nowUs = tsUs;
        if (h.finished) return;
        if (rt.content !== null) this.scan(rt, h, dir, b, off, end);
        const m = h.mode;
        if (p.onData === undefined || h.finished || m === 'none' || m === 'packets') return;
        if (m !== 'both' && (m === 'client') !== (dir === 0)) return;
        if (!rt.call('onData', () => p.onData!(h, dir, b.subarray(off, end), rt))) h.finished = true;
      };
      c.stream = data;
      c.datagram = data;
      c.gap = (h, dir, bytes) => {
        if (rt.content !== null) rt.content.gap(h.scan[dir], bytes);
        if (h.finished || p.onGap === undefined) return;
        if (!rt.call('onGap', () => p.onGap!(h, dir, bytes, rt))) h.finished = true;
      };
    }
    return c;
  }

  /**
   * All plugins as one consumer of the engine: per new flow one call selects for every plugin
   * (instead of one engine call per plugin); the flow is fed while some plugin that reads
   * packets or data still wants it.
   */
  private multiplexed(): Consumer<FlowHandle[]> {
    const parts = this.parts;
    const feeds = parts.map((c) => c.packet !== undefined || c.stream !== undefined);
    const c: Consumer<FlowHandle[]> = {
      name: 'plugins',
      open: (s) => {
        let handles: FlowHandle[] | undefined;
        for (let i = 0; i < parts.length; i++) {
          const h = parts[i]!.open(s);
          if (h !== undefined) (handles ??= []).push(h);
        }
        return handles;
      },
      done: (hs) => {
        for (const h of hs) if (!h.finished && feeds[h.rt.index]) return false;
        return true;
      },
      close: (hs, fields) => {
        for (const h of hs) parts[h.rt.index]!.close!(h, fields);
      },
    };
    if (parts.some((x) => x.packet !== undefined)) {
      c.packet = (hs, dir, d, tsUs) => {
        for (const h of hs) parts[h.rt.index]!.packet?.(h, dir, d, tsUs);
      };
    }
    if (parts.some((x) => x.stream !== undefined)) {
      const data = (hs: FlowHandle[], dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void => {
        for (const h of hs) parts[h.rt.index]!.stream?.(h, dir, b, off, end, tsUs);
      };
      c.stream = data;
      c.datagram = data;
      c.gap = (hs, dir, bytes) => {
        for (const h of hs) parts[h.rt.index]!.gap?.(h, dir, bytes);
      };
    }
    return c;
  }

  private scan(rt: Runtime, h: FlowHandle, dir: Dir, b: Uint8Array, off: number, end: number): void {
    const onContent = rt.plugin.onContent;
    rt.content!.scan(h.scan[dir], dir, b, off, end, h.info.protocol === 'TCP', (m: ContentMatch) => {
      rt.count(`content:${m.sid}`);
      if (onContent !== undefined && !h.finished && !rt.call('onContent', () => onContent(h, m, rt))) h.finished = true;
    });
  }

  /** A live transaction of flow `f`. */
  private message(f: number, ev: EventRecord): void {
    const us = ev.ts * 1e6;
    if (us > this.nowUs) this.nowUs = us;
    for (const rt of this.runtimes) {
      const h = rt.live.get(f);
      if (h === undefined || h.finished) continue;
      this.deliverMessage(rt, h, ev);
    }
  }

  private deliverMessage(rt: Runtime, h: FlowHandle, ev: EventRecord): void {
    const p = rt.plugin;
    const key = p.sessions?.key;
    if (key !== undefined && h.session === undefined) {
      rt.call('sessions.key', () => {
        const k = key(h, ev);
        if (k !== undefined) this.join(h, k);
      });
    }
    if (h.session !== undefined) h.session.lastSeen = Math.max(h.session.lastSeen, ev.ts);
    if (p.onMessage !== undefined && rt.wantsMessage(ev.type) && !rt.call('onMessage', () => p.onMessage!(h, ev, rt))) h.finished = true;
  }

  /** A transaction reported at its flow's end (types not published live). */
  private closingEvent(ev: EventRecord): void {
    if (LIVE_TYPES.has(ev.type)) return;
    const list = this.closing.get(ev.flow_id);
    if (list === undefined) return;
    for (const h of list) if (!h.finished) this.deliverMessage(h.rt, h, ev);
  }

  private flowEnd(rec: FlowRecord): void {
    const nowUs = Math.round(rec.last_seen * 1e6);
    if (nowUs > this.nowUs) this.nowUs = nowUs;
    const list = this.closing.get(rec.flow_id);
    if (list !== undefined) {
      this.closing.delete(rec.flow_id);
      for (const h of list) {
        const rt = h.rt;
        if (!h.finished && rt.plugin.onFlowEnd !== undefined) rt.call('onFlowEnd', () => rt.plugin.onFlowEnd!(h, rec, rt));
        const s = h.session;
        if (s !== undefined) {
          s.lastSeen = Math.max(s.lastSeen, rec.last_seen);
          if (--s.open === 0) s.endsAtUs = nowUs + (rt.plugin.sessions?.timeout ?? 60) * 1e6;
        }
      }
    }
    this.expireSessions();
  }

  private expireSessions(): void {
    for (const rt of this.runtimes) {
      if (rt.sessions.size === 0) continue;
      for (const s of rt.sessions.values()) if (s.endsAtUs <= this.nowUs) this.endSession(rt, s);
    }
  }

  private endSession(rt: Runtime, s: SessionImpl): void {
    rt.sessions.delete(s.key);
    const onEnd = rt.plugin.sessions?.onEnd;
    if (onEnd !== undefined) rt.call('sessions.onEnd', () => onEnd(s, rt));
  }
}

/** Adds tags to the record's `tags`, once each. */
function addTags(fields: RecordFields, tags: readonly string[]): void {
  const cur = (fields.tags as string[] | undefined) ?? [];
  for (const t of tags) if (!cur.includes(t)) cur.push(t);
  fields.tags = cur;
}
