/**
 * The front door for capture files: opens a file (or standard input), undoes gzip, tells pcap
 * from pcapng by the magic number and streams the frames to a sink. Memory stays bounded by
 * the read size and the largest record, whatever the file size.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SondaError } from '../errors.js';
import { be32 } from './bytes.js';
import type { CaptureWarning, FrameSink } from './frame.js';
import { isPcapMagic, PcapParser } from './pcap-reader.js';
import { BlockType, PcapngParser } from './pcapng-reader.js';

/** Options of {@link readCapture}. */
export interface ReadCaptureOptions {
  /** File-level problems (truncated or corrupt records, gzip errors …); the file is read on. */
  onWarning?: (w: CaptureWarning) => void;
  /**
   * Called after each chunk has been parsed. `bytesRead` counts bytes of the file as stored
   * (compressed, for a .gz); `totalBytes` is the file size, undefined for standard input or
   * a pipe.
   */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
  /** Read size in bytes for files (default 4 MiB): bigger reads mean fewer records straddling reads. */
  highWaterMark?: number;
  /** How a stream source is named in messages (default `capture stream`). */
  name?: string;
}

/** What {@link readCapture} found. */
export interface CaptureInfo {
  format: 'pcap' | 'pcapng';
  /** True when the file was gzip-compressed. */
  compressed: boolean;
  /** Bytes of the file read, as stored (compressed for a .gz). */
  bytesRead: number;
  /** Number of warnings reported through `onWarning`. */
  warnings: number;
}

const DEFAULT_HWM = 1024 * 1024;
/** Bytes gathered before deciding the format (more than the 4 needed, for error messages). */
const HEAD = 8;

/** The push interface shared by the two parsers. */
interface Parser {
  push(chunk: Uint8Array): boolean;
  end(): void;
}

/**
 * Reads a pcap or pcapng capture, gzip-compressed or not, and calls `sink.frame` once per
 * frame, synchronously while each chunk is parsed.
 *
 * Problems in the file's content never throw: they are reported through `opts.onWarning`
 * (`truncated_record`, `corrupt_block`, `truncated_gzip`, `corrupt_gzip` …) and the frames
 * before them are delivered. Problems of the environment throw a {@link SondaError}:
 * - `SONDA_E_NOT_FOUND`: `<path>: no such file`
 * - `SONDA_E_UNREADABLE`: `<path>: cannot read (<reason>)` (permissions, a directory, I/O)
 * - `SONDA_E_NOT_CAPTURE`: `<path>: not a pcap or pcapng capture (…)`, naming the first bytes
 *
 * @param path - file to read; `'-'` means standard input; a `Readable` (a pipe from a capture
 *   process) is read to its end and destroyed after
 * @param sink - receives the frames; views are only valid during each call
 */
