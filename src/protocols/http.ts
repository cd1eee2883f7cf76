/**
 * HTTP/1.x (RFC 9110, RFC 9112) over reassembled TCP bytes, one {@link HttpParser} per flow.
 *
 * - {@link probeHttp}: does a stream start like HTTP/1.x (a request line or a status line)?
 * - {@link HttpParser}: requests and responses of both directions, pipelining (responses
 *   matched to requests in order), bodies by Content-Length, chunked transfer coding
 *   (extensions, trailers) or connection close; HEAD, 1xx, 204 and 304 answers without
 *   body; CONNECT tunnels and protocol upgrades (101) end the parsing. Content-Encoding
 *   `gzip`, `deflate`, `br` is undone for captured bodies (./http-decompress.ts), within
 *   bomb limits.
 *
 * Tolerated: LF-only line ends, blank lines between messages, obs-fold continuation lines,
 * any case of header names (kept lower-cased), spaces inside the request-target. Everything is
 * bounded by {@link HttpLimits}; bytes never throw: anomalies are weirds ({@link HTTP_WEIRDS}),
 * after which the direction resynchronises on the next line that starts a request (a known
 * method and a space) or a response (`HTTP/1.`). After a gap (`gap()`), a body of known length
 * is skipped over; anything else resynchronises the same way.
 */
import { BodyDecoder, type Coding, type DecodeAbort, parseContentEncoding } from './http-decompress.js';

/** Direction of stream bytes: 0 client → server, 1 server → client. */
export type Dir = 0 | 1;

/** Bounds of one flow's parser (STYLE.md §8): what happens at each is stated beside it. */
export interface HttpLimits {
  /**
   * Bytes of one message head (start line, headers, blank line), and of a chunked body's
   * trailers. Beyond it: weird `http_header_too_long`, the complete lines read so far make the
   * message, and the direction resynchronises (its body is not followed).
   */
  maxHeaderBytes: number;
  /** Header fields kept per message; the rest still frame the message but are not kept (weird `http_too_many_headers`). */
  maxHeaders: number;
  /** Transactions per flow; at the cap the parser stops (`done`, weird `http_too_many_transactions`). */
  maxTransactions: number;
  /** Decoded response-body bytes kept per transaction when bodies are captured (0: none kept). */
  maxBodyBytes: number;
  /** Decoded bytes per body before decompression stops (weird `http_decompression_bomb`, `decompressionAborted: 'size'`). */
  maxDecompressedBytes: number;
  /** Decoded bytes per compressed byte before decompression stops (`'ratio'`), judged past 64 KiB decoded. */
  maxDecompressionRatio: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 100,
  maxTransactions: 1000,
  maxBodyBytes: 0,
  maxDecompressedBytes: 10 * 1024 * 1024,
  maxDecompressionRatio: 100,
};

/** Body bytes kept when `captureBodies` is on and `maxBodyBytes` was left at 0. */
export const DEFAULT_CAPTURE_BODY_BYTES = 1024 * 1024;

/**
 * Weirds this file reports (Zeek's weird.log style), each once per occurrence:
 * - `http_bad_request_line` / `http_bad_status_line`: a line that should start a request /
 *   response does not (not a method token, CTL bytes, no `HTTP/x.y`, no 3-digit status);
 *   the direction resynchronises
 * - `http_header_too_long`: a head (or trailer block) over `maxHeaderBytes`
 * - `http_too_many_headers`: more than `maxHeaders` fields in one message
 * - `http_bad_header_line`: a header line without a colon (skipped)
 * - `http_bad_content_length`: not a decimal number, or conflicting values; the body length is
 *   unknown and the direction resynchronises
 * - `http_bad_chunk_size`: a chunk-size line that is not hexadecimal (or too big); resync
 * - `http_too_many_transactions`: more than `maxTransactions`; parsing stops
 * - `http_unmatched_response`: a response with no request left to answer
 * - `http_content_gap`: bytes lost inside a message (the body is skipped when its length is
 *   known, else the direction resynchronises)
 * - `http_message_truncated`: the flow ended inside a message of known length or inside a head
 * - `http_decompression_bomb`: a captured body passed `maxDecompressedBytes` or
 *   `maxDecompressionRatio` while being decoded
 * - `http_decompression_error`: a captured body's content coding was corrupt
 *   (these two are reported when decoding ends, asynchronously: bodies decode on zlib's
 *   thread pool)
 * - `http_internal_error`: an exception inside the parser or a consumer callback (caught, the
 *   direction resynchronises): should never be seen
 */
export const HTTP_WEIRDS = [
  'http_bad_request_line',
  'http_bad_status_line',
  'http_header_too_long',
  'http_too_many_headers',
  'http_bad_header_line',
  'http_bad_content_length',
  'http_bad_chunk_size',
  'http_too_many_transactions',
  'http_unmatched_response',
  'http_content_gap',
  'http_message_truncated',
  'http_decompression_bomb',
  'http_decompression_error',
  'http_internal_error',
] as const;
export type HttpWeird = (typeof HTTP_WEIRDS)[number];

