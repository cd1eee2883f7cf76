/**
 * Worker side of `NdjsonSink`: turns batches of flow snapshot rows into NDJSON and writes them
 * straight to the output file descriptor, so formatting (most of the cost of printing records)
 * runs on another core than the packet path.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SNAPSHOT_FIELDS } from '../flow/flow-snapshot.js';
import { appFieldBytes, FlowJsonEncoder } from './flow-json-encoder.js';

interface Init {
  fd: number;
  flowIdPrefix: string;
  /** [batches in flight]: decremented here after each batch, waited on by the main thread. */
  inFlight: Int32Array;
  /** The shared batch slots (snapshot rows). */
  rows: Float64Array;
  /** Flows per slot. */
  slotFlows: number;
}

const { fd, flowIdPrefix, inFlight, rows, slotFlows } = workerData as Init;
const port = parentPort!;
let failed = false;

const encoder = new FlowJsonEncoder(flowIdPrefix, 4 << 20);
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(buf: Uint8Array, length: number): void {
  let off = 0;
  while (off < length) {
    try {
      off += writeSync(fd, buf, off, length - off);
    } catch (e) {
      // A non-blocking pipe that is full: wait a little and retry. Anything else (EPIPE: the
      // reader went away) ends the output.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2);
      else throw e;
    }
  }
}

/** Encoded `app` values by number, as the main thread numbered them. */
const apps: Uint8Array[] = [];

interface Batch {
  slot: number;
  count: number;
  /** Rows with consumer fields other than a numbered `app`, in order; their text ends at `extraEnds` in `extraText`. */
  extraRows: number[];
  extraEnds: number[];
  extraText: string;
  events: Array<[number, string]>;
  /** JSON of the `app` values numbered in this batch (the next numbers, in order). */
  apps: string[];
  /** Per row: its `app` value's number, -1 for none (or in `fields`). */
  appOf: Int32Array;
}

port.on('message', (msg: Batch | 'end') => {
  if (msg === 'end') {
    port.postMessage({ done: true });
    return;
  }
  try {
    for (const json of msg.apps) apps.push(appFieldBytes(json));
    if (!failed) {
      const base = msg.slot * slotFlows;
      let next = 0;
      let textFrom = 0;
      let nextEvent = 0;
      for (let i = 0; i < msg.count; i++) {
        for (; nextEvent < msg.events.length && msg.events[nextEvent]![0] === i; nextEvent++) encoder.text(msg.events[nextEvent]![1]);
        let rest: string | undefined;
        if (msg.extraRows[next] === i) {
          const end = msg.extraEnds[next++]!;
          rest = msg.extraText.slice(textFrom, end);
          textFrom = end;
        }
        const app = msg.appOf[i]!;
        encoder.encode(rows, (base + i) * SNAPSHOT_FIELDS, undefined, app < 0 ? undefined : apps[app], rest);
      }
      // Events of flows not yet ended when the batch was sent (at the end of input).
      for (; nextEvent < msg.events.length; nextEvent++) encoder.text(msg.events[nextEvent]![1]);
      const bytes = encoder.take();
      writeAll(bytes, bytes.length);
    }
  } catch (e) {
    failed = true;
    port.postMessage({ error: (e as NodeJS.ErrnoException).code ?? String(e) });
  } finally {
    Atomics.sub(inFlight, 0, 1);
    Atomics.notify(inFlight, 0);
  }
});
