import { Worker } from 'node:worker_threads';
import type { Engine } from '../engine/engine.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import type { FlowTable } from '../flow/flow-table.js';
import type { RecordFields } from '../engine/consumer.js';
import type { EndReason } from '../flow/flow-tracker.js';
import { appKey, extraFieldsText } from './flow-json-encoder.js';

/** Flows per batch handed to the worker. */
const BATCH_FLOWS = 2048;
/** Distinct `app` values sent by number (far more than any capture has: protocols × confidences). */
const MAX_APP_VALUES = 1 << 16;
/** Batch slots shared with the worker: the packet path waits when all are queued. */
const SLOTS = 8;

/**
 * Writes flow records as NDJSON to a file descriptor from a worker thread. The engine's
 * thread only copies each ended flow into a batch of snapshot rows (no object, no string);
 * the worker builds the records and the text. Order is kept (one worker, batches in order).
 *
 * Batches live in one SharedArrayBuffer of `SLOTS` slots, so nothing is copied or transferred:
 * transferring an ArrayBuffer detaches it, and one detached buffer in the process makes V8
 * check every typed-array access for detachment from then on — a third slower packet path.
 * When the worker falls behind by all slots, the packet path waits: memory stays bounded, and
 * reading a file simply slows down.
 */
export class NdjsonSink {
  private readonly worker: Worker;
  /** [batches queued]: incremented here, decremented by the worker. */
  private readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private readonly rows = new Float64Array(new SharedArrayBuffer(SLOTS * BATCH_FLOWS * SNAPSHOT_FIELDS * 8));
  private slot = 0;
  /**
   * Consumer fields of the batch being filled, as the encoder's text (see `extraFieldsText`):
   * rows that have some, and where each one's text ends in `extraText`.
   */
  private extraRows: number[] = [];
  private extraEnds: number[] = [];
  private extraText = '';
  /** Per row of the batch: the number of its `app` value (-1: none, or sent in `fields`). */
  private readonly appOf = new Int32Array(BATCH_FLOWS);
  /** `app` values by key (see `appKey`): each goes to the worker once, as JSON text, then by number. */
  private readonly appIds = new Map<string, number>();
  /** Frozen `app` objects (the classifier's shared ones) by identity: at most one per value. */
  private readonly appIdByObject = new Map<unknown, number>();
  /** JSON of the `app` values numbered in this batch, in number order. */
  private newApps: string[] = [];
  /** Event lines of the batch: [row they precede, JSON text]. */
  private events: Array<[number, string]> = [];
  private count = 0;
  /** Flows written (or queued). */
  flows = 0;
  private error: string | null = null;

  /** @param events - also write the engine's transaction events, each before its flow's record */
  constructor(engine: Engine, fd: number, events = false) {
    this.worker = new Worker(new URL('./ndjson-worker.js', import.meta.url), {
      workerData: { fd, flowIdPrefix: engine.flowIdPrefixText, inFlight: this.inFlight, rows: this.rows, slotFlows: BATCH_FLOWS },
    });
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error) this.error = m.error;
    });
    engine.on('flow-row', (t: FlowTable, f: number, reason: EndReason, fields: RecordFields) => this.add(t, f, reason, fields));
    // A flow's events are published just before its row: they go out with that row.
    if (events) engine.on('event', (ev) => this.events.push([this.count, JSON.stringify(ev)]));
  }

  /** A line of JSON text (an alert …) written before the next flow record, in order. */
  line(json: string): void {
    this.events.push([this.count, json]);
  }

  private add(t: FlowTable, f: number, reason: EndReason, fields: RecordFields): void {
    snapshotFlow(t, f, reason, this.rows, (this.slot * BATCH_FLOWS + this.count) * SNAPSHOT_FIELDS);
    // The classifier's `app` (on every flow, a few distinct values) travels as a number; the
    // other consumer fields travel as their JSON text, all of a batch in one string:
    // structured-cloning the objects cost more than making the text here.
    const app = fields.app === undefined ? -1 : this.appId(fields.app);
    this.appOf[this.count] = app;
    let text = extraFieldsText(fields);
    if (app < 0 && fields.app !== undefined) text = `,"app":${JSON.stringify(fields.app)}${text}`;
    if (text !== '') {
      this.extraRows.push(this.count);
      this.extraText += text;
      this.extraEnds.push(this.extraText.length);
    }
    this.flows++;
    if (++this.count === BATCH_FLOWS) this.send();
  }

  /** The number of an `app` value, -1 when it has not the contract's shape (or too many values were seen). */
  private appId(app: unknown): number {
    // The classifier shares one frozen object per value: known by identity, no key to build.
    const known = this.appIdByObject.get(app);
    if (known !== undefined) return known;
    const id = this.appIdByValue(app);
    if (id >= 0 && Object.isFrozen(app) && this.appIdByObject.size < MAX_APP_VALUES) this.appIdByObject.set(app, id);
    return id;
  }

  private appIdByValue(app: unknown): number {
    const key = appKey(app);
    if (key === undefined) return -1;
    let id = this.appIds.get(key);
    if (id === undefined) {
      if (this.appIds.size >= MAX_APP_VALUES) return -1;
      id = this.appIds.size;
      this.appIds.set(key, id);
      this.newApps.push(JSON.stringify(app));
    }
    return id;
  }

  private send(): void {
    if (this.count === 0 && this.events.length === 0) return;
    Atomics.add(this.inFlight, 0, 1);
    // Copied, not transferred: a detached buffer would slow every typed-array access (see above).
    this.worker.postMessage({
      slot: this.slot,
      count: this.count,
      extraRows: this.extraRows,
      extraEnds: this.extraEnds,
      extraText: this.extraText,
      events: this.events,
      apps: this.newApps,
      appOf: this.appOf.subarray(0, this.count),
    });
    this.newApps = [];
    this.extraRows = [];
    this.extraEnds = [];
    this.extraText = '';
    this.events = [];
    this.slot = (this.slot + 1) % SLOTS;
    this.count = 0;
    // The next slot is free once fewer than SLOTS batches are queued (the worker goes in order).
    for (let n = Atomics.load(this.inFlight, 0); n >= SLOTS; n = Atomics.load(this.inFlight, 0)) Atomics.wait(this.inFlight, 0, n, 50);
  }

  /** Stops the worker at once, dropping what it has not written (the run failed). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  /**
   * Sends what is left, waits until everything is written and stops the worker. Resolves with
   * the write error code (e.g. `EPIPE`) if output failed, else null.
   */
  async close(): Promise<string | null> {
    this.send();
    await new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: { done?: boolean }) => {
        if (m.done) resolve();
      });
      this.worker.on('error', reject);
      this.worker.postMessage('end');
    });
    await this.worker.terminate();
    return this.error;
  }
}
