import type { FrameSink } from '../capture/frame.js';
import type { PacketFilter } from '../filter/index.js';
import { PacketDecoder, PacketKind } from '../decode/decoder.js';
import { DEFAULT_DEFRAG_LIMITS, type DefragLimits, type DefragStats } from '../decode/defrag.js';
import { WeirdCounters } from '../decode/weirds.js';
import type { FlowTable } from '../flow/flow-table.js';
import { DEFAULT_FLOW_OPTIONS, EndReason, type FlowOptions, type FlowStats, FlowTracker } from '../flow/flow-tracker.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import { buildFlowRecord, type FlowRecord, type FlowUpdate } from '../flow/record.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from '../reassembly/tcp-reassembler.js';
import { type Consumer, type EventFields, NO_FIELDS, type RecordFields } from './consumer.js';
import { BIT_FEED, BIT_FOLLOWED, type ConsumerStats, FlowConsumers } from './flow-consumers.js';

/** Options of one engine. Every limit has a default; see the TSDoc of each type. */
export interface EngineOptions {
  flows?: Partial<FlowOptions>;
  defrag?: Partial<DefragLimits>;
  /** Prepended to flow ids (e.g. a worker number) so ids stay unique across engines. */
  flowIdPrefix?: string;
  /**
   * Consumers of flows beyond counters (protocol parsers, later the classifier and plugins),
   * see `Consumer`. Without any, the engine does no per-flow work beyond its counters.
   */
  consumers?: readonly Consumer[];
  reassembly?: Partial<ReassemblyLimits>;
  /**
   * The packet clock moves only through `advanceClock()`, not with each frame: for an engine
   * fed a share of the frames by a dispatcher that tells it the time of all of them.
   */
  externalClock?: boolean;
  /**
   * A tcpdump-style filter (`compileFilter`): frames it rejects are counted in
   * `filteredPackets` and go no further (not decoded, no flow, no fragment held).
   */
  filter?: PacketFilter;
}

/** Counters of a run, for the summary and for tests. */
export interface EngineSummary {
  /** Frames read. */
  packets: number;
  /** Sum of frame wire lengths. */
  bytes: number;
  /** Sum of captured lengths. */
  capturedBytes: number;
  /** Frames that made (or completed) an IP packet with a flow. */
  ipPackets: number;
  nonIpPackets: number;
  /** Frames no decoder could make sense of (each counted as a weird too). */
  invalidPackets: number;
  /** Frames the `filter` option rejected (not decoded; counted in `packets` and `bytes`). */
  filteredPackets: number;
  /** Fragments that arrived (whole datagrams are counted in ipPackets when complete). */
  fragments: number;
  /** Packet time of the first and last frame, µs since the epoch (0 when no frame). */
  firstTsUs: number;
  lastTsUs: number;
  flows: FlowStats;
  /** Bytes of fixed flow state per flow slot (typed arrays and index). */
  flowStateBytesPerFlow: number;
  defrag: DefragStats;
  /** Consumer stage counters (followed flows, consumer errors, TCP reassembly), when there are consumers. */
  consumers?: ConsumerStats;
  /** Anomaly counters by weird name (only the non-zero ones). */
  weirds: Record<string, number>;
}

/** Listener of ended flows: the record is fresh for each call and the listener may keep it. */
export type FlowListener = (record: FlowRecord) => void;

/**
 * Listener of ended flows that reads the table directly (call `snapshotFlow(t, f, reason, …)`
 * to copy what it needs): the slot is freed right after the call.
 */
export type FlowRowListener = (table: FlowTable, flow: number, reason: EndReason, fields: RecordFields) => void;


/**
 * A transaction event as printed (`--events`): `type` (`http`, `dns`, `tls` …), the
 * `flow_id` of its flow, `ts` (seconds since the epoch), then the parser's fields. A flow's
 * events come just before its flow record.
 */
export interface EventRecord {
  type: string;
  flow_id: string;
  ts: number;
  [field: string]: unknown;
}

/** Listener of transaction events (see `EventRecord`). */
export type EventListener = (event: EventRecord) => void;

/**
 * Listener of transactions as they happen (`engine.on('message')`): `flow` is the engine's
 * handle of the flow (as in `FlowStart.flow`, valid until the flow ends), `event` as printed.
 */
export type MessageListener = (flow: number, event: EventRecord) => void;

/**
 * The packet path of one thread: decode → flow table → records. Feed it frames (it is a
 * `FrameSink`, so a capture reader can drive it), then call `finish()` once at the end of
 * input; every flow is delivered to the `flow` listeners as it ends, in end order.
 *
 * An engine holds no global state: several engines (one per worker) can run side by side,
 * each owning the flows its frames hash to.
 *
 * @example
 * ```ts
 * const engine = new Engine();
 * engine.on('flow', (rec) => console.log(rec.client.ip, rec.server.ip, rec.protocol));
 * await readCapture('capture.pcap', engine);
 * engine.finish();
 * ```
 */
