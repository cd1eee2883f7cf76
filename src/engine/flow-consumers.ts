import { IpProto, type PacketDecoder } from '../decode/decoder.js';
import { TcpFlag } from '../decode/tcp.js';
import type { WeirdCounters } from '../decode/weirds.js';
import { KEY_WORDS } from '../flow/flow-key.js';
import type { FlowTable } from '../flow/flow-table.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits, type ReassemblyStats, TcpStream } from '../reassembly/tcp-reassembler.js';
import { type Consumer, type Dir, type EventFields, type Expectation, type ExpectedFlow, type FlowStart, NO_FIELDS, type RecordFields } from './consumer.js';
import { ExpectationTable } from './expectations.js';

/** Flow bits (in `FlowTable.bits`) owned by this module. */
export const BIT_FOLLOWED = 0x04; // some consumer accepted the flow: `close` is due at its end
export const BIT_FEED = 0x40; // some consumer still wants the flow's packets

/** Per-flow bookkeeping, only for flows some consumer follows. */
interface Follow {
  /** The flow's slot. */
  readonly flow: number;
  /**
   * Where the flow's consumer states start in `FlowConsumers.states` (one entry per consumer,
   * undefined: not following): one shared array by flow slot, no array per flow.
   */
  readonly base: number;
  /** Consumers still fed: bit i for consumer i < 31 (no array per flow), `activeHigh` beyond. */
  activeLow: number;
  activeHigh: boolean[] | null;
  activeCount: number;
  /** TCP reassembly per direction, made at the first payload (many flows never carry one). */
  streams: [TcpStream, TcpStream] | null;
  /** A following consumer reads TCP streams. */
  wantsStreams: boolean;
  /**
   * The consumers that open at the first payload (`openAt: 'payload'`) are still to be asked;
   * while so, they count as one in `activeCount`, so the flow stays fed.
   */
  lazyPending: boolean;
  /** Sequence numbers of the SYNs seen before the streams exist, per direction (-1: none). */
  syn0: number;
  syn1: number;
  /** The flow was announced by another (FTP data, RTP from SDP). */
  readonly expected: ExpectedFlow | undefined;
}

type MutableStart = { -readonly [K in keyof FlowStart]: FlowStart[K] };

/** Receives transactions as parsers publish them (see `FlowStart.publish`). */
export type MessageHandler = (flow: number, event: EventFields) => void;

/** Counters of the consumer stage. */
export interface ConsumerStats {
  followedFlows: number;
  /** Exceptions thrown by consumers (each also counted as `<name>_error` weird); the consumer is dropped for that flow. */
  errors: number;
  reassembly: ReassemblyStats;
}


/**
 * The contract's rule for every record field, whoever filled it: an unknown value is absent,
 * never null, "", an empty array or an empty object. Returns undefined when nothing is left.
 */
function pruned(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  // Arrays and objects are copied only when something inside goes: most values come back as they are.
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const p = pruned(v[i]);
      if ((p !== v[i] || p === undefined) && out === null) out = v.slice(0, i);
      if (out !== null && p !== undefined) out.push(p);
    }
    const r = out ?? v;
    return r.length > 0 ? r : undefined;
  }
  if (typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o = v as Record<string, unknown>;
    let out: Record<string, unknown> | null = null;
    let kept = 0;
    for (const k in o) {
      const x = o[k];
      const p = pruned(x);
      if ((p !== x || p === undefined) && out === null) {
        out = {};
        for (const j in o) {
          if (j === k) break;
          out[j] = o[j];
        }
      }
      if (p === undefined) continue;
      kept++;
      if (out !== null) out[k] = p;
    }
    return kept === 0 ? undefined : (out ?? o);
  }
  return v;
}

const EMPTY = new Uint8Array(0);
/** What the consumers that open at the payload want of a new flow (see `lazyWanted`). */
const LazyWant = { None: 0, Payload: 1, Streams: 2 } as const;
const Delivery = { Stream: 0, Datagram: 1, Gap: 2 } as const;

