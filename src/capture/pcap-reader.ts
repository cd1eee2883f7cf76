/**
 * Classic pcap (libpcap savefile) as a push parser: feed it chunks of any size, it calls the
 * sink once per record, synchronously, with a view into the chunk.
 *
 * Format: a 24-byte file header (magic, version, thiszone, sigfigs, snaplen, linktype) then
 * records of a 16-byte header (ts_sec, ts_frac, incl_len, orig_len) and `incl_len` bytes.
 * https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 */
import { be32, Carry, u16, u32 } from './bytes.js';
import type { CaptureWarning, FrameSink } from './frame.js';

/** File-header magics as read big-endian from the first four bytes. */
export const PcapMagic = {
  /** Microsecond timestamps, written big-endian. */
  Micro: 0xa1b2c3d4,
  /** Microsecond timestamps, written little-endian. */
  MicroSwapped: 0xd4c3b2a1,
  /** Nanosecond timestamps, big-endian. */
  Nano: 0xa1b23c4d,
  /** Nanosecond timestamps, little-endian. */
  NanoSwapped: 0x4d3cb2a1,
  /** Alexey Kuznetzov's "modified pcap": 24-byte record headers (ifindex, protocol, pkt_type). */
  Modified: 0xa1b2cd34,
  /** Modified pcap, little-endian. */
  ModifiedSwapped: 0x34cdb2a1,
} as const;

/** Is `magic` (first four bytes, big-endian) one of the classic pcap magics? */
export function isPcapMagic(magic: number): boolean {
  return (
    magic === PcapMagic.Micro ||
    magic === PcapMagic.MicroSwapped ||
    magic === PcapMagic.Nano ||
    magic === PcapMagic.NanoSwapped ||
    magic === PcapMagic.Modified ||
    magic === PcapMagic.ModifiedSwapped
  );
}

const FILE_HDR = 24;
/** Offsets in a record header. */
const TS_SEC = 0;
const TS_FRAC = 4;
const INCL_LEN = 8;
const ORIG_LEN = 12;

/**
 * Largest record accepted whatever the snaplen says: Wireshark's standard maximum (256 KiB).
 * A larger `incl_len` is accepted only up to the file's snaplen, and never beyond
 * {@link MAX_RECORD_HARD}, so that a corrupt length cannot make the reader buffer gigabytes.
 */
export const MAX_RECORD_STD = 262_144;
/** Absolute ceiling on one record's captured bytes (16 MiB). */
export const MAX_RECORD_HARD = 16 * 1024 * 1024;

/**
 * Link-type field mask: the low 26 bits are the LINKTYPE_* value (16 bits used, 10 reserved),
 * the top 6 carry the FCS-length extension, which Sonda ignores (libpcap `LT_LINKTYPE`).
 */
const LINKTYPE_MASK = 0x03ffffff;

/** Layout of the two record lengths (see {@link PcapParser}'s header handling). */
const NOT_SWAPPED = 0;
const SWAPPED = 1;
const MAYBE_SWAPPED = 2;

/**
 * Push parser for classic pcap. Both byte orders, micro- and nanosecond magics, and the
 * "modified pcap" (Kuznetzov) variant with 24-byte record headers.
 *
 * A record wholly inside a chunk is handed to the sink as a view into that chunk; only a
 * record that crosses a chunk boundary is assembled in a reused scratch buffer (grown to the
 * largest such record). Nothing is allocated per record.
 *
 * Malformed files never throw: the parser calls `warn` and either goes on or (for a length
 * that cannot be trusted) stops. Warnings:
 * - `bad_magic`: the first four bytes are not a pcap magic; stops.
 * - `corrupt_record`: `incl_len` above max(256 KiB, min(snaplen, 16 MiB)); stops, since the
 *   next record's position is unknown.
 * - `truncated_header`: the input ended inside the 24-byte file header (from {@link end}).
 * - `truncated_record`: the input ended inside a record (from {@link end}); the frames before
 *   it have been delivered.
 *
 * Records whose `incl_len` exceeds `orig_len` are delivered as they are (`wireLen` as given):
 * `caplen` never exceeds the bytes the record really holds. Files of format version 2.2 and
 * older store the two lengths the other way round, and 2.3 files exist both ways; as libpcap
 * and Wireshark do, the lengths are swapped back for < 2.3, and for 2.3 when incl > orig.
 * Timestamps are `ts_sec·10⁶ + ts_usec` (or `⌊ts_nsec/1000⌋`), with `ts_sec` unsigned and the
 * fraction added as recorded even when out of range.
 */
