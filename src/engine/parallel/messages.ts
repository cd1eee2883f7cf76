/**
 * What the pool and its workers say to each other (structured-cloned messages; frames never
 * travel this way, they go through the rings).
 */
import type { MessagePort } from 'node:worker_threads';
import type { DefragLimits } from '../../decode/defrag.js';
import type { FlowOptions } from '../../flow/flow-tracker.js';
import type { ReassemblyLimits } from '../../reassembly/tcp-reassembler.js';
import type { RecordFields } from '../consumer.js';
import type { EngineSummary, EventRecord } from '../engine.js';
import type { RingMemory } from './ring.js';

/** The engine options a worker can be given: plain data (consumers are named, not passed). */
export interface SerialEngineOptions {
  flows?: Partial<FlowOptions>;
  defrag?: Partial<DefragLimits>;
  reassembly?: Partial<ReassemblyLimits>;
}

/**
 * A module a worker imports to get more consumers (plugins): its export `createConsumers` (or
 * the one named by `export`) is called with `options` and returns a consumer or an array of
 * them (or a promise of either). They come after the parsers and the classifier.
 */
export interface ConsumerModule {
  /** Module URL (`file:///…`) or absolute path. */
  url: string;
  /** Name of the factory export; default `createConsumers`. */
  export?: string;
  /** Structured-cloneable options handed to the factory. */
  options?: unknown;
}

/**
 * Where a worker's results go: `'fd'` NDJSON written by the worker to a file descriptor;
 * `'ndjson'` NDJSON bytes posted to the main thread; `'records'` snapshot rows posted to the
 * main thread (which builds record objects); `'none'` only the summary.
 */
export type OutputMode = 'fd' | 'ndjson' | 'records' | 'none';

/** Data a worker is started with. */
export interface WorkerInit {
  index: number;
  ring: RingMemory;
  /** One Int32 guarding writes to shared file descriptors (whole blocks of lines). */
  writeLock: SharedArrayBuffer;
  /** Frames too large for the ring, one message per `Oversize` record. */
  side: MessagePort;
}

/** Starts a session: a fresh engine reads the ring until an `End` record. */
export interface StartMessage {
  type: 'start';
  engine: SerialEngineOptions;
  flowIdPrefix: string;
  /** Parser selection for `selectParsers` (`'all'`, `'none'`, names). */
  parsers: string;
  /** JA4 form of the TLS and QUIC parsers. */
  ja4: 'foxio' | 'ndpi';
  /** The application classifier after the parsers (with the user's protocol files), or null. */
  classify: { protos: string[] } | null;
  modules: ConsumerModule[];
  /** A tcpdump-style filter expression for `compileFilter`, or null. */
  filter: string | null;
  events: boolean;
  output: OutputMode;
  /** For output `'fd'`. */
  fd: number;
}

export interface NdjsonMessage {
  type: 'ndjson';
  bytes: Uint8Array;
}

/** A batch of ended flows: `count` snapshot rows, consumer fields and events by row. */
export interface RecordsMessage {
  type: 'records';
  rows: Float64Array;
  count: number;
  fields: Array<[number, RecordFields]>;
  /** Events with the row they come before (`count` for events after the last row). */
  events: Array<[number, EventRecord]>;
}

export interface DoneMessage {
  type: 'done';
  summary: EngineSummary;
  /** Flow records written or posted. */
  flows: number;
  /** Error code of the output (e.g. `EPIPE`), null when all was written. */
  outputError: string | null;
}

export interface FailedMessage {
  type: 'failed';
  message: string;
}

export type WorkerMessage = NdjsonMessage | RecordsMessage | DoneMessage | FailedMessage;
