/**
 * A single-producer, single-consumer ring of frame records in shared memory: the reading
 * thread copies frames in, one worker reads them out, and nothing is posted per packet. The
 * producer makes its records visible in batches (`publish()`), the consumer gives space back
 * in batches; each side sleeps on the other's index with `Atomics.wait` only when it has to.
 */
import type { FrameSink } from '../../capture/frame.js';

/** Record kinds below 0 (at or above 0 the first word is a frame's captured length). */
export const RecordKind = {
  /** The rest of the ring is unused: go on at offset 0. */
  Wrap: -1,
  /** The packet clock moved to the record's time (see `Engine.advanceClock`). */
  Clock: -2,
  /** End of the session's input. */
  End: -3,
  /** A frame too large for the ring: its bytes come on the side channel (`receiveMessageOnPort`). */
  Oversize: -4,
} as const;

/**
 * Record header: captured length (or kind), wire length, link type, padding before the frame's
 * bytes, timestamp (f64).
 */
export const RECORD_HEADER = 24;

// Control words, one per 64-byte line so the two threads do not write the same cache line.
const HEAD = 0;
const TAIL = 16;
const READER_WAITING = 32;
const WRITER_WAITING = 48;
/** Set by the consumer when it stopped for good (an error): the producer must not wait on it. */
const FAILED = 64;
const CONTROL_WORDS = 80;

/**
 * Bytes a frame's record takes in the ring at most: header, up to 7 bytes of padding, the
 * frame, rounded up to 8 (the f64 alignment of the next header).
 */
export function recordBytes(caplen: number): number {
  return RECORD_HEADER + ((caplen + 14) & ~7);
}

/** The shared memory of one ring: pass it to a worker (SharedArrayBuffers are shared, never copied). */
export interface RingMemory {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** Allocates a ring of `bytes` bytes of records (rounded up to 8; at least 4 KiB). */
export function allocateRing(bytes: number): RingMemory {
  const size = Math.max(4096, (bytes + 7) & ~7);
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), data: new SharedArrayBuffer(size) };
}

/**
 * Producer side. `tryFrame()` / `tryMarker()` write a record when it fits and return false
 * when the ring is full (the caller then waits with `waitForRoom()` or drops). Written records
 * are invisible to the consumer until `publish()`, which the writer calls itself every
 * `publishBytes`.
 */
export class RingWriter {
  private readonly ctl: Int32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  readonly capacity: number;
  /** Largest record `tryFrame` takes (a quarter of the ring): bigger frames go `Oversize`. */
  readonly maxRecord: number;
  private pos: number;
  /** The consumer's position as last read (it only moves forward, so a stale copy is safe). */
  private tail: number;
  private unpublished = 0;

  private readonly publishBytes: number;

  /**
   * @param publishBytes - records are made visible after this many bytes (at most an eighth of
   *   the ring), when the ring is full, and on `publish()`
   */
  constructor(mem: RingMemory, publishBytes = 64 << 10) {
    this.ctl = new Int32Array(mem.control);
    this.i32 = new Int32Array(mem.data);
    this.f64 = new Float64Array(mem.data);
    this.u8 = new Uint8Array(mem.data);
    this.capacity = mem.data.byteLength;
    this.maxRecord = this.capacity >> 2;
    this.publishBytes = Math.min(publishBytes, this.capacity >> 3);
    this.pos = Atomics.load(this.ctl, HEAD);
    this.tail = Atomics.load(this.ctl, TAIL);
  }

