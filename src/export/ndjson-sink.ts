import { Worker } from 'node:worker_threads';
import type { Engine } from '../engine/engine.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import type { FlowTable } from '../flow/flow-table.js';
import type { EndReason } from '../flow/flow-tracker.js';

/** Flows per batch handed to the worker. */
const BATCH_FLOWS = 2048;
/** Batches queued before the packet path waits for the worker (bounds the memory held). */
const MAX_IN_FLIGHT = 16;

/**
 * Writes flow records as NDJSON to a file descriptor from a worker thread. The engine's
 * thread only copies each ended flow into a batch of snapshot rows (no object, no string);
 * the worker builds the records and the text. Order is kept (one worker, batches in order).
 * When the worker falls behind by `MAX_IN_FLIGHT` batches, the packet path waits: memory stays
 * bounded, and reading a file simply slows down.
 */
export class NdjsonSink {
  private readonly worker: Worker;
  private readonly inFlight = new Int32Array(new SharedArrayBuffer(4));
  private rows = new Float64Array(BATCH_FLOWS * SNAPSHOT_FIELDS);
  /** Batches the worker has finished with, ready for reuse. */
  private readonly free: Float64Array<ArrayBuffer>[] = [];
  private count = 0;
  /** Flows written (or queued). */
  flows = 0;
  private error: string | null = null;

  constructor(engine: Engine, fd: number) {
    this.worker = new Worker(new URL('./ndjson-worker.js', import.meta.url), {
      workerData: { fd, flowIdPrefix: engine.flowIdPrefixText, inFlight: this.inFlight },
    });
    this.worker.on('message', (m: { error?: string; rows?: Float64Array<ArrayBuffer> }) => {
      if (m.error) this.error = m.error;
      if (m.rows) this.free.push(m.rows);
    });
    engine.on('flow-row', (t: FlowTable, f: number, reason: EndReason) => this.add(t, f, reason));
  }

  private add(t: FlowTable, f: number, reason: EndReason): void {
    snapshotFlow(t, f, reason, this.rows, this.count * SNAPSHOT_FIELDS);
    this.flows++;
    if (++this.count === BATCH_FLOWS) this.send();
  }

  private send(): void {
    if (this.count === 0) return;
    while (Atomics.load(this.inFlight, 0) >= MAX_IN_FLIGHT) Atomics.wait(this.inFlight, 0, Atomics.load(this.inFlight, 0), 50);
    Atomics.add(this.inFlight, 0, 1);
    this.worker.postMessage({ rows: this.rows, count: this.count }, [this.rows.buffer as ArrayBuffer]);
    this.rows = this.free.pop() ?? new Float64Array(BATCH_FLOWS * SNAPSHOT_FIELDS);
    this.count = 0;
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