/** One request and its response (either may be missing: one-sided captures, gaps, truncation). */
export interface HttpTransaction {
  /** Request method as sent (`''` for a response whose request was not seen). */
  method: string;
  /** Request-target as sent: origin form `/path?q`, absolute form, authority form (CONNECT) or `*`. */
  url: string;
  /** `HTTP/1.1` … of the request (`''` when the request was not seen). */
  version: string;
  /** Host header value as sent (a port included). */
  host?: string;
  user_agent?: string;
  request_content_type?: string;
  /** Final status code; interim (1xx other than 101) codes are in `informational`. */
  status?: number;
  reason?: string;
  /** Status codes of interim responses (100 Continue, 103 Early Hints …), in order, at most 8. */
  informational?: number[];
  content_type?: string;
  server?: string;
  /** Header fields, names lower-cased, values trimmed, obs-folds joined, chunked trailers appended; at most `maxHeaders`. */
  requestHeaders: Array<[string, string]>;
  responseHeaders: Array<[string, string]>;
  /** Body bytes on the wire after dechunking, before decompression (lost bytes of a gap included). */
  requestBodyLength: number;
  responseBodyLength: number;
  /** Decoded (dechunked, decompressed) response body, at most `maxBodyBytes`, when bodies are captured. */
  responseBody?: Uint8Array;
  /** Content-Encoding of the response as sent, when present. */
  contentEncoding?: string;
  decompressionAborted?: DecodeAbort;
  /** Timestamps (µs, as given to `data()`) of the first byte of the request and of the response. */
  requestTs?: number;
  responseTs?: number;
  /** `responseTs - requestTs` (µs), when both are known. */
  latencyUs?: number;
  /** A CONNECT answered with 2xx: the rest of the flow is a tunnel. */
  connect?: boolean;
  /** A 101 Switching Protocols: the Upgrade value (`websocket`, `h2c` …): the rest is not HTTP/1. */
  upgrade?: string;
}

/** Options of {@link HttpParser}. */
export interface HttpParserOptions {
  /**
   * Keep decoded response bodies (`responseBody`), at most `maxBodyBytes` each (1 MiB when
   * that limit is 0). Default: on when `maxBodyBytes` > 0.
   */
  captureBodies?: boolean;
  /**
   * Called once per transaction: when its response is complete (after its body is decoded,
   * asynchronously, when it is being decompressed), or when the flow ends or the parser stops
   * for a transaction still open. The transaction is the parser's: read, don't keep changing.
   */
  onTransaction?: (tx: HttpTransaction) => void;
}

// ---- probing -----------------------------------------------------------------------------------

/** Methods that start a request when resynchronising or probing (the parser itself accepts any token). */
const METHODS = [
  'GET',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'MKCALENDAR',
  'PURGE',
].map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;

const MATCH = 1;
const NO = 0;
const UNDECIDED = -1;

/** Does `b[off, end)` start with a known method and a space? MATCH, NO or UNDECIDED (too short). */
function matchMethod(b: Uint8Array, off: number, end: number): number {
  let best = NO;
  for (const m of METHODS) {
    let i = 0;
    while (i < m.length && off + i < end && b[off + i] === m[i]) i++;
    if (i < m.length) {
      if (off + i === end) best = UNDECIDED;
      continue;
    }
    if (off + i === end) best = UNDECIDED;
    else if (b[off + i] === SP) return MATCH;
  }
  return best;
}

const HTTP1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."

/** Does `b[off, end)` start with `HTTP/1.`? MATCH, NO or UNDECIDED. */
function matchStatus(b: Uint8Array, off: number, end: number): number {
  for (let i = 0; i < HTTP1.length; i++) {
    if (off + i === end) return UNDECIDED;
    if (b[off + i] !== HTTP1[i]) return NO;
  }
  return MATCH;
}

/**
 * True when `b[off, end)` looks like the start of an HTTP/1.x stream: a status line
 * (`HTTP/1.`), or a known method and a space whose line, if it ends within the bytes, ends
 * with ` HTTP/x.y`. Cheap: looks at the first line only.
 */
export function probeHttp(b: Uint8Array, off: number, end: number): boolean {
  if (matchStatus(b, off, end) === MATCH) return true;
  if (matchMethod(b, off, end) !== MATCH) return false;
  let lf = off;
  while (lf < end && b[lf] !== LF) lf++;
  if (lf === end) return true;
  let e = lf;
  if (e > off && b[e - 1] === CR) e--;
  // " HTTP/d.d" at the end of the line
  return e - off >= 9 && b[e - 9] === SP && matchVersion(b, e - 8);
}

