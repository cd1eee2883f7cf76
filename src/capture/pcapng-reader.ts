/**
 * pcapng as a push parser: feed it chunks of any size, it calls the sink once per packet
 * block, synchronously, with a view into the chunk.
 *
 * Every block is `type(4) total_length(4) body total_length(4)`, in the byte order of the
 * section's header block (SHB). https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html
 */
import { Carry, u16, u32 } from './bytes.js';
import type { CaptureWarning, FrameSink } from './frame.js';

/** Block type numbers Sonda reads (the rest are skipped whole). */
export const BlockType = {
  InterfaceDescription: 0x00000001,
  /** Obsolete Packet Block (pcapng 1.0 drafts): 16-bit interface id, drops count. */
  Packet: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  /** Palindromic: reads the same in both byte orders. */
  SectionHeader: 0x0a0d0d0a,
} as const;

/** Byte-order magic of the SHB, as written by a big-endian writer. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Smallest legal block; every block length is a multiple of 4. */
const MIN_BLOCK = 12;
/** Largest block accepted (64 MiB): a bigger length is taken as corruption. */
export const MAX_BLOCK = 64 * 1024 * 1024;
/** Interfaces remembered per section; IDBs beyond are ignored (warning `too_many_interfaces`). */
export const MAX_INTERFACES = 65_536;

/** Minimum total lengths: header 8 + fixed body + trailer 4. */
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_PB = 32;
const MIN_SPB = 16;

/** IDB option codes. */
const OPT_END = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** How an interface's timestamp ticks become microseconds. */
const TS_MUL = 0; // 10^-r with r <= 6: ticks * 10^(6-r), exact below 2^53
const TS_DIV = 1; // 10^-r with 6 < r <= 9: exact split division, no BigInt
const TS_BIG = 2; // 10^-r with r > 9: BigInt (rare: picosecond clocks and beyond)
const TS_BIN = 3; // 2^-r: float, floored

const TWO32 = 4294967296;

/**
 * Push parser for pcapng. Reads SHB (either byte order; a new SHB mid-stream starts a new
 * section: interfaces are forgotten and the byte order may change), IDB (link type, snaplen,
 * `if_tsresol` in base 10 or 2, `if_tsoffset`), EPB, SPB and the obsolete PB. Every other
 * block (NRB, ISB, DSB, custom …) is skipped; a skipped block that crosses chunks is not
 * buffered, only its trailing length is checked.
 *
 * Timestamps become microseconds since the epoch, floored: exactly for decimal resolutions
 * down to nanoseconds without BigInt (`hi·⌊2³²/d⌋ + ⌊(hi·(2³² mod d) + lo)/d⌋`, d = 10^(r−6)),
 * with BigInt beyond nanoseconds, by float for binary resolutions. A Simple Packet Block has
 * no timestamp: it gets the last timestamp seen in the stream (0 before any), so that packet
 * time, Sonda's clock, never goes backwards because of it. Its `caplen` is
 * min(wire length, interface 0's snaplen, bytes in the block).
 *
 * Warnings (never exceptions):
 * - `corrupt_block`: a block length that is not a multiple of 4, below 12 or the block type's
 *   minimum, above 64 MiB, or different in the trailer; a packet whose captured length
 *   exceeds its block; a first block that is not an SHB; an SHB with a bad byte-order magic.
 *   Parsing stops (the next block's position cannot be trusted).
 * - `unsupported_version`: an SHB whose major version is not 1; parsing stops.
 * - `unknown_interface`: a packet for an interface with no IDB in its section; the packet is
 *   skipped, reported once per parser.
 * - `too_many_interfaces`: more than {@link MAX_INTERFACES} IDBs in a section; once.
 * - `truncated_block`: the input ended inside a block (from {@link end}).
 */
export class PcapngParser {
  private readonly sink: FrameSink;
  private readonly warn: (w: CaptureWarning) => void;
  private readonly carry = new Carry(64 * 1024);
  private stopped = false;
  private inSection = false;
  /** Stream offset of the next chunk's first byte. */
  private pos = 0;
  private le = true;
  /** Bytes of the skipped block still to come, trailer included; 0 when not skipping. */
  private skipLeft = 0;
  /** Total length of the block being skipped, checked against its trailer. */
  private skipTotal = 0;
  /** Stream offset of the block being skipped. */
  private skipStart = 0;
  /** The skipped block's trailing length, as its bytes arrive. */
  private readonly trail = new Uint8Array(4);
  private lastTs = 0;
  private warnedUnknownIf = false;
  private warnedTooMany = false;

