/**
 * Test tooling: writes pcap and pcapng captures in memory, including odd ones (either byte
 * order, nanosecond pcap, several pcapng interfaces with their own resolutions, SPB and the
 * obsolete PB, skippable blocks, sections back to back) and helpers to damage them.
 */
import type { CaptureWarning, FrameSink } from '../capture/frame.js';
import { LinkType } from '../capture/frame.js';

/** One packet to write. */
export interface PacketRecord {
  data: Uint8Array;
  /** Timestamp in microseconds since the epoch (an integer). */
  tsUs: number;
  /** Nanoseconds since the epoch; when given, it wins over `tsUs` (for sub-µs tests). */
  tsNs?: bigint;
  /** Length on the wire; default `data.length`. */
  wireLen?: number;
}

/** Options of {@link pcapFile}. */
export interface PcapOptions {
  /** Default Ethernet. */
  linkType?: number;
  /** Nanosecond magic (0xa1b23c4d) instead of microseconds. */
  nanos?: boolean;
  /** Big-endian file; default little-endian (what x86 tcpdump writes). */
  bigEndian?: boolean;
  /** Default 262144. */
  snaplen?: number;
  /** "Modified pcap" (magic 0xa1b2cd34, 24-byte record headers). */
  modified?: boolean;
  /** File format version; default 2.4 (2.2 and older store the two lengths swapped). */
  version?: [number, number];
}

/** Little helper that appends integers in a chosen byte order. */
class Out {
  private readonly parts: Uint8Array[] = [];
  constructor(readonly le: boolean) {}

  u8(v: number): this {
    this.parts.push(Uint8Array.of(v & 0xff));
    return this;
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, this.le);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, this.le);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), this.le);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  /** Zero bytes up to the next multiple of 4 of `n`. */
  pad(n: number): this {
    const p = (4 - (n % 4)) % 4;
    if (p > 0) this.parts.push(new Uint8Array(p));
    return this;
  }
  done(): Uint8Array {
    return concatAll(this.parts);
  }
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function nsOf(p: PacketRecord): bigint {
  return p.tsNs ?? BigInt(p.tsUs) * 1000n;
}

/** A classic pcap file holding `packets`. */
export function pcapFile(packets: PacketRecord[], opts: PcapOptions = {}): Uint8Array {
  const le = !opts.bigEndian;
  const out = new Out(le);
  const magic = opts.modified ? 0xa1b2cd34 : opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4;
  const [major, minor] = opts.version ?? [2, 4];
  out
    .u32(magic)
    .u16(major)
    .u16(minor)
    .u32(0)
    .u32(0)
    .u32(opts.snaplen ?? 262144)
    .u32(opts.linkType ?? LinkType.Ethernet);
  const swapped = major < 2 || (major === 2 && minor < 3);
  for (const p of packets) {
    const ns = nsOf(p);
    const sec = ns / 1_000_000_000n;
    const frac = opts.nanos ? ns % 1_000_000_000n : (ns % 1_000_000_000n) / 1000n;
    const wire = p.wireLen ?? p.data.length;
    out.u32(Number(sec)).u32(Number(frac));
    if (swapped) out.u32(wire).u32(p.data.length);
    else out.u32(p.data.length).u32(wire);
    if (opts.modified) out.u32(0).u16(0x0800).u8(0).u8(0); // ifindex, protocol, pkt_type, pad
    out.bytes(p.data);
  }
  return out.done();
}

/** An interface of a pcapng section. */
export interface PcapngInterface {
  linkType: number;
  /** 0 = no limit (default). */
  snaplen?: number;
  /**
   * Raw `if_tsresol` byte: 6 = µs (the default, then no option is written), 9 = ns, 3 = ms,
   * 0x80 | n = 2^-n s.
   */
  tsresol?: number;
  /** `if_tsoffset`, seconds added to every timestamp. */
  tsoffset?: number;
}

/** Units per second of an `if_tsresol` byte, as a BigInt. */
function unitsPerSecond(tsresol: number): bigint {
  return tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
}

/**
 * Builds a pcapng stream block by block. Each call appends one block in the current section's
 * byte order; {@link shb} starts a new section (and may switch the byte order).
 */