function matchVersion(b: Uint8Array, o: number): boolean {
  return (
    (b[o]! | 0x20) === 0x68 &&
    (b[o + 1]! | 0x20) === 0x74 &&
    (b[o + 2]! | 0x20) === 0x74 &&
    (b[o + 3]! | 0x20) === 0x70 &&
    b[o + 4] === 0x2f &&
    isDigit(b[o + 5]!) &&
    b[o + 6] === 0x2e &&
    isDigit(b[o + 7]!)
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** RFC 9110 tchar. */
function isTchar(c: number): boolean {
  if (c >= 0x61 && c <= 0x7a) return true;
  if (c >= 0x41 && c <= 0x5a) return true;
  if (c >= 0x30 && c <= 0x39) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

/** Longest method token accepted. */
const MAX_METHOD = 32;

/**
 * Checks the start line collected so far, `b[0, n)` (no LF yet): false as soon as it cannot
 * become a request line (a method token, a space …) or a status line (`HTTP/`), or holds a
 * control byte. `b[0, from)` was checked before: only the new bytes are looked at again, so
 * that a line arriving byte by byte costs linear time. `strict` (resynchronising): known
 * methods only.
 */
function startPrefixOk(b: Uint8Array, from: number, n: number, response: boolean, strict: boolean): boolean {
  // The token part is judged while it can still be incomplete.
  if (from <= MAX_METHOD + 1) {
    if (response) {
      if (matchStatusPrefix(b, n) === NO) return false;
    } else if (strict) {
      if (matchMethod(b, 0, n) === NO) return false;
    } else {
      let i = 0;
      while (i < n && i <= MAX_METHOD && isTchar(b[i]!)) i++;
      if (i < n && (i === 0 || b[i] !== SP)) return false;
      if (i > MAX_METHOD) return false;
    }
  }
  for (let i = from; i < n; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== HT && c !== CR) || c === 0x7f) return false;
  }
  return true;
}

/** `HTTP/` (any case) then a digit: MATCH, NO, UNDECIDED. */
function matchStatusPrefix(b: Uint8Array, n: number): number {
  const want = [0x68, 0x74, 0x74, 0x70];
  for (let i = 0; i < 4; i++) {
    if (i === n) return UNDECIDED;
    if ((b[i]! | 0x20) !== want[i]) return NO;
  }
  if (n === 4) return UNDECIDED;
  if (b[4] !== 0x2f) return NO;
  if (n === 5) return UNDECIDED;
  return isDigit(b[5]!) ? MATCH : NO;
}

// ---- parsing -------------------------------------------------------------------------------------

/** Per-direction states. */
const S = {
  /** Waiting for / collecting a start line and headers. */
  Head: 0,
  /** Body of known remaining length (`remaining`). */
  Body: 1,
  /** Collecting a chunk-size line. */
  ChunkSize: 2,
  /** Inside chunk data (`remaining`). */
  ChunkData: 3,
  /** After chunk data: CRLF expected. */
  ChunkEnd: 4,
  /** Collecting trailer lines after the last chunk. */
  Trailers: 5,
  /** Response body delimited by the connection close. */
  Close: 6,
  /** Looking for the next line that starts a message. */
  Resync: 7,
} as const;
type S = (typeof S)[keyof typeof S];

/** Longest chunk-size line (size, extensions). */
const MAX_CHUNK_LINE = 4096;
/** Hex digits of a chunk size: 13 keeps it under 2^53. */
const MAX_CHUNK_DIGITS = 13;
const MAX_INFORMATIONAL = 8;
/** Head buffer size kept between messages; a bigger one is dropped after its message. */
const KEEP_BUF = 4096;

const utf8 = new TextDecoder('utf-8');
const EMPTY = new Uint8Array(0);

/** Parsed start line, held between the first LF and the end of the head. */
interface StartLine {
  method: string;
  target: string;
  version: string;
  status: number;
  reason: string;
}

/** Parser state of one direction. */
class Side {
  state: S = S.Head;
  /** Head / line bytes collected across calls. */
  buf: Uint8Array = EMPTY;
  len = 0;
  /** Non-CR bytes of the current line. */
  lineLen = 0;
  /** Head: the first non-blank byte was seen. */
  started = false;
  /** Head: end of the start line in `buf` (0 while not complete). */
  startEnd = 0;
  start: StartLine | undefined;
  /** Head entered from Resync: known methods only, failures silent. */
  probing = false;
  /** Resync: the next byte starts a line. */
  atLineStart = true;
  remaining = 0;
  /** Transaction of the message being parsed (request, or the response's). */
  tx: HttpTransaction | undefined;
  txIndex = -1;
  decoder: BodyDecoder | undefined;
  /** Identity body being kept. */
  kept: Uint8Array[] | undefined;
  keptBytes = 0;
  msgTs = 0;
}

/** Internal per-transaction bookkeeping, parallel to `transactions`. */
interface TxMeta {
  /** No more bytes will be added (response complete, or the parser gave up on it). */
  finished: boolean;
  decoding: boolean;
  reported: boolean;
}

/**
 * HTTP/1.x parser for one TCP flow. Feed it each direction's in-order stream bytes with
 * `data()`, lost bytes with `gap()`, and call `end()` when the flow ends. Nothing throws;
 * everything is bounded by {@link HttpLimits}. The parser works out which side is the client
 * from the first bytes when the caller's direction is reversed (a response seen first in
 * direction 0, or a request first in direction 1).
 */
export class HttpParser {
  private readonly txs: HttpTransaction[] = [];
  private readonly meta: TxMeta[] = [];
  private readonly limits: HttpLimits;
  private readonly keepBytes: number;
  private readonly onTx: ((tx: HttpTransaction) => void) | undefined;
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  /** -1 undecided, 0 direction 0 is the client, 1 reversed. */
  private swapped = -1;
  /** Index of the next transaction waiting for its response. */
  private respIdx = 0;
  private stopped = false;
  private ended = false;
  private decoding = 0;
  private idle: Array<() => void> = [];

  /**
   * @param weird - called with a name from {@link HTTP_WEIRDS} for each anomaly
   * @param limits - overrides of {@link DEFAULT_HTTP_LIMITS}
   */
  constructor(
    private readonly weird: (name: HttpWeird) => void,
    limits?: Partial<HttpLimits>,
    opts: HttpParserOptions = {},
  ) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...limits };
    const capture = opts.captureBodies ?? this.limits.maxBodyBytes > 0;
    this.keepBytes = capture ? this.limits.maxBodyBytes || DEFAULT_CAPTURE_BODY_BYTES : 0;
    this.onTx = opts.onTransaction;
  }

  /** Transactions in request order (a response without request makes its own). Bounded by `maxTransactions`. */
  get transactions(): readonly HttpTransaction[] {
    return this.txs;
  }

  /** True after a CONNECT tunnel or a protocol upgrade was accepted, or at `maxTransactions`: later bytes are ignored. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * In-order stream bytes `b[off, end)` of direction `dir`, seen at `tsUs` (µs). The bytes
   * are not kept past the call (what is needed is copied).
   */
  data(dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    if (this.stopped || this.ended || off >= end) return;
    if (this.swapped < 0) this.decideRoles(dir, b, off, end);
    const s = this.sides[dir];
    try {
      this.feed(s, dir, b, off, end, tsUs);
    } catch {
      this.weird('http_internal_error');
      this.toResync(s, false);
    }
  }

  /**
   * `bytes` of direction `dir` were lost. Inside a body of known length that holds them, the
   * body goes on (its decoded copy stops there); anything else drops the message being parsed
   * and resynchronises on the next request / status line.
   */
  gap(dir: Dir, bytes: number): void {
    if (this.stopped || this.ended || !(bytes > 0)) return;
    const s = this.sides[dir];
    try {
      this.gapIn(s, dir, bytes);
    } catch {
      this.weird('http_internal_error');
      this.toResync(s, false);
    }
  }

  /**
   * The flow ended: a response delimited by the connection close is complete; a message cut
   * short is kept as far as it went (weird `http_message_truncated`); every transaction not
   * yet reported is reported (those still decoding, when their decoding ends). Call it for
   * every flow: it also closes the zlib streams of bodies being decoded. Idempotent.
   */
  end(): void {
    if (this.ended) return;
    try {
      if (!this.stopped) this.endSide(this.sides[0], 0);
      if (!this.stopped) this.endSide(this.sides[1], 1);
    } catch {
      this.weird('http_internal_error');
    }
    this.ended = true;
    this.finishAll();
  }

  /** Resolves when no captured body is being decoded any more (bodies are decoded asynchronously). */
  settled(): Promise<void> {
    if (this.decoding === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * The flow record's `http` object (../shared/spec/flow-record.md), from the first
   * transaction: `method`, `url`, `host`, `status`, `user_agent`, `content_type`, `server`,
   * absent ones left out; undefined before any transaction.
   * - `url` is written as ndpiReader writes it: the Host header as sent (port included) and
   *   the origin-form target (`www.lan:8080/index.html`); absolute-form and authority-form
   *   targets as sent; cut to {@link MAX_RECORD_URL} characters, as ndpiReader does. The
   *   transaction's `url` keeps the whole target alone.
   * - The first transaction is the first with a request; a flow with responses only has the
   *   first response.
   * - `host` is the Host header without its port (or the CONNECT target's host).
   * - `status` is the first status line's code, an interim 100 included (as ndpiReader does).
   * - `content_type` is the media type without parameters (`text/html`, not `text/html;
   *   charset=UTF-8`), as ndpiReader prints it; the transaction keeps the whole value.
   */
  record(): Record<string, string | number> | undefined {
    // A response seen before any request (a capture starting mid-flow, reordered packets) is
    // passed over for the first transaction that has a request.
    const tx = this.txs.find((t) => t.method !== '') ?? this.txs[0];
    if (tx === undefined) return undefined;
    const r: Record<string, string | number> = {};
    if (tx.method !== '') r.method = tx.method;
    const url = recordUrl(tx);
    if (url !== undefined) r.url = url;
    const host = hostOf(tx);
    if (host !== undefined) r.host = host;
    const status = tx.informational?.[0] ?? tx.status;
    if (status !== undefined) r.status = status;
    if (tx.user_agent !== undefined) r.user_agent = tx.user_agent;
    const ct = tx.content_type === undefined ? '' : mediaType(tx.content_type);
    if (ct !== '') r.content_type = ct;
    if (tx.server !== undefined) r.server = tx.server;
    return r;
  }

  // ---- roles -------------------------------------------------------------------------------------

  /** A status line first in direction 0, or a request line first in direction 1: the caller's client is the server. */
  private decideRoles(dir: Dir, b: Uint8Array, off: number, end: number): void {
    let i = off;
    while (i < end && (b[i] === CR || b[i] === LF)) i++;
    if (i === end) return;
    if (dir === 0) this.swapped = matchStatus(b, i, end) === MATCH ? 1 : 0;
    else this.swapped = matchStatus(b, i, end) !== MATCH && matchMethod(b, i, end) === MATCH ? 1 : 0;
  }

  private isResponse(dir: Dir): boolean {
    return (dir === 1) !== (this.swapped === 1);
  }

  // ---- the state machine -------------------------------------------------------------------------

  private feed(s: Side, dir: Dir, b: Uint8Array, off: number, end: number, ts: number): void {
    while (off < end && !this.stopped) {
      switch (s.state) {
        case S.Head:
          off = this.head(s, dir, b, off, end, ts);
          break;
        case S.Body: {
          const n = Math.min(s.remaining, end - off);
          this.body(s, dir, b, off, off + n);
          off += n;
          s.remaining -= n;
          if (s.remaining === 0) this.messageDone(s, dir);
          break;
        }
        case S.ChunkSize:
          off = this.chunkSize(s, dir, b, off, end);
          break;
        case S.ChunkData: {
          const n = Math.min(s.remaining, end - off);
          this.body(s, dir, b, off, off + n);
          off += n;
          s.remaining -= n;
          if (s.remaining === 0) s.state = S.ChunkEnd;
          break;
        }
        case S.ChunkEnd: {
          // CRLF after chunk data; a missing one is tolerated (the next line is the size).
          const c = b[off]!;
          if (c === CR) off++;
          else {
            if (c === LF) off++;
            this.toLine(s, S.ChunkSize);
          }
          break;
        }
        case S.Trailers:
          off = this.trailers(s, dir, b, off, end);
          break;
        case S.Close:
          this.body(s, dir, b, off, end);
          off = end;
          break;
        case S.Resync:
          off = this.resync(s, dir, b, off, end);
          break;
      }
    }
  }

  private toLine(s: Side, state: S): void {
    s.state = state;
    s.len = 0;
    s.lineLen = 0;
  }

  /** Collects a head; returns where it stopped reading. */
  private head(s: Side, dir: Dir, b: Uint8Array, off: number, end: number, ts: number): number {
    let i = off;
    if (!s.started) {
      while (i < end && (b[i] === CR || b[i] === LF)) i++;
      if (i === end) return end;
      s.started = true;
      s.msgTs = ts;
      s.len = 0;
      s.lineLen = 0;
      s.startEnd = 0;
      s.start = undefined;
    }
    const response = this.isResponse(dir);
    const cap = this.limits.maxHeaderBytes;
    // Lines are copied into the head buffer when something reads it (the start line, the whole
    // head) or the call ends, not one by one: the buffer ends up the same.
    let from = i;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c !== LF) {
        if (c !== CR) s.lineLen++;
        continue;
      }
      if (s.startEnd !== 0 && s.lineLen !== 0 && s.len + (i + 1 - from) <= cap) {
        s.lineLen = 0;
        continue;
      }
      if (!this.append(s, b, from, i + 1, cap)) return this.headTooLong(s, dir, i);
      from = i + 1;
      if (s.startEnd === 0) {
        s.startEnd = s.len;
        s.start = parseStartLine(s.buf, s.len, response, s.probing);
        if (s.start === undefined) {
          this.badStart(s, response);
          return i + 1;
        }
      } else if (s.lineLen === 0) {
        this.headDone(s, dir, false);
        return i + 1;
      }
      s.lineLen = 0;
    }
    const before = s.len;
    if (!this.append(s, b, from, end, cap)) return this.headTooLong(s, dir, end);
    if (s.startEnd === 0 && !startPrefixOk(s.buf, before, s.len, response, s.probing)) {
      this.badStart(s, response);
      // No LF in the rejected line: the next candidate starts after the next LF.
      s.atLineStart = false;
    }
    return end;
  }

  /** Appends `b[from, to)` to the side's buffer; false when that passes `cap`. */
  private append(s: Side, b: Uint8Array, from: number, to: number, cap: number): boolean {
    const n = to - from;
    if (n <= 0) return true;
    const need = s.len + n;
    if (need > cap) {
      // Keep what fits: the complete lines in it still make a (partial) message.
      const fit = cap - s.len;
      if (fit > 0) this.append(s, b, from, from + fit, cap);
      return false;
    }
    if (need > s.buf.length) {
      let size = Math.max(256, s.buf.length * 2);
      while (size < need) size *= 2;
      const nb = new Uint8Array(Math.min(size, cap));
      nb.set(s.buf.subarray(0, s.len));
      s.buf = nb;
    }
    s.buf.set(b.subarray(from, to), s.len);
    s.len = need;
    return true;
  }

  private badStart(s: Side, response: boolean): void {
    if (!s.probing) this.weird(response ? 'http_bad_status_line' : 'http_bad_request_line');
    this.toResync(s, true);
  }

  /** The head passed `maxHeaderBytes`: the complete lines make the message, then resync. */
  private headTooLong(s: Side, dir: Dir, at: number): number {
    const response = this.isResponse(dir);
    if (s.startEnd === 0 && !startPrefixOk(s.buf, 0, s.len, response, s.probing)) {
      // Not a start line at all (a big binary segment): that is the anomaly.
      this.badStart(s, response);
      s.atLineStart = false;
      return at;
    }
    this.weird('http_header_too_long');
    if (s.startEnd > 0 && s.start !== undefined) this.headDone(s, dir, true);
    else this.toResync(s, false);
    if (s.state !== S.Resync) this.toResync(s, false);
    return at;
  }

  private toResync(s: Side, atLineStart: boolean): void {
    this.closeBody(s);
    s.state = S.Resync;
    s.atLineStart = atLineStart;
    s.started = false;
    s.probing = true;
    s.len = 0;
    s.tx = undefined;
  }

  /** Scans for a line that starts a message; returns where the Head state takes over, or `end`. */
  private resync(s: Side, dir: Dir, b: Uint8Array, off: number, end: number): number {
    const response = this.isResponse(dir);
    let i = off;
    while (i < end) {
      if (s.atLineStart) {
        const m = response ? matchStatus(b, i, end) : matchMethod(b, i, end);
        if (m !== NO) {
          s.state = S.Head;
          s.started = false;
          s.probing = true;
          return i;
        }
        s.atLineStart = false;
      }
      while (i < end && b[i] !== LF) i++;
      if (i === end) return end;
      i++;
      s.atLineStart = true;
    }
    return end;
  }

  /** Splits the head into fields and starts the body. `partial`: cut by the size cap (or the flow end). */
  private headDone(s: Side, dir: Dir, partial: boolean): void {
    const st = s.start!;
    // Complete lines only.
    let stop = s.len;
    if (partial) while (stop > s.startEnd && s.buf[stop - 1] !== LF) stop--;
    const fields = parseFields(s.buf, s.startEnd, stop, this.limits.maxHeaders);
    if (fields.badLines > 0) this.weird('http_bad_header_line');
    if (fields.dropped > 0) this.weird('http_too_many_headers');
    s.probing = false;
    s.started = false;
    // A big head's buffer is not kept for the rest of the flow.
    if (s.buf.length > KEEP_BUF) s.buf = EMPTY;
    s.len = 0;
    if (this.isResponse(dir)) this.responseHead(s, dir, st, fields, partial);
    else this.requestHead(s, dir, st, fields, partial);
  }

  private newTx(method: string, url: string, version: string): number {
    if (this.txs.length >= this.limits.maxTransactions) {
      this.weird('http_too_many_transactions');
      this.stop();
      return -1;
    }
    this.txs.push({ method, url, version, requestHeaders: [], responseHeaders: [], requestBodyLength: 0, responseBodyLength: 0 });
    this.meta.push({ finished: false, decoding: false, reported: false });
    return this.txs.length - 1;
  }

  private requestHead(s: Side, dir: Dir, st: StartLine, f: Fields, partial: boolean): void {
    const idx = this.newTx(st.method, st.target, st.version);
    if (idx < 0) return;
    const tx = this.txs[idx]!;
    tx.requestHeaders = f.kept;
    tx.requestTs = s.msgTs;
    if (f.host !== undefined) tx.host = f.host;
    if (f.userAgent !== undefined) tx.user_agent = f.userAgent;
    if (f.contentType !== undefined) tx.request_content_type = f.contentType;
    s.tx = tx;
    s.txIndex = idx;
    if (partial) return;
    this.startBody(s, dir, f, false);
  }

  private responseHead(s: Side, dir: Dir, st: StartLine, f: Fields, partial: boolean): void {
    let idx = this.respIdx;
    if (idx >= this.txs.length) {
      this.weird('http_unmatched_response');
      idx = this.newTx('', '', '');
      if (idx < 0) return;
    }
    const tx = this.txs[idx]!;
    if (tx.responseTs === undefined) {
      tx.responseTs = s.msgTs;
      if (tx.requestTs !== undefined) tx.latencyUs = s.msgTs - tx.requestTs;
    }
    const status = st.status;
    if (status >= 100 && status < 200 && status !== 101) {
      // Interim: the final response for the same request follows.
      if (tx.informational === undefined) tx.informational = [];
      if (tx.informational.length < MAX_INFORMATIONAL) tx.informational.push(status);
      s.state = S.Head;
      return;
    }
    this.respIdx = idx + 1;
    tx.status = status;
    if (st.reason !== '') tx.reason = st.reason;
    tx.responseHeaders = f.kept;
    if (f.contentType !== undefined) tx.content_type = f.contentType;
    if (f.server !== undefined) tx.server = f.server;
    if (f.contentEncoding !== undefined) tx.contentEncoding = f.contentEncoding;
    s.tx = tx;
    s.txIndex = idx;
    if (status === 101) {
      tx.upgrade = f.upgrade ?? headerValue(tx.requestHeaders, 'upgrade') ?? '';
      this.finishTx(idx);
      this.stop();
      return;
    }
    const method = tx.method.toUpperCase();
    if (method === 'CONNECT' && status >= 200 && status < 300) {
      tx.connect = true;
      this.finishTx(idx);
      this.stop();
      return;
    }
    if (partial) {
      this.finishTx(idx);
      return;
    }
    if (method === 'HEAD' || status === 204 || status === 304) {
      this.messageDone(s, dir);
      return;
    }
    this.startBody(s, dir, f, true);
  }

  /** Frames the body after a complete head. */
  private startBody(s: Side, dir: Dir, f: Fields, response: boolean): void {
    if (f.chunked) {
      this.openBody(s, f, response);
      this.toLine(s, S.ChunkSize);
      return;
    }
    if (f.contentLength !== undefined) {
      const n = parseContentLength(f.contentLength);
      if (n < 0) {
        this.weird('http_bad_content_length');
        if (response) this.finishTx(s.txIndex);
        this.toResync(s, true);
        return;
      }
      if (n === 0) {
        this.messageDone(s, dir);
        return;
      }
      this.openBody(s, f, response);
      s.state = S.Body;
      s.remaining = n;
      return;
    }
    // A Transfer-Encoding without chunked last, or no framing: a response runs to the close;
    // a request has no body (RFC 9112 §6.3).
    if (response) {
      this.openBody(s, f, response);
      s.state = S.Close;
      return;
    }
    this.messageDone(s, dir);
  }

  /** Sets up keeping / decoding of a response body. */
  private openBody(s: Side, f: Fields, response: boolean): void {
    s.decoder = undefined;
    s.kept = undefined;
    s.keptBytes = 0;
    if (!response || this.keepBytes === 0) return;
    const idx = s.txIndex;
    const codings: Coding[] | undefined = f.contentEncoding === undefined ? [] : parseContentEncoding(f.contentEncoding);
    if (codings === undefined || codings.length === 0) {
      // Identity, or a coding we cannot undo: kept as sent.
      s.kept = [];
      return;
    }
    const meta = this.meta[idx]!;
    meta.decoding = true;
    this.decoding++;
    const limits = { keepBytes: this.keepBytes, maxDecompressedBytes: this.limits.maxDecompressedBytes, maxRatio: this.limits.maxDecompressionRatio };
    s.decoder = new BodyDecoder(codings, limits, (body, aborted) => this.decoded(idx, body, aborted));
  }

  private decoded(idx: number, body: Uint8Array, aborted: DecodeAbort | undefined): void {
    const tx = this.txs[idx]!;
    const meta = this.meta[idx]!;
    tx.responseBody = body;
    if (aborted !== undefined) {
      tx.decompressionAborted = aborted;
      this.weird(aborted === 'error' ? 'http_decompression_error' : 'http_decompression_bomb');
    }
    meta.decoding = false;
    if (meta.finished) this.report(idx);
    if (--this.decoding === 0) {
      const idle = this.idle;
      this.idle = [];
      for (const r of idle) r();
    }
  }

  /** Body bytes `b[off, end)` of the current message. */
  private body(s: Side, dir: Dir, b: Uint8Array, off: number, end: number): void {
    const tx = s.tx;
    if (tx === undefined || off >= end) return;
    if (!this.isResponse(dir)) {
      tx.requestBodyLength += end - off;
      return;
    }
    tx.responseBodyLength += end - off;
    if (s.decoder !== undefined) s.decoder.write(b, off, end);
    else if (s.kept !== undefined) {
      const n = Math.min(end - off, this.keepBytes - s.keptBytes);
      if (n > 0) {
        s.kept.push(b.slice(off, off + n));
        s.keptBytes += n;
      }
    }
  }

  /** Ends body keeping / decoding of the current message. */
  private closeBody(s: Side): void {
    const tx = s.tx;
    if (s.decoder !== undefined) {
      s.decoder.end();
      s.decoder = undefined;
    }
    if (s.kept !== undefined) {
      if (tx !== undefined) tx.responseBody = joinChunks(s.kept, s.keptBytes);
      s.kept = undefined;
    }
  }

  /** The message on this side is complete. */
  private messageDone(s: Side, dir: Dir): void {
    this.closeBody(s);
    if (this.isResponse(dir) && s.txIndex >= 0 && s.tx !== undefined) this.finishTx(s.txIndex);
    s.tx = undefined;
    s.state = S.Head;
    s.started = false;
    s.len = 0;
  }

  private chunkSize(s: Side, dir: Dir, b: Uint8Array, off: number, end: number): number {
    let i = off;
    while (i < end && b[i] !== LF) i++;
    const to = i < end ? i + 1 : end;
    if (!this.append(s, b, off, to, MAX_CHUNK_LINE)) {
      this.weird('http_bad_chunk_size');
      this.endChunked(s, dir);
      return to;
    }
    if (i === end) return end;
    const size = parseChunkSize(s.buf, s.len);
    s.len = 0;
    if (size < 0) {
      this.weird('http_bad_chunk_size');
      this.endChunked(s, dir);
      return to;
    }
    if (size === 0) {
      this.toLine(s, S.Trailers);
      return to;
    }
    s.state = S.ChunkData;
    s.remaining = size;
    return to;
  }

  /** Chunked framing lost: the transaction ends where it is, the side resynchronises. */
  private endChunked(s: Side, dir: Dir): void {
    const idx = s.txIndex;
    const resp = this.isResponse(dir);
    this.toResync(s, true);
    if (resp && idx >= 0) this.finishTx(idx);
  }

  private trailers(s: Side, dir: Dir, b: Uint8Array, off: number, end: number): number {
    const cap = this.limits.maxHeaderBytes;
    let from = off;
    for (let i = off; i < end; i++) {
      const c = b[i]!;
      if (c !== LF) {
        if (c !== CR) s.lineLen++;
        continue;
      }
      if (!this.append(s, b, from, i + 1, cap)) {
        this.weird('http_header_too_long');
        this.endChunked(s, dir);
        return i + 1;
      }
      from = i + 1;
      if (s.lineLen === 0) {
        this.addTrailers(s, dir);
        this.messageDone(s, dir);
        return i + 1;
      }
      s.lineLen = 0;
    }
    if (!this.append(s, b, from, end, cap)) {
      this.weird('http_header_too_long');
      this.endChunked(s, dir);
    }
    return end;
  }

  private addTrailers(s: Side, dir: Dir): void {
    const tx = s.tx;
    if (tx === undefined || s.len <= 2) return;
    const list = this.isResponse(dir) ? tx.responseHeaders : tx.requestHeaders;
    const f = parseFields(s.buf, 0, s.len, this.limits.maxHeaders - list.length);
    if (f.badLines > 0) this.weird('http_bad_header_line');
    if (f.dropped > 0) this.weird('http_too_many_headers');
    for (const h of f.kept) list.push(h);
  }

  private gapIn(s: Side, dir: Dir, bytes: number): void {
    this.weird('http_content_gap');
    const inBody = s.state === S.Body || s.state === S.ChunkData;
    if (inBody && bytes <= s.remaining) {
      this.countGap(s, dir, bytes);
      s.remaining -= bytes;
      if (s.remaining === 0) {
        if (s.state === S.Body) this.messageDone(s, dir);
        else s.state = S.ChunkEnd;
      }
      return;
    }
    if (s.state === S.Close) {
      this.countGap(s, dir, bytes);
      return;
    }
    if (inBody) this.countGap(s, dir, s.remaining);
    const idx = s.tx !== undefined ? s.txIndex : -1;
    // What follows a gap may start a message.
    this.toResync(s, true);
    if (this.isResponse(dir) && idx >= 0) this.finishTx(idx);
  }

  /** Lost body bytes count in the body length; the kept / decoded copy stops before them. */
  private countGap(s: Side, dir: Dir, bytes: number): void {
    const tx = s.tx;
    if (tx === undefined) return;
    if (this.isResponse(dir)) tx.responseBodyLength += bytes;
    else tx.requestBodyLength += bytes;
    if (s.decoder !== undefined) s.decoder.end();
    if (s.kept !== undefined) {
      tx.responseBody = joinChunks(s.kept, s.keptBytes);
      s.kept = undefined;
    }
  }

  private endSide(s: Side, dir: Dir): void {
    switch (s.state) {
      case S.Close:
        this.messageDone(s, dir);
        return;
      case S.Body:
      case S.ChunkSize:
      case S.ChunkData:
      case S.ChunkEnd:
      case S.Trailers:
        this.weird('http_message_truncated');
        this.closeBody(s);
        return;
      case S.Head:
        // Nothing started, or only a candidate line while resynchronising: nothing was cut.
        if (!s.started || (s.probing && s.startEnd === 0)) return;
        this.weird('http_message_truncated');
        // A head cut short still names its request / response when its start line is complete.
        if (s.startEnd > 0 && s.start !== undefined) this.headDone(s, dir, true);
        this.closeBody(s);
        return;
      default:
        return;
    }
  }

  // ---- transactions -------------------------------------------------------------------------------

  private finishTx(idx: number): void {
    const m = this.meta[idx];
    if (m === undefined || m.finished) return;
    m.finished = true;
    this.report(idx);
  }

  private report(idx: number): void {
    const m = this.meta[idx]!;
    if (m.reported || m.decoding || this.onTx === undefined) return;
    m.reported = true;
    try {
      this.onTx(this.txs[idx]!);
    } catch {
      this.weird('http_internal_error');
    }
  }

  /** Nothing more will be parsed: close bodies, report everything. */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.finishAll();
  }

  private finishAll(): void {
    for (const s of this.sides) this.closeBody(s);
    for (let i = 0; i < this.meta.length; i++) this.finishTx(i);
  }
}

