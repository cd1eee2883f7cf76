/**
 * The multi-core engine: this thread reads and dispatches frames, N worker threads each run
 * their own `Engine` over the flows that hash to them, and their results meet again here (or
 * go straight to the output descriptor).
 */
import type { FrameSink } from '../../capture/frame.js';
import { DEFAULT_FLOW_OPTIONS, expiryStepUs } from '../../flow/flow-tracker.js';
import { SNAPSHOT_FIELDS } from '../../flow/flow-snapshot.js';
import { buildFlowRecord } from '../../flow/record.js';
import type { EngineSummary, EventListener, FlowListener } from '../engine.js';
import { Dispatcher, type WhenBehind } from './dispatcher.js';
import { mergeSummaries } from './merge-summary.js';
import type { ConsumerModule, DoneMessage, OutputMode, SerialEngineOptions, WorkerMessage } from './messages.js';
import { type SessionListener, WorkerPool, type WorkerPoolOptions } from './pool.js';

export { defaultWorkerCount, WorkerPool } from './pool.js';

/** Options of {@link ParallelEngine}; all plain data, since each worker builds its own engine. */
export interface ParallelEngineOptions extends WorkerPoolOptions {
  /** Worker threads to start (>= 1), or a pool to run on (left open by `finish()`). */
  workers: number | WorkerPool;
  /**
   * Engine options for every worker. `flows.maxFlows` is for the whole run: each worker holds
   * at most its share (rounded up). Defragmentation and reassembly limits are per worker.
   */
  engine?: SerialEngineOptions;
  /** Protocol parsers each worker runs (`selectParsers` syntax: `'all'`, `'none'`, names). Default `'none'`. */
  parsers?: string;
  /** JA4 as its specification (`foxio`, default) or as ndpiReader writes it (`ndpi`). */
  ja4?: 'foxio' | 'ndpi';
  /** Each worker runs the application classifier after the parsers (`--protos` files given by path). */
  classify?: { protos?: string[] };
  /** More consumer modules each worker imports (plugins); see `ConsumerModule`. */
  modules?: ConsumerModule[];
  /**
   * A tcpdump-style filter expression: each worker compiles it (`compileFilter`) and counts
   * the frames it rejects, as one engine would.
   */
  filter?: string;
  /** Transaction events too (NDJSON lines before their flow, or `'event'` listeners). */
  events?: boolean;
  /**
   * `'fd'`: workers write NDJSON to `fd` themselves, whole lines, in no particular order
   * between workers (a flow's events still come just before it). `'ndjson'`: the NDJSON bytes
   * come to `'ndjson'` listeners here. `'records'` (default): `'flow'` and `'event'` listeners
   * get objects, built here. `'none'`: summaries only.
   */
  output?: OutputMode;
  /** Output descriptor for `output: 'fd'`. */
  fd?: number;
  /** `'wait'` (default; files) or `'drop'` when a worker falls behind (live capture); see `Dispatcher`. */
  whenBehind?: WhenBehind;
}

/** The merged summary, with how the frames were spread. */
export interface ParallelSummary extends EngineSummary {
  workers: {
    count: number;
    /** Frames handed to each worker. */
    frames: number[];
    /** Frames dropped because a worker was behind (`whenBehind: 'drop'`). */
    dropped: number;
  };
}

/** Listener of NDJSON output (`output: 'ndjson'`): whole lines, the bytes are the listener's. */
export type NdjsonListener = (bytes: Uint8Array) => void;