  // Interfaces of the current section, as parallel arrays indexed by interface id.
  private nIf = 0;
  private readonly ifLink: number[] = [];
  private readonly ifSnap: number[] = [];
  private readonly ifMode: number[] = [];
  /** TS_MUL: multiplier; TS_DIV: ⌊2³²/d⌋; TS_BIN: µs per tick. */
  private readonly ifA: number[] = [];
  /** TS_DIV: 2³² mod d. */
  private readonly ifB: number[] = [];
  /** TS_DIV and TS_BIG: the divisor d. */
  private readonly ifD: number[] = [];
  /** if_tsoffset in microseconds. */
  private readonly ifOff: number[] = [];

  /**
   * @param sink - receives every packet, synchronously from {@link push}
   * @param warn - receives file-level problems (see the class doc for the kinds)
   */
  constructor(sink: FrameSink, warn: (w: CaptureWarning) => void) {
    this.sink = sink;
    this.warn = warn;
  }

  /** Interfaces described so far in the current section. */
  get interfaceCount(): number {
    return this.nIf;
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
    if (this.skipLeft > 0 || this.carry.len > 0) {
      off = this.completeCarried(chunk, end);
      if (off < 0) return !this.stopped;
    }
    return this.blocks(chunk, off, end, base);
  }

  /** Ends the stream: reports a block left incomplete (`truncated_block`). Idempotent. */
  end(): void {
    if (this.stopped) return;
    this.stopped = true;
    const c = this.carry;
    if (this.skipLeft === 0 && c.len === 0) return;
    const at = this.skipLeft > 0 ? this.skipStart : c.start;
    const have = this.skipLeft > 0 ? this.skipTotal - this.skipLeft : c.len;
    const want =
      this.skipLeft > 0 ? `${this.skipTotal}` : c.len >= MIN_BLOCK ? `${u32(c.buf, 4, this.le)}` : 'at least 12';
    this.warn({
      kind: 'truncated_block',
      offset: at,
      message: `last block at byte ${at} cut short: ${have} of ${want} bytes`,
    });
    c.len = 0;
    this.skipLeft = 0;
  }

  /** Every whole block in `b[off, end)`, then carry (or start skipping) the tail. */
  private blocks(b: Uint8Array, off: number, end: number, base: number): boolean {
    let total = 0;
    while (end - off >= MIN_BLOCK) {
      total = this.blockHeader(b, off, base + off);
      if (total < 0) return false;
      if (off + total > end) break;
      if (!this.block(b, off, total, base + off)) return false;
      off += total;
      total = 0;
    }
    if (off < end) {
      if (total > 0 && !isParsed(u32(b, off, this.le))) {
        // A block we skip anyway: drop its bytes as they come instead of buffering them.
        this.skipTotal = total;
        this.skipLeft = total;
        this.skipStart = base + off;
        this.skipBytes(b, off, end - off);
        return true;
      }
      const c = this.carry;
      c.start = base + off;
      c.len = 0;
      if (total > 0) c.reserve(total);
      c.fill(b, off, end, end - off);
    }
    return true;
  }

  /**
   * Completes the carried block (or the skipped one) with bytes from the chunk's front and
   * handles it when whole.
   * @returns offset in the chunk where whole blocks resume, or -1 when the chunk is used up
   * (or parsing stopped).
   */
  private completeCarried(chunk: Uint8Array, end: number): number {
    if (this.skipLeft > 0) return this.continueSkip(chunk, 0, end);
    const c = this.carry;
    let off = 0;
    if (c.len < MIN_BLOCK) {
      off += c.fill(chunk, 0, end, MIN_BLOCK);
      if (c.len < MIN_BLOCK) return -1;
    }
    const total = this.blockHeader(c.buf, 0, c.start);
    if (total < 0) return -1;
    if (!isParsed(u32(c.buf, 0, this.le))) {
      // The header arrived in pieces; the rest of this skipped block need not be buffered.
      this.skipTotal = total;
      this.skipLeft = total;
      this.skipStart = c.start;
      this.skipBytes(c.buf, 0, c.len);
      c.len = 0;
      return this.continueSkip(chunk, off, end);
    }
    c.reserve(total);
    off += c.fill(chunk, off, end, total);
    if (c.len < total) return -1;
    c.len = 0;
    return this.block(c.buf, 0, total, c.start) ? off : -1;
  }

  /**
   * Drops the skipped block's bytes from `b[off, end)`, then checks its trailer.
   * @returns offset after the block, or -1 (chunk used up, or a trailer mismatch stopped us).
   */
  private continueSkip(b: Uint8Array, off: number, end: number): number {
    const n = Math.min(this.skipLeft, end - off);
    this.skipBytes(b, off, n);
    if (this.skipLeft > 0) return -1;
    const trailer = u32(this.trail, 0, this.le);
    if (trailer !== this.skipTotal) {
      this.corrupt(this.skipStart, `block length ${this.skipTotal} does not match its trailer ${trailer}`);
      return -1;
    }
    return off + n;
  }