// ---- lines and fields ----------------------------------------------------------------------------

/**
 * Parses the start line `b[0, n)` (LF included). Request: `method SP target SP HTTP/x.y`, the
 * target being everything between the first and the last space (spaces inside tolerated).
 * Response: `HTTP/x.y SP 3DIGIT [SP reason]`. `strict`: known methods only.
 */
function parseStartLine(b: Uint8Array, n: number, response: boolean, strict: boolean): StartLine | undefined {
  let e = n;
  while (e > 0 && (b[e - 1] === LF || b[e - 1] === CR)) e--;
  if (e === 0 || !startPrefixOk(b, 0, e, response, strict)) return undefined;
  const line = utf8.decode(b.subarray(0, e));
  if (response) {
    const m = /^(HTTP\/\d\.\d) +(\d{3})(?:[ \t]+(.*))?$/i.exec(line);
    if (m === null) return undefined;
    const status = Number(m[2]);
    if (status < 100) return undefined;
    return { method: '', target: '', version: m[1]!, status, reason: (m[3] ?? '').trim() };
  }
  const sp = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (sp <= 0 || last === sp) return undefined;
  const version = line.slice(last + 1);
  if (!/^HTTP\/\d\.\d$/i.test(version)) return undefined;
  const target = line.slice(sp + 1, last).trim();
  if (target === '') return undefined;
  return { method: line.slice(0, sp), target, version, status: 0, reason: '' };
}