export class PcapngWriter {
  private readonly blocks: Uint8Array[] = [];
  private le = true;
  private ifaces: PcapngInterface[] = [];

  /** Starts the first section (call {@link shb} yourself to give it options). */
  constructor(opts: { bigEndian?: boolean; noHeader?: boolean } = {}) {
    if (!opts.noHeader) this.shb({ bigEndian: opts.bigEndian });
  }

  /** A Section Header Block: forgets the interfaces; the byte order applies to what follows. */
  shb(o: { bigEndian?: boolean; major?: number; minor?: number; sectionLength?: bigint } = {}): this {
    this.le = !o.bigEndian;
    this.ifaces = [];
    const body = new Out(this.le)
      .u32(0x1a2b3c4d)
      .u16(o.major ?? 1)
      .u16(o.minor ?? 0)
      .u64(o.sectionLength ?? -1n)
      .done();
    return this.block(0x0a0d0d0a, body);
  }

  /** An Interface Description Block (options: if_tsresol, if_tsoffset). */
  idb(i: PcapngInterface): this {
    this.ifaces.push(i);
    const out = new Out(this.le)
      .u16(i.linkType)
      .u16(0)
      .u32(i.snaplen ?? 0);
    if (i.tsresol !== undefined && i.tsresol !== 6) out.u16(9).u16(1).u8(i.tsresol).pad(1);
    if (i.tsoffset !== undefined) out.u16(14).u16(8).u64(BigInt(i.tsoffset));
    if (i.tsresol !== undefined || i.tsoffset !== undefined) out.u16(0).u16(0);
    return this.block(1, out.done());
  }

  /** Timestamp ticks of interface `iface` for a packet. */
  private ticks(iface: number, p: PacketRecord): bigint {
    const i = this.ifaces[iface];
    const units = unitsPerSecond(i?.tsresol ?? 6);
    const ns = nsOf(p) - BigInt(i?.tsoffset ?? 0) * 1_000_000_000n;
    return (ns * units) / 1_000_000_000n;
  }

  /** An Enhanced Packet Block for interface `iface` (default 0); `caplen` overrides the field. */
  epb(p: PacketRecord & { iface?: number; caplen?: number; options?: Uint8Array }): this {
    const iface = p.iface ?? 0;
    const t = this.ticks(iface, p);
    const out = new Out(this.le)
      .u32(iface)
      .u32(Number(t >> 32n))
      .u32(Number(t & 0xffffffffn))
      .u32(p.caplen ?? p.data.length)
      .u32(p.wireLen ?? p.data.length)
      .bytes(p.data)
      .pad(p.data.length);
    if (p.options) out.bytes(p.options);
    return this.block(6, out.done());
  }

  /** A Simple Packet Block (interface 0, no timestamp). */
  spb(p: { data: Uint8Array; wireLen?: number }): this {
    const out = new Out(this.le)
      .u32(p.wireLen ?? p.data.length)
      .bytes(p.data)
      .pad(p.data.length);
    return this.block(3, out.done());
  }

  /** An obsolete Packet Block (type 2): 16-bit interface id and a drops count. */
  pb(p: PacketRecord & { iface?: number; drops?: number }): this {
    const iface = p.iface ?? 0;
    const t = this.ticks(iface, p);
    const out = new Out(this.le)
      .u16(iface)
      .u16(p.drops ?? 0)
      .u32(Number(t >> 32n))
      .u32(Number(t & 0xffffffffn))
      .u32(p.data.length)
      .u32(p.wireLen ?? p.data.length)
      .bytes(p.data)
      .pad(p.data.length);
    return this.block(2, out.done());
  }

  /** A Name Resolution Block with IPv4 records `[address, name]`. */
  nrb(entries: [Uint8Array, string][] = []): this {
    const out = new Out(this.le);
    for (const [addr, name] of entries) {
      const v = concatAll([addr, new TextEncoder().encode(`${name}\0`)]);
      out
        .u16(addr.length === 4 ? 1 : 2)
        .u16(v.length)
        .bytes(v)
        .pad(v.length);
    }
    out.u16(0).u16(0);
    return this.block(4, out.done());
  }