export class PcapParser {
  private readonly sink: FrameSink;
  private readonly warn: (w: CaptureWarning) => void;
  private readonly carry = new Carry(64 * 1024);
  private headerDone = false;
  private stopped = false;
  /** Stream offset of the next chunk's first byte. */
  private pos = 0;
  private le = true;
  private nanos = false;
  private recHdr = 16;
  private maxRecord = MAX_RECORD_STD;
  private link = 0;
  private snap = 0;
  private swap = NOT_SWAPPED;

  /**
   * @param sink - receives every record, synchronously from {@link push}
   * @param warn - receives file-level problems (see the class doc for the kinds)
   */
  constructor(sink: FrameSink, warn: (w: CaptureWarning) => void) {
    this.sink = sink;
    this.warn = warn;
  }

  /** LINKTYPE_* of the file (0 until the header has been read). */
  get linkType(): number {
    return this.link;
  }

  /** Snapshot length from the file header (0 until the header has been read). */
  get snaplen(): number {
    return this.snap;
  }

  /** True when the file stores nanosecond timestamps. */
  get nanosecond(): boolean {
    return this.nanos;
  }

  /**
   * Parses the next bytes of the stream. The chunk is only read during the call.
   * @returns false once parsing has stopped (corrupt input or after {@link end}): feed no more.
   */
  push(chunk: Uint8Array): boolean {
    if (this.stopped) return false;
    const end = chunk.length;
    const base = this.pos;
    this.pos += end;
    let off = 0;
    if (this.carry.len > 0 || !this.headerDone) {
      off = this.completeCarried(chunk, end, base);
      if (off < 0) return !this.stopped;
    }
    return this.records(chunk, off, end, base);
  }

  /**
   * Ends the stream: reports a header or record left incomplete (`truncated_header`,
   * `truncated_record`, with its byte offset). Idempotent.
   */
  end(): void {
    if (this.stopped) return;
    this.stopped = true;
    const c = this.carry;
    if (!this.headerDone) {
      if (this.pos > 0) {
        this.warn({
          kind: 'truncated_header',
          offset: 0,
          message: `pcap file header cut short: ${this.pos} of ${FILE_HDR} bytes`,
        });
      }
      return;
    }
    if (c.len === 0) return;
    const want = c.len >= this.recHdr ? `${this.recHdr + this.inclLen(c.buf, 0)}` : `at least ${this.recHdr}`;
    this.warn({
      kind: 'truncated_record',
      offset: c.start,
      message: `last record at byte ${c.start} cut short: ${c.len} of ${want} bytes`,
    });
    c.len = 0;
  }

  /** The hot loop: every whole record in `b[off, end)`, then carry the tail. */
  private records(b: Uint8Array, off: number, end: number, base: number): boolean {
    const sink = this.sink;
    const le = this.le;
    const h = this.recHdr;
    const max = this.maxRecord;
    const link = this.link;
    const nanos = this.nanos;
    const swap = this.swap;
    while (end - off >= h) {
      let incl = u32(b, off + INCL_LEN, le);
      let orig = u32(b, off + ORIG_LEN, le);
      if (swap !== NOT_SWAPPED && (swap === SWAPPED || incl > orig)) {
        const t = incl;
        incl = orig;
        orig = t;
      }
      if (incl > max) return this.corrupt(base + off, incl);
      const next = off + h + incl;
      if (next > end) break;
      const frac = u32(b, off + TS_FRAC, le);
      const tsUs = u32(b, off + TS_SEC, le) * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
      sink.frame(b, off + h, incl, orig, tsUs, link);
      off = next;
    }
    if (off < end) {
      // The tail starts a record that the next chunk completes: keep it, sized for the whole.
      const c = this.carry;
      c.start = base + off;
      c.len = 0;
      if (end - off >= h) c.reserve(h + this.inclLen(b, off));
      c.fill(b, off, end, end - off);
    }
    return true;
  }