  /** Copies one frame in; false when there is no room now (nothing written). */
  tryFrame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): boolean {
    if (!this.room(RECORD_HEADER + ((caplen + 14) & ~7))) return this.full();
    const p = this.pos;
    // V8 copies into shared memory with relaxed atomic stores: word by word when source and
    // destination share their alignment, byte by byte (six times slower) otherwise. So the
    // frame's bytes start at the source's alignment (buffers themselves are 8-aligned).
    const pad = (data.byteOffset + offset - p - RECORD_HEADER) & 7;
    const i = p >> 2;
    const i32 = this.i32;
    i32[i] = caplen;
    i32[i + 1] = wireLen;
    i32[i + 2] = linkType;
    i32[i + 3] = pad;
    this.f64[(p >> 3) + 2] = tsUs;
    this.u8.set(data.subarray(offset, offset + caplen), p + RECORD_HEADER + pad);
    this.advance(RECORD_HEADER + ((pad + caplen + 7) & ~7));
    return true;
  }

  /** Writes a header-only record (`RecordKind`); false when there is no room now. */
  tryMarker(kind: number, value: number, wireLen = 0, linkType = 0): boolean {
    if (!this.room(RECORD_HEADER)) return this.full();
    const p = this.pos;
    const i = p >> 2;
    this.i32[i] = kind;
    this.i32[i + 1] = wireLen;
    this.i32[i + 2] = linkType;
    this.f64[(p >> 3) + 2] = value;
    this.advance(RECORD_HEADER);
    return true;
  }

  /**
   * Makes everything written so far visible to the consumer. A sleeping consumer is woken only
   * once a sixteenth of the ring waits for it (or with `wake`): each wake-up is a system call
   * and a thread switch, so a consumer faster than the producer reads in batches.
   */
  publish(wake = false): void {
    if (this.unpublished !== 0) {
      this.unpublished = 0;
      Atomics.store(this.ctl, HEAD, this.pos);
    }
    if (Atomics.load(this.ctl, READER_WAITING) === 0) return;
    const t = Atomics.load(this.ctl, TAIL);
    const waiting = this.pos >= t ? this.pos - t : this.capacity - t + this.pos;
    if (waiting === 0 || (!wake && waiting < this.capacity >> 4)) return;
    Atomics.notify(this.ctl, HEAD);
  }

  /**
   * Publishes, then sleeps until a record of `size` bytes fits. Returns false only when the
   * consumer has failed (it will never make room).
   */
  waitForRoom(size: number, sliceMs = 100): boolean {
    this.publish(true);
    for (;;) {
      if (this.room(size)) return true;
      if (this.failed) return false;
      Atomics.store(this.ctl, WRITER_WAITING, 1);
      const t = Atomics.load(this.ctl, TAIL);
      if (t === this.tail) Atomics.wait(this.ctl, TAIL, t, sliceMs);
      Atomics.store(this.ctl, WRITER_WAITING, 0);
    }
  }

  /** True once the consumer has marked itself failed. */
  get failed(): boolean {
    return Atomics.load(this.ctl, FAILED) !== 0;
  }

  /** True when every published record has been consumed. */
  get drained(): boolean {
    return Atomics.load(this.ctl, TAIL) === Atomics.load(this.ctl, HEAD);
  }

  /** No room: what is written must at least be visible, or the consumer could never make room. */
  private full(): false {
    this.publish(true);
    return false;
  }

  private advance(size: number): void {
    let p = this.pos + size;
    if (p === this.capacity) p = 0;
    this.pos = p;
    this.unpublished += size;
    if (this.unpublished >= this.publishBytes) this.publish();
  }

  /**
   * Makes `size` contiguous bytes available at `pos`, wrapping to 0 when the end is too near.
   * The writer never catches up with the consumer exactly (8 bytes stay free): equal positions
   * mean an empty ring.
   */
  private room(size: number): boolean {
    for (let fresh = false; ; fresh = true) {
      const w = this.pos;
      const t = this.tail;
      if (w >= t) {
        if (size <= this.capacity - w - (t === 0 ? 8 : 0)) return true;
        if (size <= t - 8) {
          this.i32[w >> 2] = RecordKind.Wrap;
          this.pos = 0;
          // The wrap record counts as written: publish() must move the head past it.
          this.unpublished += 8;
          return true;
        }
      } else if (size <= t - w - 8) return true;
      if (fresh) return false;
      this.tail = Atomics.load(this.ctl, TAIL);
    }
  }
}

/** What the consumer does with marker records; return true to stop reading (`End`). */
export type MarkerHandler = (kind: number, value: number, wireLen: number, linkType: number) => boolean;

/**
 * Consumer side. `drain()` hands every published record to a frame sink (frames are views
 * into the ring, valid during the call only, as from a capture reader) and markers to a
 * handler; space goes back to the producer every `releaseBytes` and at the end of each drain.
 */
export class RingReader {
  private readonly ctl: Int32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly capacity: number;
  private readonly releaseBytes: number;
  private pos: number;
  private unreleased = 0;
  /** True after a marker handler asked to stop. */
  stopped = false;

  constructor(mem: RingMemory, releaseBytes?: number) {
    this.ctl = new Int32Array(mem.control);
    this.i32 = new Int32Array(mem.data);
    this.f64 = new Float64Array(mem.data);
    this.u8 = new Uint8Array(mem.data);
    this.capacity = mem.data.byteLength;
    this.releaseBytes = releaseBytes ?? this.capacity >> 3;
    this.pos = Atomics.load(this.ctl, TAIL);
  }

  /**
   * Delivers the records published so far, in order. Returns how many (0: the ring was
   * empty). Stops after a marker handler returns true (`stopped` is then set).
   */
  drain(sink: FrameSink, onMarker: MarkerHandler): number {
    const head = Atomics.load(this.ctl, HEAD);
    const i32 = this.i32;
    const cap = this.capacity;
    let p = this.pos;
    let n = 0;
    this.stopped = false;
    while (p !== head) {
      const i = p >> 2;
      const c = i32[i]!;
      let size: number;
      if (c >= 0) {
        const pad = i32[i + 3]!;
        size = RECORD_HEADER + ((pad + c + 7) & ~7);
        sink.frame(this.u8, p + RECORD_HEADER + pad, c, i32[i + 1]!, this.f64[(p >> 3) + 2]!, i32[i + 2]!);
      } else if (c === RecordKind.Wrap) {
        this.unreleased += cap - p;
        p = 0;
        continue;
      } else {
        size = RECORD_HEADER;
        this.stopped = onMarker(c, this.f64[(p >> 3) + 2]!, i32[i + 1]!, i32[i + 2]!);
      }
      n++;
      p += size;
      if (p === cap) p = 0;
      this.unreleased += size;
      if (this.stopped) break;
      if (this.unreleased >= this.releaseBytes) {
        this.pos = p;
        this.release();
      }
    }
    this.pos = p;
    if (this.unreleased > 0) this.release();
    return n;
  }

  /** Sleeps until the producer publishes more (or `timeoutMs` passes). */
  wait(timeoutMs: number): void {
    Atomics.store(this.ctl, READER_WAITING, 1);
    if (Atomics.load(this.ctl, HEAD) === this.pos) Atomics.wait(this.ctl, HEAD, this.pos, timeoutMs);
    Atomics.store(this.ctl, READER_WAITING, 0);
  }

  /** Tells the producer that this consumer stopped for good: it must not wait for room. */
  fail(): void {
    Atomics.store(this.ctl, FAILED, 1);
    Atomics.notify(this.ctl, TAIL);
  }

  private release(): void {
    this.unreleased = 0;
    Atomics.store(this.ctl, TAIL, this.pos);
    if (Atomics.load(this.ctl, WRITER_WAITING) !== 0) Atomics.notify(this.ctl, TAIL);
  }
}