  /** Drops `n` bytes of the skipped block from `b[off…]`, keeping those of its trailer. */
  private skipBytes(b: Uint8Array, off: number, n: number): void {
    const pos = this.skipTotal - this.skipLeft;
    const trailerAt = this.skipTotal - 4;
    for (let p = Math.max(pos, trailerAt); p < pos + n; p++) this.trail[p - trailerAt] = b[off + p - pos] as number;
    this.skipLeft -= n;
  }

  /**
   * Validates the block header at `o` (12 bytes available) and returns the block's total
   * length, or -1 after a `corrupt_block` / `unsupported_version` warning (parsing stops).
   * An SHB sets the byte order here, since its length can only be read in that order.
   */
  private blockHeader(b: Uint8Array, o: number, at: number): number {
    const type = u32(b, o, this.le);
    if (type === BlockType.SectionHeader) {
      const bom = u32(b, o + 8, false);
      if (bom === BYTE_ORDER_MAGIC) this.le = false;
      else if (bom === 0x4d3c2b1a) this.le = true;
      else {
        this.corrupt(at, `section header with bad byte-order magic 0x${bom.toString(16)}`);
        return -1;
      }
    } else if (!this.inSection) {
      this.corrupt(at, `first block is type 0x${type.toString(16)}, not a section header`);
      return -1;
    }
    const total = u32(b, o + 4, this.le);
    if (total < MIN_BLOCK || total % 4 !== 0 || total > MAX_BLOCK) {
      this.corrupt(at, `block of type 0x${type.toString(16)} with bad length ${total}`);
      return -1;
    }
    return total;
  }

  /** Handles one whole block at `b[o, o + total)`. */
  private block(b: Uint8Array, o: number, total: number, at: number): boolean {
    const le = this.le;
    if (u32(b, o + total - 4, le) !== total) {
      return this.corrupt(at, `block length ${total} does not match its trailer ${u32(b, o + total - 4, le)}`);
    }
    const type = u32(b, o, le);
    switch (type) {
      case BlockType.EnhancedPacket: {
        if (total < MIN_EPB) return this.tooShort(at, type, total);
        const iface = u32(b, o + 8, le);
        const caplen = u32(b, o + 20, le);
        if (caplen > total - MIN_EPB) return this.capTooBig(at, caplen, total);
        if (iface >= this.nIf) return this.unknownInterface(at, iface);
        const tsUs = this.timestamp(iface, u32(b, o + 12, le), u32(b, o + 16, le));
        this.lastTs = tsUs;
        this.sink.frame(b, o + 28, caplen, u32(b, o + 24, le), tsUs, this.ifLink[iface] as number);
        return true;
      }
      case BlockType.SimplePacket: {
        if (total < MIN_SPB) return this.tooShort(at, type, total);
        if (this.nIf === 0) return this.unknownInterface(at, 0);
        const wireLen = u32(b, o + 8, le);
        const snap = this.ifSnap[0] as number;
        let caplen = Math.min(wireLen, total - MIN_SPB);
        if (snap !== 0 && snap < caplen) caplen = snap;
        this.sink.frame(b, o + 12, caplen, wireLen, this.lastTs, this.ifLink[0] as number);
        return true;
      }
      case BlockType.Packet: {
        if (total < MIN_PB) return this.tooShort(at, type, total);
        const iface = u16(b, o + 8, le);
        const caplen = u32(b, o + 20, le);
        if (caplen > total - MIN_PB) return this.capTooBig(at, caplen, total);
        if (iface >= this.nIf) return this.unknownInterface(at, iface);
        const tsUs = this.timestamp(iface, u32(b, o + 12, le), u32(b, o + 16, le));
        this.lastTs = tsUs;
        this.sink.frame(b, o + 28, caplen, u32(b, o + 24, le), tsUs, this.ifLink[iface] as number);
        return true;
      }
      case BlockType.InterfaceDescription:
        if (total < MIN_IDB) return this.tooShort(at, type, total);
        this.interface(b, o, total, at);
        return true;
      case BlockType.SectionHeader: {
        if (total < MIN_SHB) return this.tooShort(at, type, total);
        const major = u16(b, o + 12, le);
        if (major !== 1) {
          this.stopped = true;
          this.warn({
            kind: 'unsupported_version',
            offset: at,
            message: `pcapng section version ${major}.${u16(b, o + 14, le)} at byte ${at}; reading stopped`,
          });
          return false;
        }
        this.inSection = true;
        this.nIf = 0;
        return true;
      }
      default:
        return true;
    }
  }

