/**
 * The reading thread's side of the parallel engine: a `FrameSink` that copies each frame into
 * the ring of the worker its outer address pair hashes to, and keeps the packet clock for all
 * workers (a worker only sees its own frames, but timeouts must fall where one engine would
 * put them).
 */
import type { FrameSink } from '../../capture/frame.js';
import { RecordKind, recordBytes, type RingWriter } from './ring.js';
import { FrameSharder } from './shard.js';

/** What to do with a frame when its worker's ring is full. */
export type WhenBehind = 'wait' | 'drop';

/** Where frames too large for a ring go (a message on the worker's side channel). */
export interface OversizeChannel {
  postMessage(bytes: Uint8Array): void;
}

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  /**
   * Packet time between expiry runs (`expiryStepUs(flowOptions)`): whenever the clock passes
   * a step, every worker is told the time, exactly where a single engine would expire flows.
   */
  expiryStepUs: number;
  /**
   * `'wait'` (files): the reader sleeps until the worker makes room, nothing is lost.
   * `'drop'` (live capture): the frame is dropped and counted in `dropped`, the reader goes on.
   */
  whenBehind?: WhenBehind;
  /** Side channel per worker for frames bigger than a quarter of its ring. */
  oversize?: readonly OversizeChannel[];
}

/** Raised when a worker stopped and its ring will never drain. */
export class WorkerStoppedError extends Error {
  constructor(readonly worker: number) {
    super(`worker ${worker} stopped`);
  }
}

/**
 * Shards frames over rings by a symmetric hash of the address pair their flow key comes from
 * (`FrameSharder`); frames without an IP header (ARP, undecodable) go to worker 0. Records become visible to the workers
 * in batches (the rings publish every few tens of KiB); call `flush()` when input pauses
 * (a live source between reads) and `end()` once at the end.
 */
export class Dispatcher implements FrameSink {
  private readonly sharder = new FrameSharder();
  private readonly n: number;
  private readonly wait: boolean;
  private readonly step: number;
  private clockUs = 0;
  private nextExpiryUs = 0;
  /** Per worker: a clock record that did not fit (drop mode), when `owes` is set. */
  private readonly owedClock: Float64Array;
  private readonly owes: Uint8Array;
  /** Frames handed to each worker. */
  readonly frames: Float64Array;
  /** Frames dropped per worker because its ring was full (drop mode only). */
  readonly dropped: Float64Array;
  /** Time of the first frame and the latest time seen, µs (0 before any frame). */
  firstTsUs = 0;
  lastTsUs = 0;
  private seen = 0;

  constructor(
    private readonly rings: readonly RingWriter[],
    private readonly options: DispatcherOptions,
  ) {
    this.n = rings.length;
    if (this.n < 1) throw new RangeError('a dispatcher needs at least one ring');
    this.wait = (options.whenBehind ?? 'wait') === 'wait';
    this.step = options.expiryStepUs;
    this.owedClock = new Float64Array(this.n);
    this.owes = new Uint8Array(this.n);
    this.frames = new Float64Array(this.n);
    this.dropped = new Float64Array(this.n);
  }

  /** Frames seen (handed on or dropped). */
  get packets(): number {
    return this.seen;
  }

  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    if (this.seen++ === 0) this.firstTsUs = tsUs;
    if (tsUs > this.lastTsUs) this.lastTsUs = tsUs;
    if (tsUs > this.clockUs) this.advanceClock(tsUs);
    const h = this.n === 1 ? 0 : this.sharder.hash(data, offset, offset + caplen, linkType);
    const w = h < 0 ? 0 : h % this.n;
    const ring = this.rings[w]!;
    if (this.owes[w] !== 0 && !this.payClock(w)) {
      this.dropped[w]++;
      return;
    }
    if (recordBytes(caplen) > ring.maxRecord) {
      this.oversized(w, data, offset, caplen, wireLen, tsUs, linkType);
      return;
    }
    if (!ring.tryFrame(data, offset, caplen, wireLen, tsUs, linkType)) {
      if (!this.wait) {
        this.dropped[w]++;
        return;
      }
      this.waitFor(w, recordBytes(caplen));
      ring.tryFrame(data, offset, caplen, wireLen, tsUs, linkType);
    }
    this.frames[w]++;
  }

  /**
   * Moves the packet clock (every frame does; a live source also calls it with the wall
   * clock). The same rule as `FlowTracker.advance()`: whenever the clock passes an expiry
   * step, every worker hears the time before any later frame.
   */
  advanceClock(tsUs: number): void {
    if (tsUs <= this.clockUs) return;
    this.clockUs = tsUs;
    if (tsUs >= this.nextExpiryUs) {
      this.nextExpiryUs = tsUs + this.step;
      this.broadcast(RecordKind.Clock, tsUs);
    }
  }

  /** Makes every frame handed in so far visible to the workers (a live source calls it between reads). */
  flush(): void {
    for (let w = 0; w < this.n; w++) {
      if (this.owes[w] !== 0) this.payClock(w);
      this.rings[w]!.publish(true);
    }
  }

  /** End of input: every worker gets an `End` record (waiting for room even in drop mode). */
  end(): void {
    for (let w = 0; w < this.n; w++) {
      const ring = this.rings[w]!;
      if (this.owes[w] !== 0) {
        this.owes[w] = 0;
        this.marker(w, RecordKind.Clock, this.owedClock[w]!, true);
      }
      this.marker(w, RecordKind.End, 0, true);
      ring.publish(true);
    }
  }

  private broadcast(kind: number, value: number): void {
    for (let w = 0; w < this.n; w++) {
      // A worker that missed a clock record (drop mode) gets the latest time before its next frame.
      const sent = this.marker(w, kind, value, this.wait);
      this.owes[w] = sent ? 0 : 1;
      if (!sent) this.owedClock[w] = value;
    }
  }

  /** Writes an owed clock record; false when it still does not fit. */
  private payClock(w: number): boolean {
    if (!this.rings[w]!.tryMarker(RecordKind.Clock, this.owedClock[w]!)) return false;
    this.owes[w] = 0;
    return true;
  }

  private marker(w: number, kind: number, value: number, wait: boolean, wireLen = 0, linkType = 0): boolean {
    const ring = this.rings[w]!;
    if (ring.tryMarker(kind, value, wireLen, linkType)) return true;
    if (!wait) return false;
    this.waitFor(w, recordBytes(0));
    return ring.tryMarker(kind, value, wireLen, linkType);
  }

  private oversized(w: number, data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    const channel = this.options.oversize?.[w];
    if (channel === undefined) {
      this.dropped[w]++;
      return;
    }
    // Rare (frames above a quarter of the ring): a copy on the side channel, read by the
    // worker when it meets the marker. Never transferred: detaching buffers slows every
    // typed-array access in the process.
    if (!this.marker(w, RecordKind.Oversize, tsUs, this.wait, wireLen, linkType)) {
      this.dropped[w]++;
      return;
    }
    channel.postMessage(data.slice(offset, offset + caplen));
    this.frames[w]++;
  }

  private waitFor(w: number, size: number): void {
    // While this thread sleeps, no worker may sleep on records it could be reading.
    for (let i = 0; i < this.n; i++) if (i !== w) this.rings[i]!.publish(true);
    if (!this.rings[w]!.waitForRoom(size)) throw new WorkerStoppedError(w);
  }
}