/**
 * Spreads flows over worker threads. Feed it frames like an `Engine` (it is a `FrameSink`),
 * then `await finish()`. Frames are sharded by a symmetric hash of the IP address pair their
 * flow key comes from (`FrameSharder`), so both directions of a flow and all fragments of a
 * datagram meet in one worker; each worker's engine is told the packet clock of all frames,
 * so flows end exactly as they would in one engine (while the flow and fragment limits are
 * not reached). Flow ids differ — they carry the worker (`w0-17`) — and records come in no
 * global order. State shared between flows (expectations, the classifier's DNS cache) is
 * per worker.
 *
 * @example
 * ```ts
 * const pe = new ParallelEngine({ workers: 2, parsers: 'all', output: 'fd', fd: 1 });
 * await readCapture('big.pcap', pe);
 * const summary = await pe.finish();
 * ```
 */
export class ParallelEngine implements FrameSink {
  private readonly pool: WorkerPool;
  private readonly ownPool: boolean;
  private readonly dispatcher: Dispatcher;
  private readonly prefixes: string[];
  private readonly flowListeners: FlowListener[] = [];
  private readonly eventListeners: EventListener[] = [];
  private readonly ndjsonListeners: NdjsonListener[] = [];
  private readonly done: Array<DoneMessage | null>;
  private readonly finished: Promise<void>;
  private settle!: (e?: Error) => void;
  private failure: Error | null = null;
  private result: ParallelSummary | null = null;
  private ending: Promise<ParallelSummary> | null = null;