/** Header fields of one head, and the ones that frame or describe the message. */
interface Fields {
  kept: Array<[string, string]>;
  dropped: number;
  badLines: number;
  host?: string;
  userAgent?: string;
  contentType?: string;
  server?: string;
  contentEncoding?: string;
  upgrade?: string;
  /** All Content-Length values, joined with commas. */
  contentLength?: string;
  chunked: boolean;
}

/** Parses header lines `b[from, to)`: at most `max` are kept, all are interpreted. */
function parseFields(b: Uint8Array, from: number, to: number, max: number): Fields {
  const f: Fields = { kept: [], dropped: 0, badLines: 0, chunked: false };
  if (to <= from) return f;
  const all: Array<[string, string]> = [];
  const text = utf8.decode(b.subarray(from, to));
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') break;
    const c0 = line.charCodeAt(0);
    if (c0 === SP || c0 === HT) {
      // obs-fold: continues the previous field's value.
      const prev = all[all.length - 1];
      if (prev !== undefined) prev[1] = prev[1] === '' ? line.trim() : `${prev[1]} ${line.trim()}`;
      else f.badLines++;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      f.badLines++;
      continue;
    }
    all.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  for (const h of all) {
    const [name, value] = h;
    switch (name) {
      case 'host':
        f.host ??= value;
        break;
      case 'user-agent':
        f.userAgent ??= value;
        break;
      case 'content-type':
        f.contentType ??= value;
        break;
      case 'server':
        f.server ??= value;
        break;
      case 'content-encoding':
        f.contentEncoding = f.contentEncoding === undefined ? value : `${f.contentEncoding}, ${value}`;
        break;
      case 'upgrade':
        f.upgrade ??= value;
        break;
      case 'content-length':
        f.contentLength = f.contentLength === undefined ? value : `${f.contentLength},${value}`;
        break;
      case 'transfer-encoding':
        if (/(^|,)\s*chunked\s*$/i.test(value)) f.chunked = true;
        break;
    }
    if (f.kept.length < max) f.kept.push(h);
    else f.dropped++;
  }
  return f;
}

