import { W, type WeirdCounters } from './weirds.js';

/** Bounds on what the defragmenter holds. Time is packet time. */
export interface DefragLimits {
  /** Datagrams in reassembly at once; at the limit the oldest is dropped (`fragment_evicted`). */
  maxDatagrams: number;
  /** Fragment bytes held in all; at the limit the oldest datagrams are dropped. */
  maxBytes: number;
  /** A datagram not complete this long after its first fragment is dropped (`fragment_timeout`). */
  timeoutUs: number;
  /** Fragments per datagram before it is dropped (`excessive_fragments`). */
  maxFragments: number;
}

export const DEFAULT_DEFRAG_LIMITS: DefragLimits = {
  maxDatagrams: 8192,
  maxBytes: 32 << 20,
  timeoutUs: 30e6, // Linux ipfrag_time
  maxFragments: 256,
};

const MAX_DATAGRAM = 65535;

interface Piece {
  start: number;
  data: Uint8Array;
}

interface Datagram {
  key: string;
  context: number;
  firstTs: number;
  frames: number;
  wireBytes: number;
  bytesHeld: number;
  /** Header bytes to put in front of the payload (IPv4 header, or IPv6 unfragmentable part). */
  header: Uint8Array | null;
  /** True once the first fragment (offset 0) gave the header; before, `header` is another fragment's. */
  hasFirst: boolean;
  lastTs: number;
  /** Upper-layer protocol of the datagram (IPv6: the first fragment header's next header). */
  nextHeader: number;
  /** IPv6: offset, inside `header`, of the next-header byte that pointed at the fragment header. */
  prevNextOffset: number;
  /** Payload length, known once the last fragment (MF = 0) arrived; -1 before. */
  total: number;
  pieces: Piece[];
}

/** Statistics of the defragmenter (kept by the engine's summary). */
export interface DefragStats {
  fragments: number;
  reassembled: number;
  timedOut: number;
  evicted: number;
}

/**
 * IPv4 and IPv6 fragment reassembly. Fragments are copied (they are rare, and the frame buffer
 * is reused); a completed datagram is written into one reused output buffer with the fragment
 * fields cleared, so the decoder can decode it again as if it had arrived whole.
 *
 * Overlap policy: bytes already held win (the first copy of a byte is kept). A later fragment
 * that overlaps with different bytes counts `fragment_inconsistent_overlap`, one with the same
 * bytes `fragment_overlap`; an exact duplicate counts nothing.
 */
export class Defragmenter {
  readonly stats: DefragStats = { fragments: 0, reassembled: 0, timedOut: 0, evicted: 0 };
  /** Insertion order is age order: the oldest datagram is the first key. */
  private readonly table = new Map<string, Datagram>();
  private bytesHeld = 0;
  /** The last completed datagram: `out[0, outLength)`, valid until the next `add()`. */
  readonly out = new Uint8Array(MAX_DATAGRAM + 128);
  outLength = 0;
  /** Frames and their wire bytes that made the last completed datagram. */
  outFrames = 0;
  outWireBytes = 0;
  outFirstTs = 0;
  outLastTs = 0;
  outVersion: 4 | 6 = 4;
  /** True when `out` is what was left of a datagram that never completed. */
  outPartial = false;
  /** The `context` given with the datagram's fragments. */
  outContext = 0;

  constructor(
    private readonly weirds: WeirdCounters,
    private readonly limits: DefragLimits = DEFAULT_DEFRAG_LIMITS,
  ) {}

  get pending(): number {
    return this.table.size;
  }