  /** Records an IDB: link type, snaplen, timestamp resolution and offset. */
  private interface(b: Uint8Array, o: number, total: number, at: number): void {
    if (this.nIf >= MAX_INTERFACES) {
      if (!this.warnedTooMany) {
        this.warnedTooMany = true;
        this.warn({
          kind: 'too_many_interfaces',
          offset: at,
          message: `more than ${MAX_INTERFACES} interfaces in one section at byte ${at}; the rest are ignored`,
        });
      }
      return;
    }
    const le = this.le;
    let resol = 6;
    let offsetS = 0;
    // Options: code(2) length(2) value padded to 4, up to the trailer.
    const end = o + total - 4;
    for (let p = o + 16; p + 4 <= end; ) {
      const code = u16(b, p, le);
      const len = u16(b, p + 2, le);
      if (code === OPT_END || p + 4 + len > end) break;
      if (code === IF_TSRESOL && len >= 1) resol = b[p + 4] as number;
      else if (code === IF_TSOFFSET && len >= 8) {
        // Signed 64-bit seconds; hi·2³² + lo is exact for any offset a clock could need.
        const lo = u32(b, p + 4 + (le ? 0 : 4), le);
        const hi = u32(b, p + 4 + (le ? 4 : 0), le) | 0;
        offsetS = hi * TWO32 + lo;
      }
      p += 4 + ((len + 3) & ~3);
    }
    const i = this.nIf++;
    this.ifLink[i] = u16(b, o + 8, le);
    this.ifSnap[i] = u32(b, o + 12, le);
    this.ifOff[i] = offsetS * 1e6;
    this.ifA[i] = 0;
    this.ifB[i] = 0;
    this.ifD[i] = 1;
    if (resol & 0x80) {
      this.ifMode[i] = TS_BIN;
      this.ifA[i] = 1e6 / 2 ** (resol & 0x7f);
    } else if (resol <= 6) {
      this.ifMode[i] = TS_MUL;
      this.ifA[i] = 10 ** (6 - resol);
    } else if (resol <= 9) {
      const d = 10 ** (resol - 6);
      this.ifMode[i] = TS_DIV;
      this.ifA[i] = Math.floor(TWO32 / d);
      this.ifB[i] = TWO32 % d;
      this.ifD[i] = d;
    } else {
      this.ifMode[i] = TS_BIG;
      this.ifD[i] = resol - 6;
    }
  }

  /** Interface `i`'s ticks `hi·2³² + lo` in microseconds since the epoch, floored. */
  private timestamp(i: number, hi: number, lo: number): number {
    const off = this.ifOff[i] as number;
    switch (this.ifMode[i]) {
      case TS_MUL:
        return (hi * TWO32 + lo) * (this.ifA[i] as number) + off;
      case TS_DIV: {
        const d = this.ifD[i] as number;
        // hi·2³² + lo = hi·(q·d + m) + lo, so ⌊…/d⌋ = hi·q + ⌊(hi·m + lo)/d⌋; hi·m < 2⁴².
        return hi * (this.ifA[i] as number) + Math.floor((hi * (this.ifB[i] as number) + lo) / d) + off;
      }
      case TS_BIN:
        return Math.floor((hi * TWO32 + lo) * (this.ifA[i] as number)) + off;
      default: {
        const ticks = (BigInt(hi) << 32n) | BigInt(lo);
        return Number(ticks / 10n ** BigInt(this.ifD[i] as number)) + off;
      }
    }
  }

  private unknownInterface(at: number, iface: number): boolean {
    if (!this.warnedUnknownIf) {
      this.warnedUnknownIf = true;
      this.warn({
        kind: 'unknown_interface',
        offset: at,
        message: `packet at byte ${at} for interface ${iface}, which has no description; such packets are skipped`,
      });
    }
    return true;
  }

  private tooShort(at: number, type: number, total: number): boolean {
    return this.corrupt(at, `block of type 0x${type.toString(16)} too short (${total} bytes)`);
  }

  private capTooBig(at: number, caplen: number, total: number): boolean {
    return this.corrupt(at, `packet block of ${total} bytes claims ${caplen} captured bytes`);
  }

  /** Stops parsing with a `corrupt_block` warning. */
  private corrupt(at: number, why: string): false {
    this.stopped = true;
    this.carry.len = 0;
    this.skipLeft = 0;
    this.warn({ kind: 'corrupt_block', offset: at, message: `${why} at byte ${at}; reading stopped` });
    return false;
  }
}

/** Block types whose bodies the parser reads; the others can be skipped without buffering. */
function isParsed(type: number): boolean {
  return type <= BlockType.EnhancedPacket ? type !== 4 && type !== 5 && type !== 0 : type === BlockType.SectionHeader;
}