export class Engine implements FrameSink {
  readonly weirds = new WeirdCounters();
  readonly decoder: PacketDecoder;
  readonly tracker: FlowTracker;
  private readonly listeners: FlowListener[] = [];
  private readonly rowListeners: FlowRowListener[] = [];
  private readonly eventListeners: EventListener[] = [];
  private readonly messageListeners: MessageListener[] = [];
  private readonly row = new Float64Array(SNAPSHOT_FIELDS);
  private readonly flowIdPrefix: string;
  private packets = 0;
  private bytes = 0;
  private capturedBytes = 0;
  private ipPackets = 0;
  private nonIpPackets = 0;
  private invalidPackets = 0;
  private filteredPackets = 0;
  private readonly filter: PacketFilter | null;
  private firstTsUs = 0;
  private lastTsUs = 0;
  private finished = false;
  private readonly externalClock: boolean;
  private readonly consumers: FlowConsumers | null;

  constructor(options: EngineOptions = {}) {
    this.decoder = new PacketDecoder(this.weirds, { ...DEFAULT_DEFRAG_LIMITS, ...options.defrag });
    this.flowIdPrefix = options.flowIdPrefix ?? '';
    const flowOptions = { ...DEFAULT_FLOW_OPTIONS, ...options.flows };
    this.tracker = new FlowTracker((t, f, r) => this.flowEnded(t, f, r), flowOptions);
    // Every frame's time moves the clock (not only IP packets'), so that a dispatcher can
    // compute the clock without decoding (engine/parallel).
    this.tracker.autoClock = false;
    this.externalClock = options.externalClock === true;
    this.filter = options.filter ?? null;
    this.consumers =
      options.consumers && options.consumers.length > 0
        ? new FlowConsumers(options.consumers, this.weirds, { ...DEFAULT_REASSEMBLY_LIMITS, ...options.reassembly })
        : null;
    if (this.consumers !== null) this.consumers.flowIdPrefix = this.flowIdPrefix;
  }

  /**
   * Subscribes to ended flows: `'flow'` gets a record object per flow; `'flow-row'` gets the
   * flow's snapshot row (see `snapshotFlow`), for sinks that build records elsewhere (another
   * thread) and want no object made here. Both come in end order.
   */
  on(event: 'flow', listener: FlowListener): this;
  on(event: 'flow-row', listener: FlowRowListener): this;
  on(event: 'event', listener: EventListener): this;
  on(event: 'message', listener: MessageListener): this;
  on(event: 'flow' | 'flow-row' | 'event' | 'message', listener: FlowListener | FlowRowListener | EventListener | MessageListener): this {
    if (event === 'flow') this.listeners.push(listener as FlowListener);
    else if (event === 'flow-row') this.rowListeners.push(listener as FlowRowListener);
    else if (event === 'message') {
      this.messageListeners.push(listener as MessageListener);
      if (this.consumers !== null) {
        this.consumers.liveWanted = true;
        this.consumers.onMessage = this.onMessage;
      }
    } else {
      this.eventListeners.push(listener as EventListener);
      if (this.consumers !== null) this.consumers.eventsWanted = true;
    }
    return this;
  }

  /** The prefix this engine puts before flow numbers (for sinks that build records from rows). */
  get flowIdPrefixText(): string {
    return this.flowIdPrefix;
  }