export async function readCapture(path: string | Readable, sink: FrameSink, opts: ReadCaptureOptions = {}): Promise<CaptureInfo> {
  const name = typeof path !== 'string' ? (opts.name ?? 'capture stream') : path === '-' ? 'standard input' : path;
  const hwm = opts.highWaterMark ?? DEFAULT_HWM;
  let warnings = 0;
  const onWarning = opts.onWarning;
  const warn = (w: CaptureWarning): void => {
    warnings++;
    onWarning?.(w);
  };
  const onProgress = opts.onProgress;

  let source: ChunkSource;
  let totalBytes: number | undefined;
  if (typeof path !== 'string' || path === '-') {
    source = streamSource(typeof path === 'string' ? process.stdin : path);
  } else {
    const fh = await open(path, 'r').catch((e: unknown) => {
      throw environmentError(name, e);
    });
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw new SondaError('SONDA_E_UNREADABLE', `${name}: cannot read (is a directory)`);
      totalBytes = st.isFile() ? st.size : undefined;
    } catch (e) {
      await fh.close();
      throw e instanceof SondaError ? e : environmentError(name, e);
    }
    source = new FileSource(fh, opts.highWaterMark ?? FILE_CHUNK);
  }

  let bytesRead = 0;
  const nextRaw = async (): Promise<Uint8Array | undefined> => {
    let c: Uint8Array | undefined;
    try {
      c = await source.next();
    } catch (e) {
      throw environmentError(name, e);
    }
    if (c === undefined) return undefined;
    bytesRead += c.length;
    return plain(c);
  };

  let closeGunzip: (() => void) | undefined;
  try {
    const head = await gather(nextRaw, HEAD);
    const compressed = head.length >= 2 && head.bytes[0] === 0x1f && head.bytes[1] === 0x8b;
    let next = nextRaw;
    let gzipError: string | undefined;
    let chunks = head;
    if (compressed) {
      const gz = gunzipStream(head.chunks, nextRaw, hwm);
      closeGunzip = gz.close;
      let outBytes = 0;
      // A truncated or corrupt gzip stream is the file's problem, not the environment's: the
      // frames decompressed so far survive and a warning says where the data ended.
      next = async () => {
        if (gzipError !== undefined) return undefined;
        try {
          const c = await gz.next();
          if (c === undefined) return undefined;
          outBytes += c.length;
          return plain(c);
        } catch (e) {
          if (!isZlibError(e)) throw e;
          gzipError = (e as Error).message;
          const truncated = (e as { code?: string }).code === 'Z_BUF_ERROR';
          warn({
            kind: truncated ? 'truncated_gzip' : 'corrupt_gzip',
            offset: outBytes,
            message: `gzip stream ${truncated ? 'cut short' : 'corrupt'} after ${outBytes} decompressed bytes (${gzipError})`,
          });
          return undefined;
        }
      };
      chunks = await gather(next, HEAD);
      if (chunks.length === 0) {
        const why = gzipError === undefined ? 'empty after gzip decompression' : `unreadable gzip data: ${gzipError}`;
        throw new SondaError('SONDA_E_NOT_CAPTURE', `${name}: not a pcap or pcapng capture (${why})`);
      }
    }

    const magic = chunks.length >= 4 ? be32(chunks.bytes, 0) : -1;
    let parser: Parser;
    let format: CaptureInfo['format'];
    if (magic === BlockType.SectionHeader) {
      parser = new PcapngParser(sink, warn);
      format = 'pcapng';
    } else if (magic >= 0 && isPcapMagic(magic)) {
      parser = new PcapParser(sink, warn);
      format = 'pcap';
    } else {
      const what = describeMagic(chunks.bytes.subarray(0, Math.min(chunks.length, HEAD)));
      const gz = compressed ? 'gzip-compressed, ' : '';
      throw new SondaError('SONDA_E_NOT_CAPTURE', `${name}: not a pcap or pcapng capture (${gz}${what})`);
    }

    let going = true;
    for (const c of chunks.chunks) {
      going = parser.push(c);
      if (!going) break;
    }
    // From here on the parser is the only reader of each chunk, and it is done with a chunk
    // when push() returns: the file source may recycle its buffers. (gunzip holds its input
    // asynchronously, so a compressed file keeps fresh buffers.)
    if (!compressed) source.recycle = true;
    onProgress?.(bytesRead, totalBytes);
    while (going) {
      const c = await next();
      if (c === undefined) break;
      going = parser.push(c);
      onProgress?.(bytesRead, totalBytes);
    }
    parser.end();
    return { format, compressed, bytesRead, warnings };
  } finally {
    // Releases the file (and the gunzip pipeline through it) whether we read to the end,
    // stopped at corrupt data or threw.
    closeGunzip?.();
    await source.close();
  }
}

/**
 * The same bytes as a plain Uint8Array, never a Buffer: the decoders then see one array shape
 * (the carry and defragmentation buffers are Uint8Arrays too) and V8 keeps their loads
 * monomorphic.
 */
function plain(c: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(c) === Uint8Array.prototype ? c : new Uint8Array(c.buffer, c.byteOffset, c.length);
}

/** Read size for files: large reads keep the per-read cost negligible. */
const FILE_CHUNK = 4 << 20;

/** Where raw chunks come from: a pull interface over a file or a stream. */
interface ChunkSource {
  next(): Promise<Uint8Array | undefined>;
  /** May the source reuse a chunk's memory once the next chunk is asked for? */
  recycle: boolean;
  close(): Promise<void>;
}

/**
 * Reads a file in large chunks, one read always in flight ahead of the parser (the next chunk
 * is read while this one is parsed). Once `recycle` is set it alternates between two buffers
 * of its own instead of allocating a buffer per chunk.
 */
class FileSource implements ChunkSource {
  recycle = false;
  private readonly bufs: Buffer[] = [];
  private turn = 0;
  private ahead: Promise<{ buf: Buffer; n: number }> | null = null;
  private eof = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  private read(): Promise<{ buf: Buffer; n: number }> {
    let buf: Buffer;
    if (this.recycle) {
      this.turn ^= 1;
      buf = this.bufs[this.turn] ?? Buffer.allocUnsafe(this.size);
      this.bufs[this.turn] = buf;
    } else buf = Buffer.allocUnsafe(this.size);
    return this.fh.read(buf, 0, this.size, null).then((r) => ({ buf, n: r.bytesRead }));
  }