  /**
   * Completes the file header or the record held in the carry buffer with bytes from the
   * chunk's front, delivering it when whole.
   * @returns offset in the chunk where whole records resume, or -1 when the chunk is used up
   * (or parsing stopped).
   */
  private completeCarried(chunk: Uint8Array, end: number, base: number): number {
    const c = this.carry;
    if (!this.headerDone) {
      if (c.len === 0 && end >= FILE_HDR) return this.header(chunk, 0) ? FILE_HDR : -1;
      if (c.len === 0) c.start = base;
      const took = c.fill(chunk, 0, end, FILE_HDR);
      if (c.len < FILE_HDR) return -1;
      c.len = 0;
      return this.header(c.buf, 0) ? took : -1;
    }
    const h = this.recHdr;
    let off = 0;
    if (c.len < h) {
      off += c.fill(chunk, off, end, h);
      if (c.len < h) return -1;
    }
    const incl = this.inclLen(c.buf, 0);
    if (incl > this.maxRecord) {
      this.corrupt(c.start, incl);
      return -1;
    }
    const total = h + incl;
    c.reserve(total);
    off += c.fill(chunk, off, end, total);
    if (c.len < total) return -1;
    const b = c.buf;
    const le = this.le;
    const frac = u32(b, TS_FRAC, le);
    const tsUs = u32(b, TS_SEC, le) * 1e6 + (this.nanos ? Math.floor(frac / 1000) : frac);
    const stored = u32(b, INCL_LEN, le);
    const orig = u32(b, ORIG_LEN, le);
    c.len = 0;
    this.sink.frame(b, h, incl, incl === stored ? orig : stored, tsUs, this.link);
    return off;
  }

  /** The record's captured length, after undoing the pre-2.3 swap of the two length fields. */
  private inclLen(b: Uint8Array, o: number): number {
    const incl = u32(b, o + INCL_LEN, this.le);
    if (this.swap === NOT_SWAPPED) return incl;
    const orig = u32(b, o + ORIG_LEN, this.le);
    return this.swap === SWAPPED || incl > orig ? orig : incl;
  }

  private header(b: Uint8Array, o: number): boolean {
    const magic = be32(b, o);
    switch (magic) {
      case PcapMagic.Micro:
      case PcapMagic.MicroSwapped:
        break;
      case PcapMagic.Nano:
      case PcapMagic.NanoSwapped:
        this.nanos = true;
        break;
      case PcapMagic.Modified:
      case PcapMagic.ModifiedSwapped:
        this.recHdr = 24;
        break;
      default:
        this.stopped = true;
        this.warn({ kind: 'bad_magic', offset: 0, message: `not a pcap magic: 0x${magic.toString(16)}` });
        return false;
    }
    // The swapped magics are the ones whose first byte is not 0xa1: a little-endian file.
    this.le = b[o] !== 0xa1;
    // Before format 2.3 the two record lengths were written the other way round; 2.3 files
    // exist in both layouts, so there a caplen above the wire length means swapped (libpcap's
    // and Wireshark's rule).
    const major = u16(b, o + 4, this.le);
    const minor = u16(b, o + 6, this.le);
    this.swap =
      major < 2 || (major === 2 && minor < 3) ? SWAPPED : major === 2 && minor === 3 ? MAYBE_SWAPPED : NOT_SWAPPED;
    this.snap = u32(b, o + 16, this.le);
    this.link = u32(b, o + 20, this.le) & LINKTYPE_MASK;
    this.maxRecord = Math.max(MAX_RECORD_STD, Math.min(this.snap, MAX_RECORD_HARD));
    this.headerDone = true;
    return true;
  }

  private corrupt(offset: number, incl: number): false {
    this.stopped = true;
    this.carry.len = 0;
    this.warn({
      kind: 'corrupt_record',
      offset,
      message: `record at byte ${offset} claims ${incl} captured bytes (limit ${this.maxRecord}); reading stopped`,
    });
    return false;
  }
}
