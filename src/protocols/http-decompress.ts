/**
 * Bounded decoding of HTTP bodies: Content-Encoding `gzip` (`x-gzip`), `deflate` (zlib-wrapped
 * as RFC 9110 says, or raw deflate as some servers send it: told apart by the first two bytes)
 * and `br`, at most two stacked, with node:zlib streams.
 *
 * Decoding is asynchronous (zlib runs on the thread pool): {@link BodyDecoder} takes the
 * dechunked body as it arrives and calls `done` once, after `end()`, with what it decoded.
 * Every stream is bounded:
 * - input: at most `maxDecompressedBytes` compressed bytes are handed to zlib (no coding
 *   expands data, so more input can only mean more output than allowed);
 * - output: `keepBytes` decoded bytes are kept; once they are there decoding stops quietly
 *   (the body is a prefix, not an error);
 * - bombs: decoded size over `maxDecompressedBytes`, or over `maxRatio` times the compressed
 *   bytes zlib consumed (checked once the output passes {@link RATIO_FLOOR}), stop decoding
 *   with `aborted` = `'size'` / `'ratio'`;
 * - corrupt data: `aborted` = `'error'`, with the bytes decoded before the error.
 * A body cut short (a gap, the end of the flow) decodes as far as it goes: zlib is told to
 * flush, not to finish, so truncation is not an error.
 */
import type { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** A content coding this file can undo. */
export type Coding = 'gzip' | 'deflate' | 'br';

/** Why decoding stopped early: decoded size, decoded/compressed ratio, corrupt data. */
export type DecodeAbort = 'ratio' | 'size' | 'error';

/** Limits of one {@link BodyDecoder}. */
export interface DecodeLimits {
  /** Decoded bytes kept for the consumer; decoding stops (quietly) once they are there. */
  keepBytes: number;
  /** Decoded bytes (and compressed bytes handed to zlib) allowed before `'size'`. */
  maxDecompressedBytes: number;
  /** Decoded bytes allowed per compressed byte consumed, past {@link RATIO_FLOOR}. */
  maxRatio: number;
}

/** Decoded bytes below which the ratio is not judged: small, very repetitive bodies are fine. */
export const RATIO_FLOOR = 64 * 1024;

/** Codings stacked deeper than this are not decoded. */
const MAX_CODINGS = 2;

/**
 * Parses a Content-Encoding value: the codings in the order they were applied, `identity`
 * left out. `[]` for identity; `undefined` when a coding is unknown (`compress`, `zstd` …) or
 * more than two are stacked: such a body is not decoded.
 */
export function parseContentEncoding(value: string): Coding[] | undefined {
  const out: Coding[] = [];
  for (const part of value.split(',')) {
    const c = part.trim().toLowerCase();
    if (c === '' || c === 'identity') continue;
    if (c === 'gzip' || c === 'x-gzip') out.push('gzip');
    else if (c === 'deflate') out.push('deflate');
    else if (c === 'br') out.push('br');
    else return undefined;
  }
  return out.length > MAX_CODINGS ? undefined : out;
}

/** True when two bytes open a zlib stream (RFC 1950: method 8, check bits). */
export function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0;
}

const FLUSH_OPTS = { finishFlush: constants.Z_SYNC_FLUSH };
const BROTLI_OPTS = { finishFlush: constants.BROTLI_OPERATION_FLUSH };

/** One decoding stage; `deflate` picks zlib or raw on its first two bytes. */
class Stage {
  stream: Transform | undefined;
  /** Bytes held until `deflate` can tell zlib from raw (at most 1). */
  head: Uint8Array | undefined;
  constructor(readonly coding: Coding) {}
}

/**
 * Decodes one body through its codings (undone last-applied first). Feed `write()` with the
 * body as it comes (the bytes are copied), then `end()`; `done(body, aborted)` follows once,
 * asynchronously. `stop()` abandons decoding: `done` is then called at once with what was
 * decoded so far.
 */
export class BodyDecoder {
  private readonly stages: Stage[];
  private readonly kept: Uint8Array[] = [];
  private keptBytes = 0;
  private outBytes = 0;
  private inBytes = 0;
  private finished = false;
  private ended = false;

  /**
   * @param codings - as from {@link parseContentEncoding}, in the order applied; not empty
   * @param done - called once with the decoded bytes (at most `keepBytes`) and why decoding
   *   stopped early, if it did
   */
  constructor(
    codings: readonly Coding[],
    private readonly limits: DecodeLimits,
    private readonly done: (body: Uint8Array, aborted: DecodeAbort | undefined) => void,
  ) {
    this.stages = [];
    for (let i = codings.length - 1; i >= 0; i--) this.stages.push(new Stage(codings[i]!));
    for (let i = 0; i < this.stages.length; i++) if (this.stages[i]!.coding !== 'deflate') this.open(i, false);
  }