  constructor(options: ParallelEngineOptions) {
    this.ownPool = typeof options.workers === 'number';
    this.pool = typeof options.workers === 'number' ? new WorkerPool(options.workers, options) : options.workers;
    const n = this.pool.size;
    const flows = { ...DEFAULT_FLOW_OPTIONS, ...options.engine?.flows };
    const engine: SerialEngineOptions = { ...options.engine, flows: { ...flows, maxFlows: Math.ceil(flows.maxFlows / n) } };
    const output = options.output ?? 'records';
    if (output === 'fd' && options.fd === undefined) throw new RangeError("output 'fd' needs fd");
    this.prefixes = Array.from({ length: n }, (_, i) => `w${i}-`);
    this.done = new Array<DoneMessage | null>(n).fill(null);
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = (e) => (e ? reject(e) : resolve());
    });
    // Rejections are reported by finish(); until then, nobody may be listening.
    this.finished.catch(() => undefined);
    this.dispatcher = new Dispatcher(
      this.pool.members.map((m) => m.ring),
      { expiryStepUs: expiryStepUs(flows), whenBehind: options.whenBehind ?? 'wait', oversize: this.pool.members.map((m) => m.side) },
    );
    const listener: SessionListener = {
      message: (w, m) => this.onMessage(w, m),
      error: (w, e) => this.fail(new Error(`worker ${w}: ${e.message}`)),
    };
    this.pool.startSession(
      listener,
      {
        engine,
        parsers: options.parsers ?? 'none',
        ja4: options.ja4 ?? 'foxio',
        classify: options.classify ? { protos: options.classify.protos ?? [] } : null,
        modules: options.modules ?? [],
        filter: options.filter ?? null,
        events: options.events === true,
        output,
        fd: options.fd ?? -1,
      },
      this.prefixes,
    );
  }

  /** Worker threads in use. */
  get workers(): number {
    return this.pool.size;
  }

  /**
   * `'flow'`: a record object per flow; `'event'`: transaction events, each before its flow's
   * record (with `output: 'records'`). `'ndjson'`: blocks of NDJSON lines (`output: 'ndjson'`).
   * Listeners run on this thread, between reads.
   */
  on(event: 'flow', listener: FlowListener): this;
  on(event: 'event', listener: EventListener): this;
  on(event: 'ndjson', listener: NdjsonListener): this;
  on(event: 'flow' | 'event' | 'ndjson', listener: FlowListener | EventListener | NdjsonListener): this {
    if (event === 'flow') this.flowListeners.push(listener as FlowListener);
    else if (event === 'event') this.eventListeners.push(listener as EventListener);
    else this.ndjsonListeners.push(listener as NdjsonListener);
    return this;
  }

  /** One captured frame (see `FrameSink`): copied to its worker's ring. */
  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    this.dispatcher.frame(data, offset, caplen, wireLen, tsUs, linkType);
  }

  /** Hands the frames so far to the workers now (a live source calls it when input pauses). */
  flush(): void {
    this.dispatcher.flush();
  }

  /**
   * Moves every worker's packet clock (see `Engine.advanceClock`): a live source calls it with
   * the wall clock so that flows end on a quiet link too. Also flushes.
   */
  advanceClock(tsUs: number): void {
    this.dispatcher.advanceClock(tsUs);
    this.dispatcher.flush();
  }

  /**
   * End of input: waits until every worker has ended its flows and reported, and resolves
   * with the merged summary. Rejects when a worker failed. Closes the pool it started.
   */
  finish(): Promise<ParallelSummary> {
    this.ending ??= this.end();
    return this.ending;
  }

  /** The merged summary (after `finish()`). */
  summary(): ParallelSummary {
    if (this.result === null) throw new Error('ParallelEngine.summary() is known after finish()');
    return this.result;
  }

  /** Why the run failed, once a worker has failed (null otherwise). */
  get error(): Error | null {
    return this.failure;
  }

  /** Stops the workers after a failure (or to abandon the run); the pool it was given stays open. */
  async close(): Promise<void> {
    this.pool.endSession();
    if (this.ownPool) await this.pool.close();
  }

  private async end(): Promise<ParallelSummary> {
    this.pool.hold(true);
    try {
      if (this.failure === null) this.dispatcher.end();
      await this.finished;
    } catch (e) {
      await this.close();
      throw this.failure ?? e;
    }
    this.pool.endSession();
    if (this.ownPool) await this.pool.close();
    const parts = this.done.map((d) => d!.summary);
    const d = this.dispatcher;
    const dropped = d.dropped.reduce((a, b) => a + b, 0);
    this.result = { ...mergeSummaries(parts, d.firstTsUs, d.lastTsUs), workers: { count: this.pool.size, frames: Array.from(d.frames), dropped } };
    return this.result;
  }

  /** Flow records written or delivered by the workers (after `finish()`). */
  get flows(): number {
    return this.done.reduce((n, m) => n + (m?.flows ?? 0), 0);
  }

  /** The first output error a worker met (e.g. `EPIPE`), null when all was written. */
  get outputError(): string | null {
    for (const m of this.done) if (m?.outputError) return m.outputError;
    return null;
  }

  private onMessage(w: number, m: WorkerMessage): void {
    switch (m.type) {
      case 'ndjson':
        for (const l of this.ndjsonListeners) l(m.bytes);
        return;
      case 'records': {
        let e = 0;
        let f = 0;
        for (let i = 0; i < m.count; i++) {
          for (; e < m.events.length && m.events[e]![0] === i; e++) this.emitEvent(m.events[e]![1]);
          // Rows with consumer fields are listed in row order.
          const fields = f < m.fields.length && m.fields[f]![0] === i ? m.fields[f++]![1] : undefined;
          if (this.flowListeners.length === 0) continue;
          const rec = buildFlowRecord(m.rows, i * SNAPSHOT_FIELDS, this.prefixes[w], fields);
          for (const l of this.flowListeners) l(rec);
        }
        for (; e < m.events.length; e++) this.emitEvent(m.events[e]![1]);
        return;
      }
      case 'done':
        this.done[w] = m;
        if (this.done.every((x) => x !== null)) this.settle();
        return;
      case 'failed':
        this.fail(new Error(`worker ${w} failed: ${m.message}`));
        return;
    }
  }

  private emitEvent(ev: Parameters<EventListener>[0]): void {
    for (const l of this.eventListeners) l(ev);
  }

  private fail(e: Error): void {
    if (this.failure !== null || this.result !== null) return;
    this.failure = e;
    this.settle(e);
    // The threads must not keep the process alive after a failure, even if nobody calls finish().
    void this.close();
  }
}
