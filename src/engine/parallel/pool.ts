/**
 * Worker threads with their rings, kept between sessions: one capture after another (or many
 * small ones, as the tests do) pays for thread start-up and module loading once.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { StartMessage, WorkerInit, WorkerMessage } from './messages.js';
import { allocateRing, RingWriter } from './ring.js';

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Bytes of each worker's frame ring; frames above a quarter of it go by message. Default
   * 16 MiB (4 MiB each beyond 8 workers): a ring must hold a burst of one worker's frames —
   * one big transfer — while the reader gets past it to the other workers' frames.
   */
  ringBytes?: number;
}

/** Receives one worker's messages during a session. */
export interface SessionListener {
  message(worker: number, m: WorkerMessage): void;
  /** The worker thread itself failed (uncaught error, exit). */
  error(worker: number, e: Error): void;
}

/** One worker as the pool sees it. */
export interface PoolMember {
  readonly worker: Worker;
  readonly ring: RingWriter;
  /** Main-thread end of the worker's side channel (oversize frames). */
  readonly side: MessagePort;
}

/** Ring memory of a pool by default: 16 MiB per worker, 128 MiB at most (4 MiB per worker at least). */
function defaultRingBytes(workers: number): number {
  return Math.max(4 << 20, Math.min(16 << 20, Math.floor((128 << 20) / workers / 8) * 8));
}

/**
 * The worker's entry: the compiled module, or under tsx (the tests run TypeScript) a bootstrap
 * that registers tsx in the new thread first (Node 20 does not carry module hooks into workers).
 */
function workerEntry(): URL | string {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker-main.js', import.meta.url);
  const url = new URL('./worker-main.ts', import.meta.url).href;
  return `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
}

/** Below this, a capture file is read in one thread by default: starting workers costs more. */
export const PARALLEL_MIN_BYTES = 64 << 20;

/**
 * The default worker count: the cores Node may use (1 on a single core); for a capture file
 * (`path`), 1 when it is smaller than {@link PARALLEL_MIN_BYTES} or not a regular file.
 */
export function defaultWorkerCount(path?: string): number {
  if (path !== undefined) {
    try {
      const st = statSync(path);
      if (!st.isFile() || st.size < PARALLEL_MIN_BYTES) return 1;
    } catch {
      return 1; // the reader reports a missing or unreadable file
    }
  }
  return Math.max(1, availableParallelism());
}

/**
 * `size` worker threads, each with its own frame ring in shared memory. A pool runs one
 * session at a time (one `ParallelEngine`); close it when done, or its threads keep running
 * idle (they do not keep the process alive between sessions).
 */
export class WorkerPool {
  readonly size: number;
  readonly members: readonly PoolMember[];
  private listener: SessionListener | null = null;
  private closed = false;

  constructor(size: number, options: WorkerPoolOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a worker pool needs a whole number of workers >= 1');
    this.size = size;
    const writeLock = new SharedArrayBuffer(4);
    const entry = workerEntry();
    const members: PoolMember[] = [];
    for (let i = 0; i < size; i++) {
      const ring = allocateRing(options.ringBytes ?? defaultRingBytes(size));
      const channel = new MessageChannel();
      const init: WorkerInit = { index: i, ring, writeLock, side: channel.port2 };
      // The port is transferred (ports must be); no ArrayBuffer ever is.
      const worker = new Worker(entry, { eval: typeof entry === 'string', workerData: init, transferList: [channel.port2] });
      worker.on('message', (m: WorkerMessage) => this.listener?.message(i, m));
      worker.on('error', (e: Error) => this.listener?.error(i, e));
      worker.on('exit', (code) => {
        if (!this.closed) this.listener?.error(i, new Error(`worker ${i} exited (code ${code})`));
      });
      worker.unref();
      members.push({ worker, ring: new RingWriter(ring), side: channel.port1 });
    }
    this.members = members;
  }

  /** True while a session runs. */
  get busy(): boolean {
    return this.listener !== null;
  }

  /**
   * Starts a session on every worker (`prefixes[i]` names worker i's flows). The threads do
   * not hold the process open (see `hold()`): a run abandoned on an error lets it exit.
   */
  startSession(listener: SessionListener, start: Omit<StartMessage, 'type' | 'flowIdPrefix'>, prefixes: readonly string[]): void {
    if (this.closed) throw new Error('the worker pool is closed');
    if (this.listener !== null) throw new Error('the worker pool is already running a session');
    this.listener = listener;
    for (let i = 0; i < this.size; i++) {
      const m = this.members[i]!;
      if (!m.ring.drained) throw new Error(`worker ${i}: ring not empty at session start`);
      const msg: StartMessage = { type: 'start', ...start, flowIdPrefix: prefixes[i]! };
      m.worker.postMessage(msg);
    }
  }

  /** While something waits for the workers' answers, they must keep the process alive. */
  hold(on: boolean): void {
    for (const m of this.members) {
      if (on) m.worker.ref();
      else m.worker.unref();
    }
  }

  /** The session is over (or failed): the pool may be idle again. */
  endSession(): void {
    this.listener = null;
    this.hold(false);
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener = null;
    for (const m of this.members) m.side.close();
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