  async next(): Promise<Uint8Array | undefined> {
    if (this.eof) return undefined;
    const r = await (this.ahead ?? this.read());
    this.ahead = null;
    if (r.n === 0) {
      this.eof = true;
      return undefined;
    }
    this.ahead = this.read();
    // Keep a rejected read-ahead from being reported as unhandled: next() awaits it.
    this.ahead.catch(() => undefined);
    return r.buf.subarray(0, r.n);
  }

  async close(): Promise<void> {
    await this.ahead?.catch(() => undefined);
    await this.fh.close();
  }
}

/** A readable stream (standard input) as a chunk source. */
function streamSource(stream: Readable): ChunkSource {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    recycle: false,
    async next() {
      const r = await it.next();
      return r.done ? undefined : r.value;
    },
    async close() {
      stream.destroy();
    },
  };
}

/** Chunks gathered until at least `want` bytes (or the end), kept as read. */
interface Head {
  chunks: Uint8Array[];
  /** The first bytes contiguous: the first chunk, or the first `want` bytes of several. */
  bytes: Uint8Array;
  length: number;
}

async function gather(next: () => Promise<Uint8Array | undefined>, want: number): Promise<Head> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < want) {
    const c = await next();
    if (c === undefined) break;
    if (c.length === 0) continue;
    chunks.push(c);
    length += c.length;
  }
  let bytes: Uint8Array;
  if (chunks.length === 1) bytes = chunks[0] as Uint8Array;
  else {
    bytes = new Uint8Array(Math.min(length, want));
    let o = 0;
    for (const c of chunks) {
      if (o >= bytes.length) break;
      const n = Math.min(c.length, bytes.length - o);
      bytes.set(c.subarray(0, n), o);
      o += n;
    }
  }
  return { chunks, bytes, length };
}

/**
 * Gunzips the raw stream (first `head`, then `nextRaw()` until it ends) and returns a pull
 * function for the decompressed chunks: undefined at the end, throws zlib's error on bad data.
 *
 * Pulled with `read()` rather than an async iterator: the iterator drops what is buffered once
 * the stream has failed, and those are exactly the frames before a corrupt spot.
 */
function gunzipStream(
  head: Uint8Array[],
  nextRaw: () => Promise<Uint8Array | undefined>,
  hwm: number,
): { next(): Promise<Uint8Array | undefined>; close(): void } {
  const gunzip = createGunzip({ chunkSize: Math.max(64, Math.min(hwm, 1024 * 1024)) });
  let error: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  gunzip.on('readable', notify);
  gunzip.on('end', () => {
    ended = true;
    notify();
  });
  gunzip.on('error', (e: unknown) => {
    error = e;
    notify();
  });
  // Feed by hand, honouring backpressure: the producer waits while gunzip's buffer is full.
  const feed = async (): Promise<void> => {
    for (const c of head) if (!gunzip.write(c)) await drained(gunzip);
    for (;;) {
      const c = await nextRaw();
      if (c === undefined || gunzip.destroyed) break;
      if (!gunzip.write(c)) await drained(gunzip);
    }
    gunzip.end();
  };
  feed().catch((e: unknown) => gunzip.destroy(e as Error));
  return {
    async next() {
      for (;;) {
        const c = gunzip.read() as Uint8Array | null;
        if (c !== null) return c;
        if (error !== undefined) throw error;
        if (ended) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    close() {
      gunzip.destroy();
    },
  };
}

/** Resolves when `s` can take more input again, or has closed. */
function drained(s: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

/** zlib's errors carry a `Z_*` code (Z_BUF_ERROR: input ended early; Z_DATA_ERROR: bad data). */
function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Maps a Node.js file error to a {@link SondaError} with a one-line message. */
function environmentError(name: string, e: unknown): SondaError {
  if (e instanceof SondaError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SondaError('SONDA_E_NOT_FOUND', `${name}: no such file`);
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'is a directory'
        : e instanceof Error
          ? e.message
          : String(e);
  return new SondaError('SONDA_E_UNREADABLE', `${name}: cannot read (${reason})`);
}

/**
 * Describes the first bytes of a file for an error message: up to 8 bytes in hex and as
 * text (non-printable bytes as '.'), e.g. `starts with 48 65 6c 6c 6f 20 77 6f "Hello wo"`,
 * or `empty file`.
 */
export function describeMagic(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'empty file';
  const n = Math.min(bytes.length, HEAD);
  let hex = '';
  let text = '';
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    hex += (i > 0 ? ' ' : '') + b.toString(16).padStart(2, '0');
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  }
  return `starts with ${hex} "${text}"`;
}
