import { TcpFlag } from '../decode/tcp.js';

/** Receives one direction's stream: in-order bytes, and holes where bytes were never seen. */
export interface StreamSink {
  /** In-order bytes `b[off, end)`; only valid during the call. */
  data(b: Uint8Array, off: number, end: number, tsUs: number): void;
  /** `bytes` bytes of the stream are missing (lost, or dropped at a buffer limit). */
  gap(bytes: number): void;
}

/** Bounds on what reassembly holds. */
export interface ReassemblyLimits {
  /** Out-of-order bytes buffered per direction; beyond it the oldest hole is declared a gap. */
  maxBufferedPerStream: number;
  /** Out-of-order segments buffered per direction. */
  maxSegmentsPerStream: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxBufferedPerStream: 1 << 20,
  maxSegmentsPerStream: 1024,
};

/** Counters of reassembly (kept per engine, shown in the summary). */
export interface ReassemblyStats {
  /** Bytes delivered in order. */
  delivered: number;
  /** Bytes received again (retransmissions, overlaps with what was already delivered). */
  duplicateBytes: number;
  /** Overlaps whose bytes differed from the first copy (first copy wins). */
  inconsistentOverlaps: number;
  /** Gap events and the bytes they stood for. */
  gaps: number;
  gapBytes: number;
  /** Holes declared early because a buffer limit was reached. */
  limitFlushes: number;
}

interface Segment {
  seq: number;
  data: Uint8Array;
  tsUs: number;
}

const seqDiff = (a: number, b: number): number => (a - b) | 0;

/**
 * Longest all-zero, unpushed in-order segment that is held back until the next segment of its
 * direction instead of being delivered. Some middleboxes and stacks send ACKs (even SYN-ACKs)
 * whose few payload bytes are zero padding at the next sequence number, then the real data at
 * that same number; first-copy-wins would hand parsers the padding in place of a ClientHello
 * or a request line. Real data almost never looks like this (a sender's last segment of a
 * write is pushed); if it does, it only reaches the parsers a segment late.
 */
const HELD_MAX = 8;