  /**
   * Adds one fragment. Returns true when it completed its datagram (then read `out`).
   * @param b - buffer of the fragment
   * @param hdrStart - start of the IP header
   * @param hdrEnd - end of the part to copy as header (IPv4 header; IPv6 up to the fragment header)
   * @param dataStart - start of the fragment's payload; `dataEnd` its end
   * @param fragOffset - offset of the payload in the datagram, bytes
   * @param prevNextOffset - IPv6: offset in `b` of the next-header byte naming the fragment header
   * @param context - the decoder's outer context (VLAN, tunnel), returned with an incomplete datagram
   */
  add(
    version: 4 | 6,
    b: Uint8Array,
    hdrStart: number,
    hdrEnd: number,
    dataStart: number,
    dataEnd: number,
    fragOffset: number,
    more: boolean,
    id: number,
    nextHeader: number,
    prevNextOffset: number,
    tsUs: number,
    wireLen: number,
    context: number,
  ): boolean {
    this.stats.fragments++;
    const key = version === 4 ? v4Key(b, hdrStart, id, nextHeader) : v6Key(b, hdrStart, id);
    let d = this.table.get(key);
    if (d === undefined) {
      if (this.table.size >= this.limits.maxDatagrams) this.evictOldest();
      d = { key, context, firstTs: tsUs, lastTs: tsUs, hasFirst: false, frames: 0, wireBytes: 0, bytesHeld: 0, header: null, nextHeader, prevNextOffset: -1, total: -1, pieces: [] };
      this.table.set(key, d);
    }
    d.frames++;
    d.wireBytes += wireLen;
    if (tsUs > d.lastTs) d.lastTs = tsUs;
    const len = dataEnd - dataStart;
    if (fragOffset + len > MAX_DATAGRAM) {
      this.weirds.hit(W.fragment_too_large);
      this.drop(d);
      return false;
    }
    if (d.pieces.length >= this.limits.maxFragments) {
      this.weirds.hit(W.excessive_fragments);
      this.drop(d);
      return false;
    }
    if (!more) {
      const total = fragOffset + len;
      if (d.total >= 0 && d.total !== total) this.weirds.hit(W.fragment_inconsistent_overlap);
      else d.total = total;
    }
    if (!d.hasFirst && (fragOffset === 0 || d.header === null)) {
      // Any fragment's header names the datagram; the first fragment's is the one to keep.
      d.header = copyOf(b, hdrStart, hdrEnd);
      d.hasFirst = fragOffset === 0;
      d.nextHeader = nextHeader;
      d.prevNextOffset = version === 6 ? prevNextOffset - hdrStart : -1;
    }
    if (len > 0) this.insertPiece(d, fragOffset, b.subarray(dataStart, dataEnd));
    while (this.bytesHeld > this.limits.maxBytes && this.table.size > 1) this.evictOldest();
    // The limit may have taken this very datagram (it was the oldest): it is gone then.
    if (this.table.get(d.key) !== d) return false;
    return this.tryComplete(d, version);
  }

  private insertPiece(d: Datagram, start: number, src: Uint8Array): void {
    const end = start + src.length;
    // Walk the held pieces (sorted by start) and keep only the ranges nobody holds yet.
    let cursor = start;
    const fresh: number[] = [];
    for (const p of d.pieces) {
      const pEnd = p.start + p.data.length;
      if (pEnd <= cursor) continue;
      if (p.start >= end) break;
      this.noteOverlap(p, src, start, Math.max(p.start, start), Math.min(pEnd, end));
      if (p.start > cursor) fresh.push(cursor, p.start);
      cursor = Math.max(cursor, pEnd);
    }
    if (cursor < end) fresh.push(cursor, end);
    if (fresh.length === 0) return;
    for (let i = 0; i < fresh.length; i += 2) {
      const from = fresh[i]!;
      const to = fresh[i + 1]!;
      d.pieces.push({ start: from, data: copyOf(src, from - start, to - start) });
      d.bytesHeld += to - from;
      this.bytesHeld += to - from;
    }
    d.pieces.sort(byStart);
  }

  private noteOverlap(held: Piece, src: Uint8Array, srcStart: number, from: number, to: number): void {
    if (to <= from) return;
    const duplicate = held.start === srcStart && held.data.length === src.length;
    let same = true;
    for (let x = from; x < to; x++) {
      if (held.data[x - held.start] !== src[x - srcStart]) {
        same = false;
        break;
      }
    }
    if (!same) this.weirds.hit(W.fragment_inconsistent_overlap);
    else if (!duplicate) this.weirds.hit(W.fragment_overlap);
  }