function isActive(f: Follow, i: number): boolean {
  return i < 31 ? (f.activeLow & (1 << i)) !== 0 : f.activeHigh![i - 31] === true;
}

function setActive(f: Follow, i: number, on: boolean): void {
  if (i >= 31) f.activeHigh![i - 31] = on;
  else if (on) f.activeLow |= 1 << i;
  else f.activeLow &= ~(1 << i);
}

/** Where one direction's reassembled bytes go: one small object per stream, no closures. */
class DirectionSink {
  constructor(
    private readonly owner: FlowConsumers,
    private readonly follow: Follow,
    private readonly dir: Dir,
  ) {}

  data(b: Uint8Array, off: number, end: number, tsUs: number): void {
    this.owner.deliver(this.follow, Delivery.Stream, this.dir, b, off, end, tsUs);
  }

  gap(bytes: number): void {
    this.owner.deliver(this.follow, Delivery.Gap, this.dir, EMPTY, 0, bytes, 0);
  }
}

/**
 * Runs the consumers for the engine: asks each of them about every new flow, feeds the flows
 * they follow (reassembling TCP for stream readers), and collects their record fields when a
 * flow ends. A consumer that throws is caught, counted and dropped for that flow; the engine
 * and the other consumers go on.
 */
export class FlowConsumers {
  readonly stats: ConsumerStats = {
    followedFlows: 0,
    errors: 0,
    reassembly: { delivered: 0, duplicateBytes: 0, inconsistentOverlaps: 0, gaps: 0, gapBytes: 0, limitFlushes: 0 },
  };
  /** By flow slot (slots are dense, from 0 up): an array, not a Map, on the per-packet path. */
  private readonly follows: (Follow | undefined)[] = [];
  /** Consumer states of all followed flows: flow slot × consumer count + consumer index. */
  private readonly states: unknown[] = [];
  /** Flows announced by flows (FTP PORT/PASV, SDP media). */
  readonly expectations = new ExpectationTable();
  /** Set by the engine when someone wants transactions as they happen. */
  onMessage: MessageHandler | null = null;
  private table: FlowTable | null = null;
  /** The packet being handled (what `FlowStart.packet` is for consumers opened at a payload). */
  private packetAtHand: PacketDecoder | null = null;
  private nowUs = 0;
  private readonly hasStream: boolean[];
  /** Per consumer: opens at the flow's first payload (`openAt: 'payload'`). */
  private readonly lazy: boolean[];
  private readonly anyLazy: boolean;
  /** Some consumer reads whole packets (`packet` hook). */
  private readonly anyPacket: boolean;
  private readonly weirdByName: (name: string) => void;
  private readonly start: MutableStart;