  /** True once `done` has been called. */
  get settled(): boolean {
    return this.finished;
  }

  /** Hands `b[off, end)` (compressed) to the first stage; ignored after `end()` or a stop. */
  write(b: Uint8Array, off: number, end: number): void {
    if (this.finished || this.ended || off >= end) return;
    const room = this.limits.maxDecompressedBytes - this.inBytes;
    if (room <= 0) return;
    if (end - off > room) end = off + room;
    this.inBytes += end - off;
    this.push(0, new Uint8Array(b.subarray(off, end)));
  }

  /** No more input: flush what is buffered; `done` follows when the streams drain. */
  end(): void {
    if (this.finished || this.ended) return;
    this.ended = true;
    this.endStage(0);
  }

  /** Abandons decoding now: `done` is called at once with the bytes decoded so far. */
  stop(aborted?: DecodeAbort): void {
    this.finish(aborted);
  }

  private open(i: number, raw: boolean): Transform {
    const st = this.stages[i]!;
    let s: Transform;
    if (st.coding === 'gzip') s = createGunzip(FLUSH_OPTS);
    else if (st.coding === 'br') s = createBrotliDecompress(BROTLI_OPTS);
    else s = raw ? createInflateRaw(FLUSH_OPTS) : createInflate(FLUSH_OPTS);
    st.stream = s;
    const last = i === this.stages.length - 1;
    s.on('data', (c: Uint8Array) => (last ? this.output(c) : this.push(i + 1, c)));
    s.on('error', () => this.finish('error'));
    s.on('end', () => {
      if (last) this.finish(undefined);
      else this.endStage(i + 1);
    });
    return s;
  }

  private push(i: number, c: Uint8Array): void {
    if (this.finished) return;
    const st = this.stages[i]!;
    if (st.stream === undefined) {
      // deflate: wait for two bytes to tell a zlib header from raw deflate data.
      if (st.head !== undefined) {
        const j = new Uint8Array(st.head.length + c.length);
        j.set(st.head);
        j.set(c, st.head.length);
        c = j;
        st.head = undefined;
      }
      if (c.length < 2) {
        st.head = c;
        return;
      }
      this.open(i, !isZlibHeader(c[0]!, c[1]!));
    }
    st.stream!.write(c);
  }

  private endStage(i: number): void {
    if (this.finished) return;
    const st = this.stages[i]!;
    if (st.stream === undefined) {
      if (st.head === undefined) {
        // Nothing ever reached this stage: the body decodes to nothing.
        this.finish(undefined);
        return;
      }
      const h = st.head;
      st.head = undefined;
      this.open(i, true).write(h);
    }
    st.stream!.end();
  }

  private output(c: Uint8Array): void {
    if (this.finished) return;
    this.outBytes += c.length;
    const lim = this.limits;
    if (this.outBytes > lim.maxDecompressedBytes) {
      this.keep(c, c.length - (this.outBytes - lim.maxDecompressedBytes));
      this.finish('size');
      return;
    }
    const consumed = Math.max(1, (this.stages[0]!.stream as unknown as { bytesWritten?: number }).bytesWritten ?? this.inBytes);
    if (this.outBytes > RATIO_FLOOR && this.outBytes > lim.maxRatio * consumed) {
      this.keep(c, c.length);
      this.finish('ratio');
      return;
    }
    this.keep(c, c.length);
    if (this.keptBytes >= lim.keepBytes) this.finish(undefined);
  }

  private keep(c: Uint8Array, n: number): void {
    const room = this.limits.keepBytes - this.keptBytes;
    if (n > room) n = room;
    if (n <= 0) return;
    this.kept.push(n === c.length ? c : c.subarray(0, n));
    this.keptBytes += n;
  }

  private finish(aborted: DecodeAbort | undefined): void {
    if (this.finished) return;
    this.finished = true;
    for (const st of this.stages) {
      const s = st.stream;
      if (s === undefined) continue;
      s.removeAllListeners('data');
      s.removeAllListeners('end');
      // A late error from a destroyed stream must not be unhandled.
      s.on('error', noop);
      s.destroy();
    }
    this.done(concat(this.kept, this.keptBytes), aborted);
  }
}

function noop(): void {}

/** Joins chunks into one array of `total` bytes. */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === total) {
    const c = chunks[0]!;
    return new Uint8Array(c.buffer, c.byteOffset, c.length);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