  private tryComplete(d: Datagram, version: 4 | 6): boolean {
    if (d.total < 0 || !d.hasFirst) return false;
    let covered = 0;
    for (const p of d.pieces) {
      if (p.start > covered) return false;
      covered = Math.max(covered, p.start + p.data.length);
    }
    if (covered < d.total) return false;
    if (!this.write(d, version, d.total)) {
      this.weirds.hit(W.fragment_too_large);
      this.drop(d);
      return false;
    }
    this.stats.reassembled++;
    this.remove(d);
    return true;
  }

  /** Writes header + the first `dataLen` payload bytes of `d` into `out`, fragment fields cleared. */
  private write(d: Datagram, version: 4 | 6, dataLen: number): boolean {
    const hdr = d.header!;
    const out = this.out;
    if (hdr.length + dataLen > out.length) return false;
    out.set(hdr, 0);
    for (const p of d.pieces) {
      const n = Math.min(p.data.length, dataLen - p.start);
      if (n > 0) out.set(p.data.subarray(0, n), hdr.length + p.start);
    }
    const len = hdr.length + dataLen;
    if (version === 4) {
      out[2] = len >> 8;
      out[3] = len & 0xff;
      out[6] = 0;
      out[7] = 0;
    } else {
      const plen = len - 40;
      out[4] = plen >> 8;
      out[5] = plen & 0xff;
      if (d.prevNextOffset >= 0) out[d.prevNextOffset] = d.nextHeader;
    }
    this.outLength = len;
    this.outVersion = version;
    this.outFrames = d.frames;
    this.outWireBytes = d.wireBytes;
    this.outFirstTs = d.firstTs;
    this.outLastTs = d.lastTs;
    this.outPartial = dataLen !== d.total || !d.hasFirst;
    this.outContext = d.context;
    return true;
  }

  /**
   * Ends datagrams whose first fragment is older than the timeout (`fragment_timeout`). Their
   * frames still belong to a flow: each is written to `out` as a partial datagram (the header
   * and the payload up to the first hole, `outPartial` set) and handed to `onIncomplete`, so
   * the caller can account it. Call between packets, not while decoding one.
   */
  expire(nowUs: number, onIncomplete?: () => void): void {
    for (const d of this.table.values()) {
      if (nowUs - d.firstTs <= this.limits.timeoutUs) break;
      this.endIncomplete(d, onIncomplete);
    }
  }

  /** Ends everything held (end of input), like `expire` with an infinite clock. */
  flush(onIncomplete?: () => void): void {
    for (const d of this.table.values()) this.endIncomplete(d, onIncomplete);
  }

  /** Packet time of the oldest held datagram's first fragment, or +Infinity when none. */
  get oldestTs(): number {
    const first = this.table.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.firstTs;
  }

  private endIncomplete(d: Datagram, onIncomplete?: () => void): void {
    this.weirds.hit(W.fragment_timeout);
    this.stats.timedOut++;
    this.remove(d);
    if (onIncomplete === undefined || d.header === null) return;
    let contiguous = 0;
    if (d.hasFirst) for (const p of d.pieces) if (p.start <= contiguous) contiguous = Math.max(contiguous, p.start + p.data.length);
    if (this.write(d, d.header[0]! >> 4 === 6 ? 6 : 4, contiguous)) onIncomplete();
  }

  private evictOldest(): void {
    const first = this.table.values().next();
    if (first.done) return;
    this.weirds.hit(W.fragment_evicted);
    this.stats.evicted++;
    this.remove(first.value);
  }

  private drop(d: Datagram): void {
    this.remove(d);
  }

  private remove(d: Datagram): void {
    this.bytesHeld -= d.bytesHeld;
    this.table.delete(d.key);
  }
}

/**
 * A copy of `b[from, to)`. Not `b.slice()`: on a Node Buffer (what capture readers hand out)
 * `slice` is a view of the same memory, which the reader reuses for the next chunk.
 */
function copyOf(b: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(b.subarray(from, to));
  return out;
}

function byStart(a: Piece, b: Piece): number {
  return a.start - b.start;
}

function hex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function v4Key(b: Uint8Array, ip: number, id: number, proto: number): string {
  return `4${hex(b, ip + 12, ip + 20)}${id}/${proto}`;
}

function v6Key(b: Uint8Array, ip: number, id: number): string {
  return `6${hex(b, ip + 8, ip + 40)}${id}`;
}