/** Content-Length value(s): one decimal number (repeats of the same value tolerated), else -1. */
export function parseContentLength(v: string): number {
  let n = -1;
  for (const part of v.split(',')) {
    const t = part.trim();
    if (!/^\d{1,15}$/.test(t)) return -1;
    const x = Number(t);
    if (n >= 0 && x !== n) return -1;
    n = x;
  }
  return n;
}

/** Chunk size of the line `b[0, n)`: hex digits, then extensions / whitespace; -1 when bad. */
function parseChunkSize(b: Uint8Array, n: number): number {
  let i = 0;
  while (i < n && (b[i] === SP || b[i] === HT)) i++;
  let size = 0;
  let digits = 0;
  for (; i < n; i++) {
    const c = b[i]!;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else break;
    if (++digits > MAX_CHUNK_DIGITS) return -1;
    size = size * 16 + d;
  }
  if (digits === 0) return -1;
  // What may follow: whitespace, `;` extensions, the line end.
  for (; i < n; i++) {
    const c = b[i]!;
    if (c === SP || c === HT) continue;
    if (c === 0x3b || c === CR || c === LF) break;
    return -1;
  }
  return size;
}

function headerValue(h: ReadonlyArray<[string, string]>, name: string): string | undefined {
  for (const [k, v] of h) if (k === name) return v;
  return undefined;
}