  /** One captured frame (see `FrameSink`); `data` is only read during the call. */
  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    this.packets++;
    this.bytes += wireLen;
    this.capturedBytes += caplen;
    if (this.packets === 1) this.firstTsUs = tsUs;
    if (tsUs > this.lastTsUs) this.lastTsUs = tsUs;
    if (this.decoder.defrag.pending !== 0) this.decoder.defrag.expire(tsUs, this.onIncompleteDatagram);
    if (!this.externalClock) this.tracker.advance(tsUs);
    // Before decoding, as BPF runs before anything sees the packet: a rejected fragment never
    // reaches the defragmenter (tcpdump's `port 53` keeps a first fragment, not the others).
    if (this.filter !== null && !this.filter.matches(this.decoder, data, offset, caplen, wireLen, linkType)) {
      this.filteredPackets++;
      return;
    }
    const kind = this.decoder.decode(data, offset, caplen, wireLen, linkType, tsUs);
    if (kind === PacketKind.Ip) {
      this.ipPackets += this.decoder.frames;
      this.flowPacket(tsUs);
    } else if (kind === PacketKind.NonIp) this.nonIpPackets++;
    else if (kind === PacketKind.Invalid) this.invalidPackets++;
  }

  /**
   * Moves the packet clock of an `externalClock` engine: what `frame()` does with each frame's
   * time otherwise (fragments and flows time out). A dispatcher sharding frames over engines
   * calls it on every engine whenever its own copy of the clock passes an expiry step (see
   * `expiryStepUs`), so each flow ends where a single engine would end it.
   */
  advanceClock(tsUs: number): void {
    if (this.decoder.defrag.pending !== 0) this.decoder.defrag.expire(tsUs, this.onIncompleteDatagram);
    this.tracker.advance(tsUs);
  }

  /** End of input: drops incomplete fragments and ends every open flow. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.decoder.defrag.flush(this.onIncompleteDatagram);
    this.tracker.flush();
  }

  /** The counters so far. */
  summary(): EngineSummary {
    return {
      packets: this.packets,
      bytes: this.bytes,
      capturedBytes: this.capturedBytes,
      ipPackets: this.ipPackets,
      nonIpPackets: this.nonIpPackets,
      invalidPackets: this.invalidPackets,
      filteredPackets: this.filteredPackets,
      fragments: this.decoder.defrag.stats.fragments,
      firstTsUs: this.firstTsUs,
      lastTsUs: this.lastTsUs,
      flows: { ...this.tracker.stats },
      flowStateBytesPerFlow: this.tracker.table.bytesPerFlow,
      defrag: { ...this.decoder.defrag.stats },
      ...(this.consumers ? { consumers: { ...this.consumers.stats, reassembly: { ...this.consumers.stats.reassembly } } } : {}),
      weirds: this.weirds.toObject(),
    };
  }

  /**
   * The record of flow `f` (a flow-table index, as `FlowStart.flow`) while it is open: its
   * counters so far, for periodic updates. Made on demand, never on the packet path.
   */
  liveRecord(f: number): FlowUpdate {
    snapshotFlow(this.tracker.table, f, EndReason.Active, this.row, 0);
    const { end_reason: _, ...update } = buildFlowRecord(this.row, 0, this.flowIdPrefix);
    return update;
  }

  /** A parser published a transaction: to the message listeners, with the flow's id and time. */
  private readonly onMessage = (f: number, ev: EventFields): void => {
    const t = this.tracker.table;
    const { type, ts, ...rest } = ev;
    const record: EventRecord = { type, flow_id: this.flowIdPrefix + t.serial[f]!, ts: ts ?? Math.round(t.lastTs[f]!) / 1e6, ...rest };
    for (const l of this.messageListeners) l(f, record);
  };

  /** Accounts the frames of a datagram that never completed (see `Defragmenter.expire`). */
  private readonly onIncompleteDatagram = (): void => {
    if (this.decoder.decodeIncomplete() === PacketKind.Ip) {
      this.ipPackets += this.decoder.frames;
      this.flowPacket(this.decoder.defrag.outLastTs);
    }
  };

  /** The decoded packet goes to its flow, and to the consumers that follow the flow. */
  private flowPacket(tsUs: number): void {
    const tracker = this.tracker;
    const f = tracker.packet(this.decoder, tsUs);
    const consumers = this.consumers;
    if (consumers === null) return;
    const t = tracker.table;
    if (tracker.created) consumers.open(t, f, this.decoder, tsUs);
    if ((t.bits[f]! & BIT_FEED) !== 0) consumers.packet(t, f, this.decoder, tracker.dir, tsUs);
  }

  /** Transaction events of a flow, before its record: `type`, `flow_id`, `ts`, then the fields. */
  private publishEvents(t: FlowTable, f: number, events: EventFields[]): void {
    const flowId = this.flowIdPrefix + t.serial[f]!;
    const lastSeen = Math.round(t.lastTs[f]!) / 1e6;
    for (const ev of events) {
      const { type, ts, ...rest } = ev;
      const record: EventRecord = { type, flow_id: flowId, ts: ts ?? lastSeen, ...rest };
      for (const l of this.eventListeners) l(record);
    }
  }

  private flowEnded(t: FlowTable, f: number, reason: EndReason): void {
    let fields = NO_FIELDS;
    if (this.consumers !== null && (t.bits[f]! & BIT_FOLLOWED) !== 0) {
      const events: EventFields[] | undefined = this.eventListeners.length > 0 ? [] : undefined;
      fields = this.consumers.close(f, events);
      if (events !== undefined && events.length > 0) this.publishEvents(t, f, events);
    }
    const rows = this.rowListeners.length;
    for (let i = 0; i < rows; i++) this.rowListeners[i]!(t, f, reason, fields);
    const n = this.listeners.length;
    if (n === 0) return;
    snapshotFlow(t, f, reason, this.row, 0);
    const rec = buildFlowRecord(this.row, 0, this.flowIdPrefix, fields);
    for (let i = 0; i < n; i++) this.listeners[i]!(rec);
  }
}