function allZero(b: Uint8Array, off: number, end: number): boolean {
  for (let i = off; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * One direction of a TCP connection put back in order (RFC 9293 sequence space, wrap-around
 * safe). Segments at the expected sequence number are delivered at once without a copy; early
 * ones are copied and buffered until the hole closes; bytes already delivered are dropped
 * (first copy wins, a differing overlap is counted). A stream picked up without its SYN starts
 * at the first data segment seen. When the buffer limits are reached, or the stream ends with
 * holes, the hole is reported to the sink as a gap and delivery goes on after it, so parsers
 * can resynchronise or give up.
 */
export class TcpStream {
  private started = false;
  private next = 0;
  private readonly pending: Segment[] = [];
  private buffered = 0;
  /** A tiny all-zero segment at `next`, not yet delivered (see `HELD_MAX`). */
  private held: Segment | null = null;
  finished = false;

  constructor(
    private readonly sink: StreamSink,
    private readonly stats: ReassemblyStats,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
    private readonly weird: (name: string) => void = () => undefined,
  ) {}

  /** Bytes held out of order. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * One segment of this direction: captured payload `b[off, end)`; `payloadLength` is what the
   * IP header says it carried (more than captured when the capture's snap length cut it: the
   * rest is a gap).
   */
  segment(seq: number, flags: number, b: Uint8Array, off: number, end: number, tsUs: number, payloadLength = end - off): void {
    if (this.finished) return;
    if (!this.started) {
      if (flags & TcpFlag.Syn) {
        this.started = true;
        this.next = (seq + 1) >>> 0;
        seq = this.next;
      } else if (end > off) {
        this.started = true;
        this.next = seq >>> 0;
      } else return;
    } else if (flags & TcpFlag.Syn) seq = (seq + 1) >>> 0;
    if (this.held !== null && end > off) {
      const here = seqDiff(seq, this.held.seq) === 0;
      if (here && end - off > this.held.data.length) {
        // The real data at the padding's place: the padding goes, uncounted as stream bytes.
        this.held = null;
        this.weird('tcp_zero_padding_replaced');
      } else if (here && end - off <= this.held.data.length && allZero(b, off, end)) {
        // The same padding again (a retransmitted SYN-ACK or ACK): still held.
        this.stats.duplicateBytes += end - off;
        return;
      } else this.release();
    }
    if (end > off) {
      if (this.held === null && !(flags & TcpFlag.Psh) && end - off <= HELD_MAX && seqDiff(seq, this.next) === 0 && this.pending.length === 0 && allZero(b, off, end)) {
        this.held = { seq: seq >>> 0, data: b.slice(off, end), tsUs };
      } else this.take(seq >>> 0, b, off, end, tsUs);
    }
    const cut = payloadLength - (end - off);
    if (cut > 0 && this.next === ((seq + (end - off)) >>> 0)) {
      // The segment was delivered up to what was captured: the rest is lost for good.
      this.stats.gaps++;
      this.stats.gapBytes += cut;
      this.sink.gap(cut);
      this.next = (this.next + cut) >>> 0;
      this.drainPending();
    }
    if (flags & (TcpFlag.Fin | TcpFlag.Rst)) {
      // Nothing more will come in order after a RST; after a FIN, only what fills the holes.
      if (flags & TcpFlag.Rst || this.pending.length === 0) this.finish();
    }
  }

  /** Delivers a held padding-like segment now. */
  release(): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    this.take(h.seq, h.data, 0, h.data.length, h.tsUs);
  }

  /** Whether a segment is held back (see `release`). */
  get holding(): boolean {
    return this.held !== null;
  }

  /** End of the flow: whatever is buffered is delivered after a gap for each hole. */
  finish(): void {
    if (this.finished) return;
    this.release();
    while (this.pending.length > 0) this.skipToFirstPending();
    this.finished = true;
  }

  private take(seq: number, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const rel = seqDiff(seq, this.next);
    if (rel <= 0) {
      // Starts at or before the next expected byte: drop what was delivered already.
      const skip = -rel;
      const len = end - off;
      if (skip >= len) {
        this.stats.duplicateBytes += len;
        return;
      }
      this.stats.duplicateBytes += skip;
      this.deliver(b, off + skip, end, tsUs);
      this.drainPending();
      return;
    }
    this.buffer(seq, b, off, end, tsUs);
  }

  private deliver(b: Uint8Array, off: number, end: number, tsUs: number): void {
    this.next = (this.next + (end - off)) >>> 0;
    this.stats.delivered += end - off;
    this.sink.data(b, off, end, tsUs);
  }

  private buffer(seq: number, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const p = this.pending;
    // Keep the list sorted by sequence; out-of-order arrival is rare, so a linear insert is fine.
    let i = p.length;
    while (i > 0 && seqDiff(p[i - 1]!.seq, seq) > 0) i--;
    const prev = p[i - 1];
    if (prev !== undefined && seqDiff(prev.seq + prev.data.length, seq) >= 0) {
      // Overlaps the previous buffered segment: keep the first copy, compare the overlap.
      this.compare(prev, seq, b, off, end);
      const covered = seqDiff(prev.seq + prev.data.length, seq);
      if (covered >= end - off) {
        this.stats.duplicateBytes += end - off;
        return;
      }
      this.stats.duplicateBytes += covered;
      off += covered;
      seq = (seq + covered) >>> 0;
    }
    const data = new Uint8Array(end - off);
    data.set(b.subarray(off, end));
    p.splice(i, 0, { seq, data, tsUs });
    this.buffered += data.length;
    if (this.buffered > this.limits.maxBufferedPerStream || p.length > this.limits.maxSegmentsPerStream) {
      this.stats.limitFlushes++;
      this.weird('tcp_reassembly_limit');
      this.skipToFirstPending();
    }
  }

  private compare(held: Segment, seq: number, b: Uint8Array, off: number, end: number): void {
    const from = seqDiff(seq, held.seq);
    const n = Math.min(held.data.length - from, end - off);
    for (let k = 0; k < n; k++) {
      if (held.data[from + k] !== b[off + k]) {
        this.stats.inconsistentOverlaps++;
        this.weird('tcp_inconsistent_overlap');
        return;
      }
    }
  }

  /** Delivers buffered segments that have become in order. */
  private drainPending(): void {
    const p = this.pending;
    while (p.length > 0) {
      const s = p[0]!;
      const rel = seqDiff(s.seq, this.next);
      if (rel > 0) return;
      p.shift();
      this.buffered -= s.data.length;
      const skip = -rel;
      if (skip >= s.data.length) {
        this.stats.duplicateBytes += s.data.length;
        continue;
      }
      this.stats.duplicateBytes += skip;
      this.deliver(s.data, skip, s.data.length, s.tsUs);
    }
  }

  /** Declares the hole before the first buffered segment a gap and delivers from there. */
  private skipToFirstPending(): void {
    const s = this.pending[0];
    if (s === undefined) return;
    const hole = seqDiff(s.seq, this.next);
    if (hole > 0) {
      this.stats.gaps++;
      this.stats.gapBytes += hole;
      this.sink.gap(hole);
      this.next = s.seq;
    }
    this.drainPending();
  }
}
