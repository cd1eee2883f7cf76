/**
 * A worker thread of the parallel engine: for each session it builds its own `Engine` (its
 * own consumers, imported here), reads frames from its ring until the `End` record, writes or
 * posts its flow records, and answers with its summary. Between sessions it idles, so a pool
 * of workers serves many captures.
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { FlowJsonEncoder } from '../../export/flow-json-encoder.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../../flow/flow-snapshot.js';
import type { Consumer, RecordFields } from '../consumer.js';
import { Engine, type EventRecord } from '../engine.js';
import type { StartMessage, WorkerInit, WorkerMessage } from './messages.js';
import { RecordKind, RingReader } from './ring.js';

/** NDJSON is written (or posted) in blocks of about this many bytes. */
const OUTPUT_BLOCK = 256 << 10;
/** Flows per `records` batch. */
const BATCH_FLOWS = 1024;
/** With the ring empty, buffered output older than this goes out (live input trickles). */
const IDLE_FLUSH_MS = 100;

const init = workerData as WorkerInit;
const port = parentPort!;
const reader = new RingReader(init.ring);
const writeLock = new Int32Array(init.writeLock);
const pause = new Int32Array(new SharedArrayBuffer(4));

function post(m: WorkerMessage): void {
  port.postMessage(m);
}

/** Where one session's records go; see `OutputMode`. */
class Output {
  flows = 0;
  error: string | null = null;
  private readonly encoder: FlowJsonEncoder | null;
  private readonly row = new Float64Array(SNAPSHOT_FIELDS);
  private rows: Float64Array | null = null;
  private count = 0;
  private fields: Array<[number, RecordFields]> = [];
  private events: Array<[number, EventRecord]> = [];
  private lastFlush = performance.now();

  constructor(
    private readonly start: StartMessage,
    engine: Engine,
  ) {
    const mode = start.output;
    this.encoder = mode === 'fd' || mode === 'ndjson' ? new FlowJsonEncoder(start.flowIdPrefix, OUTPUT_BLOCK + (64 << 10)) : null;
    if (mode === 'records') this.rows = new Float64Array(BATCH_FLOWS * SNAPSHOT_FIELDS);
    const encoder = this.encoder;
    if (encoder !== null) {
      // Events come just before their flow's row: in the same block, in that order.
      if (start.events) engine.on('event', (ev) => encoder.text(JSON.stringify(ev)));
      engine.on('flow-row', (t, f, reason, fields) => {
        this.flows++;
        snapshotFlow(t, f, reason, this.row, 0);
        encoder.encode(this.row, 0, fields);
        if (encoder.pos >= OUTPUT_BLOCK) this.flush();
      });
    } else if (this.rows !== null) {
      const rows = this.rows;
      if (start.events) engine.on('event', (ev) => this.events.push([this.count, ev]));
      engine.on('flow-row', (t, f, reason, fields) => {
        this.flows++;
        snapshotFlow(t, f, reason, rows, this.count * SNAPSHOT_FIELDS);
        for (const _ in fields) {
          this.fields.push([this.count, fields]);
          break;
        }
        if (++this.count === BATCH_FLOWS) this.flush();
      });
    } else engine.on('flow-row', () => this.flows++);
  }

  /** The ring is empty: send what waited long enough (live input). */
  idle(): void {
    if (performance.now() - this.lastFlush >= IDLE_FLUSH_MS) this.flush();
  }

  flush(): void {
    this.lastFlush = performance.now();
    const encoder = this.encoder;
    if (encoder !== null) {
      if (encoder.pos === 0) return;
      const bytes = encoder.take();
      if (this.start.output === 'ndjson') post({ type: 'ndjson', bytes: bytes.slice() });
      else if (this.error === null) this.write(bytes);
      return;
    }
    if (this.rows === null || (this.count === 0 && this.events.length === 0)) return;
    post({ type: 'records', rows: this.rows.slice(0, this.count * SNAPSHOT_FIELDS), count: this.count, fields: this.fields, events: this.events });
    this.count = 0;
    this.fields = [];
    this.events = [];
  }

  /**
   * Writes whole lines under the shared lock: workers share the descriptor, and a pipe may
   * take a large write in pieces, so without the lock two workers' lines could interleave.
   */
  private write(bytes: Uint8Array): void {
    while (Atomics.compareExchange(writeLock, 0, 0, 1) !== 0) Atomics.wait(writeLock, 0, 1, 10);
    try {
      let off = 0;
      while (off < bytes.length) {
        try {
          off += writeSync(this.start.fd, bytes, off, bytes.length - off);
        } catch (e) {
          // A full non-blocking pipe: wait a little. Anything else (EPIPE) ends the output.
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
          else {
            this.error = (e as NodeJS.ErrnoException).code ?? String(e);
            return;
          }
        }
      }
    } finally {
      Atomics.store(writeLock, 0, 0);
      Atomics.notify(writeLock, 0, 1);
    }
  }
}

/** The consumers of a session, in the CLI's order: parsers, classifier (it reads their names), plugins. */
async function consumersFor(start: StartMessage): Promise<Consumer[]> {
  const out: Consumer[] = [];
  if (start.parsers !== 'none' && start.parsers !== '') out.push(...(await import('../../protocols/index.js')).selectParsers(start.parsers, { ja4: start.ja4 }));
  if (start.classify !== null) out.push((await import('../../classify/index.js')).classifierConsumer({ protos: start.classify.protos }));
  for (const m of start.modules) {
    const mod = (await import(m.url.startsWith('file:') ? m.url : pathToFileURL(m.url).href)) as Record<string, unknown>;
    const factory = mod[m.export ?? 'createConsumers'];
    if (typeof factory !== 'function') throw new Error(`${m.url}: no ${m.export ?? 'createConsumers'} export`);
    const made = (await factory(m.options)) as Consumer | Consumer[];
    out.push(...(Array.isArray(made) ? made : [made]));
  }
  return out;
}

/** The next oversize frame from the side channel (posted right after its record was written). */
function takeOversize(): Uint8Array {
  for (;;) {
    const m = receiveMessageOnPort(init.side);
    if (m !== undefined) return m.message as Uint8Array;
    Atomics.wait(pause, 0, 0, 1);
  }
}

async function session(start: StartMessage): Promise<void> {
  const filter = start.filter === null ? undefined : (await import('../../filter/index.js')).compileFilter(start.filter);
  const engine = new Engine({ ...start.engine, consumers: await consumersFor(start), filter, flowIdPrefix: start.flowIdPrefix, externalClock: true });
  const out = new Output(start, engine);
  const onMarker = (kind: number, value: number, wireLen: number, linkType: number): boolean => {
    if (kind === RecordKind.Clock) engine.advanceClock(value);
    else if (kind === RecordKind.End) return true;
    else if (kind === RecordKind.Oversize) {
      const bytes = takeOversize();
      engine.frame(bytes, 0, bytes.length, wireLen, value, linkType);
    }
    return false;
  };
  // One synchronous loop per session: frames arrive through shared memory, not messages.
  for (;;) {
    const n = reader.drain(engine, onMarker);
    if (reader.stopped) break;
    if (n === 0) {
      out.idle();
      reader.wait(IDLE_FLUSH_MS);
    }
  }
  engine.finish();
  out.flush();
  post({ type: 'done', summary: engine.summary(), flows: out.flows, outputError: out.error });
}

port.on('message', (m: StartMessage) => {
  if (m.type !== 'start') return;
  session(m).catch((e: unknown) => {
    // The producer must not wait for room that will never come.
    reader.fail();
    post({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
});