  /** An Interface Statistics Block for `iface` (no options). */
  isb(iface = 0, tsHi = 0, tsLo = 0): this {
    return this.block(5, new Out(this.le).u32(iface).u32(tsHi).u32(tsLo).done());
  }

  /** Any block: type and body (padded); `totalLength` / `trailerLength` override the lengths. */
  block(type: number, body: Uint8Array, o: { totalLength?: number; trailerLength?: number } = {}): this {
    const padded = (body.length + 3) & ~3;
    const total = 12 + padded;
    const out = new Out(this.le)
      .u32(type)
      .u32(o.totalLength ?? total)
      .bytes(body)
      .pad(body.length)
      .u32(o.trailerLength ?? o.totalLength ?? total);
    this.blocks.push(out.done());
    return this;
  }

  /** Raw bytes appended as they are (to build broken files). */
  raw(b: Uint8Array): this {
    this.blocks.push(b);
    return this;
  }

  /** The stream so far. */
  bytes(): Uint8Array {
    return concatAll(this.blocks);
  }
}

/** A packet of {@link pcapngFile}: which interface, and which block type carries it. */
export interface PcapngPacket extends PacketRecord {
  iface?: number;
  block?: 'epb' | 'spb' | 'pb';
}

/** Options of {@link pcapngFile}. */
export interface PcapngOptions {
  /** Interfaces of the section; default one Ethernet interface with µs resolution. */
  interfaces?: PcapngInterface[];
  bigEndian?: boolean;
}

/** A one-section pcapng file: SHB, one IDB per interface, one block per packet (EPB by default). */
export function pcapngFile(packets: PcapngPacket[], opts: PcapngOptions = {}): Uint8Array {
  const w = new PcapngWriter({ bigEndian: opts.bigEndian });
  for (const i of opts.interfaces ?? [{ linkType: LinkType.Ethernet }]) w.idb(i);
  for (const p of packets) {
    if (p.block === 'spb') w.spb(p);
    else if (p.block === 'pb') w.pb(p);
    else w.epb(p);
  }
  return w.bytes();
}

// ---------------------------------------------------------------------------------------------
// Damage and delivery helpers

/** The first `n` bytes (a copy): a capture cut short. */
export function truncate(file: Uint8Array, n: number): Uint8Array {
  return file.slice(0, Math.max(0, n));
}

/** A copy with `bytes` written at `offset`. */
export function patch(file: Uint8Array, offset: number, bytes: Uint8Array | number[]): Uint8Array {
  const out = file.slice();
  out.set(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), offset);
  return out;
}

/** Splits `file` into chunks of the given sizes (cycled), as a stream would deliver it. */
export function chunked(file: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0, i = 0; o < file.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 1);
    out.push(file.subarray(o, o + n));
    o += n;
  }
  return out;
}

/** Splits `file` into chunks of seeded pseudo-random sizes in [1, maxSize]. */
export function randomChunks(file: Uint8Array, seed: number, maxSize: number): Uint8Array[] {
  let s = seed >>> 0 || 1;
  const out: Uint8Array[] = [];
  for (let o = 0; o < file.length; ) {
    // xorshift32: deterministic, so a failure can be replayed from its seed.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const n = 1 + (s % maxSize);
    out.push(file.subarray(o, o + n));
    o += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading back

/** A frame as {@link FrameCollector} keeps it (bytes copied). */
export interface CollectedFrame {
  data: Uint8Array;
  caplen: number;
  wireLen: number;
  tsUs: number;
  linkType: number;
}

/** A sink that copies every frame, and a warning callback that keeps every warning. */
export class FrameCollector implements FrameSink {
  readonly frames: CollectedFrame[] = [];
  readonly warnings: CaptureWarning[] = [];
  /** Bound, so it can be handed over as `warn` / `onWarning` directly. */
  readonly warn = (w: CaptureWarning): void => {
    this.warnings.push(w);
  };

  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    // A copy (Buffer#slice would be a view): the reader reuses its buffers.
    this.frames.push({
      data: Uint8Array.from(data.subarray(offset, offset + caplen)),
      caplen,
      wireLen,
      tsUs,
      linkType,
    });
  }
}