  constructor(
    private readonly consumers: readonly Consumer[],
    private readonly weirds: WeirdCounters,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {
    this.hasStream = consumers.map((c) => c.stream !== undefined);
    this.lazy = consumers.map((c) => c.openAt === 'payload');
    this.anyLazy = this.lazy.includes(true);
    this.anyPacket = consumers.some((c) => c.packet !== undefined);
    this.weirdByName = (name) => weirds.hitName(name);
    this.start = {
      flow: 0,
      ipVersion: 4,
      protocol: 0,
      clientPort: 0,
      serverPort: 0,
      clientAddress: new Uint32Array(4),
      serverAddress: new Uint32Array(4),
      vlan: -1,
      tsUs: 0,
      weird: this.weirdByName,
      events: false,
      serial: 0,
      live: false,
      publish: (f, ev) => this.onMessage?.(f, ev),
      expect: (f, e) => this.expect(f, e),
      expected: undefined,
      packet: null as unknown as PacketDecoder,
    };
  }

  /** Set when the engine gets an event listener: parsers then read every transaction. */
  set eventsWanted(on: boolean) {
    this.start.events = on;
  }

  /** Set when the engine gets a message listener: parsers then publish transactions as they happen. */
  set liveWanted(on: boolean) {
    this.start.live = on;
    if (on) this.start.events = true;
  }

  /** The flow ids' prefix (the engine's), for links between flows. */
  flowIdPrefix = '';

  private expect(f: number, e: Expectation): void {
    const t = this.table;
    if (t === null || this.follows[f] === undefined) return;
    const base = f * KEY_WORDS;
    const version = (t.keys[base + 9]! & 0x100) !== 0 ? 6 : 4;
    const a = { version, words: t.keys.slice(base, base + 4) } as const;
    const b = { version, words: t.keys.slice(base + 4, base + 8) } as const;
    this.expectations.add(e, this.flowIdPrefix + t.serial[f]!, this.nowUs, [a, b]);
  }

  get empty(): boolean {
    return this.consumers.length === 0;
  }

  /** Fills the shared `FlowStart` for flow `f`; `d` is the packet at hand. */
  private fillStart(t: FlowTable, f: number, d: PacketDecoder, expected: ExpectedFlow | undefined): MutableStart {
    const base = f * KEY_WORDS;
    const keys = t.keys;
    const ports = keys[base + 8]!;
    const clientIsA = (t.bits[f]! & 1) !== 0;
    // One object, refilled per flow: consumers read it during `open` only.
    const start = this.start;
    start.flow = f;
    start.ipVersion = (keys[base + 9]! & 0x100) !== 0 ? 6 : 4;
    start.protocol = keys[base + 9]! & 0xff;
    start.clientPort = clientIsA ? ports >>> 16 : ports & 0xffff;
    start.serverPort = clientIsA ? ports & 0xffff : ports >>> 16;
    const ca = clientIsA ? base : base + 4;
    const sa = clientIsA ? base + 4 : base;
    for (let w = 0; w < 4; w++) {
      start.clientAddress[w] = keys[ca + w]!;
      start.serverAddress[w] = keys[sa + w]!;
    }
    start.vlan = (keys[base + 9]! >>> 12) - 1;
    start.serial = t.serial[f]!;
    start.packet = d;
    start.tsUs = t.firstTs[f]!;
    start.expected = expected;
    return start;
  }

  /** A flow was just created by the packet in `d` (its first packet). */
  open(t: FlowTable, f: number, d: PacketDecoder, tsUs: number): void {
    this.table = t;
    this.nowUs = tsUs;
    const start = this.fillStart(t, f, d, undefined);
    start.tsUs = tsUs;
    if (this.expectations.size !== 0) start.expected = this.expectations.match(start.protocol, start.ipVersion, start.serverAddress, start.serverPort, start.clientAddress, start.clientPort, tsUs);
    let follow: Follow | undefined;
    let streams = false;
    for (let i = 0; i < this.consumers.length; i++) {
      if (this.lazy[i]) continue;
      const state = this.openOne(i, start);
      if (state === undefined) continue;
      follow ??= this.newFollow(f, start.expected);
      if (this.adopt(follow, i, state) && this.hasStream[i]) streams = true;
    }
    if (this.anyLazy) {
      const lazy = this.lazyWanted(start);
      if (lazy !== LazyWant.None) {
        follow ??= this.newFollow(f, start.expected);
        follow.lazyPending = true;
        follow.activeCount++;
        if (lazy === LazyWant.Streams) streams = true;
      }
    }
    if (follow === undefined) return;
    follow.wantsStreams = streams && d.l4Proto === IpProto.Tcp;
    while (this.follows.length < f) this.follows.push(undefined);
    this.follows[f] = follow;
    this.stats.followedFlows++;
    t.bits[f] = t.bits[f]! | BIT_FOLLOWED | (follow.activeCount > 0 ? BIT_FEED : 0);
  }

  /** Whether some consumer that opens at the payload may want this flow, and reads streams. */
  private lazyWanted(start: FlowStart): number {
    let want: number = LazyWant.None;
    for (let i = 0; i < this.consumers.length; i++) {
      if (!this.lazy[i]) continue;
      const c = this.consumers[i]!;
      let may = true;
      try {
        may = c.mayOpen === undefined || c.mayOpen(start);
      } catch (e) {
        this.failed(c, e);
      }
      if (!may) continue;
      if (this.hasStream[i]) return LazyWant.Streams;
      want = LazyWant.Payload;
    }
    return want;
  }

  /** `open` of consumer `i`; undefined when it declines or throws. */
  private openOne(i: number, start: FlowStart): unknown {
    const c = this.consumers[i]!;
    try {
      return c.open(start);
    } catch (e) {
      this.failed(c, e);
      return undefined;
    }
  }

  /** Keeps consumer `i`'s state for the flow; true when it is to be fed (not done at once). */
  private adopt(follow: Follow, i: number, state: unknown): boolean {
    this.states[follow.base + i] = state;
    // A consumer that decided all at `open` (process attribution, rules) is closed later but never fed.
    let done = false;
    try {
      done = this.consumers[i]!.done?.(state) === true;
    } catch (e) {
      this.failed(this.consumers[i]!, e);
      done = true;
    }
    if (done) return false;
    setActive(follow, i, true);
    follow.activeCount++;
    return true;
  }

  /** The flow's first payload is about to be delivered: the consumers that open now are asked. */
  private openLazy(follow: Follow): void {
    follow.lazyPending = false;
    follow.activeCount--;
    const start = this.fillStart(this.table!, follow.flow, this.packetAtHand!, follow.expected);
    for (let i = 0; i < this.consumers.length; i++) {
      if (!this.lazy[i]) continue;
      const state = this.openOne(i, start);
      if (state !== undefined) this.adopt(follow, i, state);
    }
  }

  /** A packet of a flow with `BIT_FEED`, sent in direction `dir`. */
  packet(t: FlowTable, f: number, d: PacketDecoder, dir: Dir, tsUs: number): void {
    const follow = this.follows[f];
    if (follow === undefined) return;
    this.nowUs = tsUs;
    this.table = t;
    this.packetAtHand = d;
    if (this.anyPacket) this.deliverPacket(follow, dir, d, tsUs);
    if (d.l4Proto === IpProto.Tcp) {
      if (follow.wantsStreams && d.tcpValid) {
        let streams = follow.streams;
        if (streams === null) {
          if (d.payloadLength === 0) {
            if (d.tcpFlags & TcpFlag.Syn) {
              if (dir === 0) follow.syn0 = d.tcpSeq;
              else follow.syn1 = d.tcpSeq;
            }
            return;
          }
          streams = follow.streams = [this.newStream(follow, 0), this.newStream(follow, 1)];
          if (follow.syn0 >= 0) streams[0].segment(follow.syn0, TcpFlag.Syn, EMPTY, 0, 0, tsUs);
          if (follow.syn1 >= 0) streams[1].segment(follow.syn1, TcpFlag.Syn, EMPTY, 0, 0, tsUs);
        }
        const end = Math.min(d.payloadEnd, d.payloadOffset + d.payloadLength);
        streams[dir].segment(d.tcpSeq, d.tcpFlags, d.keyBuf, d.payloadOffset, end, tsUs, d.payloadLength);
      }
    } else {
      const end = Math.min(d.payloadEnd, d.payloadOffset + d.payloadLength);
      if (end > d.payloadOffset) this.deliver(follow, Delivery.Datagram, dir, d.keyBuf, d.payloadOffset, end, tsUs);
    }
    if (follow.activeCount === 0) {
      follow.streams = null;
      follow.wantsStreams = false;
      t.bits[f] = t.bits[f]! & ~BIT_FEED;
    }
  }

  /** The flow ends: record fields from every consumer that followed it. */
  close(f: number, events?: EventFields[]): RecordFields {
    const follow = this.follows[f];
    if (follow === undefined) return NO_FIELDS;
    this.follows[f] = undefined;
    if (follow.streams !== null) {
      follow.streams[0].finish();
      follow.streams[1].finish();
    }
    const fields: RecordFields = {};
    const states = this.states;
    if (events !== undefined && follow.expected !== undefined) events.push({ type: 'flow_link', protocol: follow.expected.name, parent_flow_id: follow.expected.parentFlowId });
    for (let i = 0; i < this.consumers.length; i++) {
      const state = states[follow.base + i];
      if (state === undefined) continue;
      // The slot is the next flow's: let go of this one's state.
      states[follow.base + i] = undefined;
      const c = this.consumers[i]!;
      try {
        c.close?.(state, fields);
        if (events !== undefined) {
          const evs = c.events?.(state);
          if (evs !== undefined) for (const ev of evs) events.push(ev);
        }
      } catch (e) {
        this.failed(c, e);
      }
    }
    for (const k in fields) {
      const raw = (fields as Record<string, unknown>)[k];
      const v = pruned(raw);
      if (v === raw) continue;
      if (v === undefined) delete (fields as Record<string, unknown>)[k];
      else (fields as Record<string, unknown>)[k] = v;
    }
    return fields;
  }

  private newFollow(f: number, expected: ExpectedFlow | undefined): Follow {
    const n = this.consumers.length;
    const base = f * n;
    const states = this.states;
    while (states.length < base + n) states.push(undefined);
    // A flow the engine dropped without a close may have left states behind.
    for (let i = 0; i < n; i++) states[base + i] = undefined;
    return {
      flow: f,
      base,
      activeLow: 0,
      activeHigh: n > 31 ? new Array(n - 31).fill(false) : null,
      activeCount: 0,
      streams: null,
      wantsStreams: false,
      lazyPending: false,
      syn0: -1,
      syn1: -1,
      expected,
    };
  }

  private newStream(follow: Follow, dir: Dir): TcpStream {
    return new TcpStream(new DirectionSink(this, follow, dir), this.stats.reassembly, this.limits, this.weirdByName);
  }

  /**
   * Hands bytes to each consumer still fed (for `Gap`, `end` is the hole's size), then drops
   * those that say they are done. One method, no closure per delivery.
   * @internal (DirectionSink)
   */
  deliver(follow: Follow, kind: number, dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    if (follow.lazyPending && kind !== Delivery.Gap) this.openLazy(follow);
    for (let i = 0; i < this.consumers.length; i++) {
      if (!isActive(follow, i)) continue;
      const c = this.consumers[i]!;
      const state = this.states[follow.base + i];
      try {
        const kept = kind === Delivery.Stream ? c.stream?.(state, dir, b, off, end, tsUs) : kind === Delivery.Datagram ? c.datagram?.(state, dir, b, off, end, tsUs) : c.gap?.(state, dir, end);
        if (kept === false) {
          // Let go: no close, no events, and the state is garbage while it is still young.
          this.retire(follow, i);
          this.states[follow.base + i] = undefined;
        } else if (c.done?.(state)) this.retire(follow, i);
      } catch (e) {
        this.failed(c, e);
        this.retire(follow, i);
      }
    }
  }

  /** The whole packet to each consumer still fed that reads packets. */
  private deliverPacket(follow: Follow, dir: Dir, d: PacketDecoder, tsUs: number): void {
    for (let i = 0; i < this.consumers.length; i++) {
      if (!isActive(follow, i)) continue;
      const c = this.consumers[i]!;
      if (c.packet === undefined) continue;
      const state = this.states[follow.base + i];
      try {
        c.packet(state, dir, d, tsUs);
        if (c.done?.(state)) this.retire(follow, i);
      } catch (e) {
        this.failed(c, e);
        this.retire(follow, i);
      }
    }
  }

  private retire(follow: Follow, i: number): void {
    if (!isActive(follow, i)) return;
    setActive(follow, i, false);
    follow.activeCount--;
  }

  private failed(c: Consumer, e: unknown): void {
    void e;
    this.stats.errors++;
    this.weirds.hitName(`${c.name}_error`);
  }
}