function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Host without port (`[v6]` brackets dropped too); undefined for an empty value. */
export function hostWithoutPort(h: string): string | undefined {
  let v = h.trim();
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    v = close > 0 ? v.slice(1, close) : v.slice(1);
  } else {
    const colon = v.indexOf(':');
    if (colon >= 0 && v.indexOf(':', colon + 1) < 0) v = v.slice(0, colon);
  }
  return v === '' ? undefined : v;
}

function hostOf(tx: HttpTransaction): string | undefined {
  if (tx.host !== undefined) return hostWithoutPort(tx.host);
  if (tx.method.toUpperCase() === 'CONNECT' && tx.url !== '') return hostWithoutPort(tx.url);
  return undefined;
}

/** `type/subtype` of a Content-Type value, parameters dropped. */
function mediaType(v: string): string {
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim();
}

/** Characters of the record's `url` (ndpiReader prints at most 255). */
export const MAX_RECORD_URL = 255;

/** ndpiReader's URL: Host header and origin-form target; other forms as sent; capped. */
function recordUrl(tx: HttpTransaction): string | undefined {
  let u = tx.url;
  if (u === '') return undefined;
  if (u.startsWith('/') && tx.host !== undefined && tx.host !== '') u = tx.host + u;
  return u.length > MAX_RECORD_URL ? u.slice(0, MAX_RECORD_URL) : u;
}
