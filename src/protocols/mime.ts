/**
 * A bounded MIME (RFC 2045–2047, 2231, 5322) message reader for the mail parsers (SMTP, POP3,
 * IMAP), plus the small line and byte helpers they share.
 *
 * {@link parseMime} reads one whole message held in memory (the mail parsers gather it, up to
 * a cap): headers (folded lines unfolded, RFC 2047 encoded-words decoded in Subject, From,
 * To, Cc), multipart bodies (nested up to {@link MimeLimits.maxDepth}), and per leaf part its
 * content type, file name (Content-Disposition `filename`, Content-Type `name`, RFC 2231
 * `filename*` / continuations), transfer encoding and decoded size. The first text part's
 * decoded text is kept up to {@link MimeLimits.maxText} characters.
 *
 * Nothing throws: anomalies are named weirds ({@link MIME_WEIRDS}) and reading goes on with
 * what is there.
 */

import { latin1 } from './byte-text.js';

/**
 * Weirds of this file (`mime_` prefix):
 * - `mime_header_too_long`: no blank line ends a header block within `maxHeaderBytes`; the
 *   block is cut there and the entity has no body
 * - `mime_too_many_headers`: more than `maxHeaders` fields; the rest are dropped
 * - `mime_bad_header_line`: a header line without a colon
 * - `mime_no_boundary`: a multipart type without a `boundary` parameter; read as one part
 * - `mime_boundary_not_found`: a multipart body without any delimiter line
 * - `mime_missing_boundary_end`: a multipart body without its close delimiter
 * - `mime_too_deep`: multipart nested deeper than `maxDepth`; the inner body is one part
 * - `mime_too_many_parts`: more than `maxParts` leaf parts; the rest are not listed
 * - `mime_bad_base64`: characters outside the base64 alphabet, or bad padding
 * - `mime_bad_quoted_printable`: `=` not followed by two hex digits or a line end
 * - `mime_message_truncated`: the message was cut (by the gatherer's cap or a gap)
 */
export const MIME_WEIRDS = [
  'mime_header_too_long',
  'mime_too_many_headers',
  'mime_bad_header_line',
  'mime_no_boundary',
  'mime_boundary_not_found',
  'mime_missing_boundary_end',
  'mime_too_deep',
  'mime_too_many_parts',
  'mime_bad_base64',
  'mime_bad_quoted_printable',
  'mime_message_truncated',
] as const;
export type MimeWeird = (typeof MIME_WEIRDS)[number];

/** Bounds on one message (STYLE.md §8). */
export interface MimeLimits {
  /** Bytes of one header block (top level or part); past it: `mime_header_too_long`. */
  maxHeaderBytes: number;
  /** Header fields kept per block; past it: `mime_too_many_headers`. */
  maxHeaders: number;
  /** Multipart nesting followed. */
  maxDepth: number;
  /** Leaf parts listed per message. */
  maxParts: number;
  /** Characters of decoded text kept (first text/* part). */
  maxText: number;
  /** Characters kept of one header value. */
  maxHeaderValue: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = {
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 200,
  maxDepth: 8,
  maxParts: 100,
  maxText: 64 * 1024,
  maxHeaderValue: 1024,
};

/** One leaf part of a message. */
export interface MimePart {
  /** Lower-case `type/subtype` (`text/plain` when absent, RFC 2045 §5.2). */
  content_type: string;
  filename?: string;
  /** Lower-case Content-Transfer-Encoding, when given. */
  encoding?: string;
  /** Decoded bytes of the part's body. */
  size: number;
}

/** What {@link parseMime} found in one message. */
export interface MimeMessage {
  /** Top-level header fields, names lower-case, values unfolded (raw, not decoded). */
  headers: Array<[string, string]>;
  subject?: string;
  from?: string;
  to?: string;
  cc?: string;
  date?: string;
  message_id?: string;
  /** Leaf parts, in order (a non-multipart message is one part). */
  parts: MimePart[];
  /** Decoded text of the first text/plain (else text/*) part, up to `maxText` characters. */
  text?: string;
  /** Bytes of the message as given. */
  length: number;
}

/** Weird reporter. */
export type Weird = (name: string) => void;

// ---- bytes and text -----------------------------------------------------------------------

const CR = 13;
const LF = 10;

/** Bytes as UTF-8 when they are valid UTF-8, else Latin-1. */
export function text(b: Uint8Array, off = 0, end = b.length): string {
  const buf = Buffer.from(b.buffer, b.byteOffset + off, end - off);
  let ascii = true;
  for (let i = 0; i < buf.length; i++) if (buf[i]! >= 0x80) { ascii = false; break; }
  if (ascii) return buf.toString('latin1');
  try {
    return UTF8_FATAL.decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}
const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });

/** Decodes `bytes` in `charset`, falling back to UTF-8/Latin-1 for unknown charsets. */
function decodeCharset(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return text(bytes);
  }
}

const B64 = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;

/**
 * Base64 decoding that skips white space. Returns the decoded bytes (or only their number
 * when `keep` is false: `bytes` is then empty) and whether anything was wrong.
 */
export function decodeBase64(b: Uint8Array, off: number, end: number, keep = true): { bytes: Uint8Array; size: number; bad: boolean } {
  const out = keep ? new Uint8Array(Math.ceil(((end - off) * 3) / 4)) : new Uint8Array(0);
  let acc = 0;
  let bits = 0;
  let n = 0;
  let bad = false;
  let pad = 0;
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c === 61) { pad++; continue; }
    const v = B64[c]!;
    if (v < 0) {
      if (c !== CR && c !== LF && c !== 32 && c !== 9) bad = true;
      continue;
    }
    if (pad > 0) bad = true; // data after padding
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (keep) out[n] = (acc >> bits) & 0xff;
      n++;
    }
  }
  if (bits >= 6) bad = true; // one stray character: no whole byte
  return { bytes: keep ? out.subarray(0, n) : out, size: n, bad };
}

/** Base64 text (e.g. a SASL response) as a string, or undefined when it is not base64. */
export function base64Text(s: string): string | undefined {
  const b = Buffer.from(s.trim(), 'latin1');
  if (b.length === 0) return undefined;
  const r = decodeBase64(b, 0, b.length);
  return r.bad ? undefined : text(r.bytes);
}

const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/** Quoted-printable decoding (RFC 2045 §6.7); `underscore` for RFC 2047 Q words. */
export function decodeQuotedPrintable(b: Uint8Array, off: number, end: number, underscore = false): { bytes: Uint8Array; bad: boolean } {
  const out = new Uint8Array(end - off);
  let n = 0;
  let bad = false;
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c === 61) {
      // Soft line break: '=' then optional white space then a line end.
      let j = i + 1;
      while (j < end && (b[j] === 32 || b[j] === 9)) j++;
      if (j < end && (b[j] === CR || b[j] === LF)) {
        i = b[j] === CR && b[j + 1] === LF ? j + 1 : j;
        continue;
      }
      if (j >= end) { i = end; continue; }
      const h = i + 2 < end ? hex(b[i + 1]!) : -1;
      const l = i + 2 < end ? hex(b[i + 2]!) : -1;
      if (h < 0 || l < 0) { bad = true; out[n++] = c; continue; }
      out[n++] = (h << 4) | l;
      i += 2;
    } else out[n++] = underscore && c === 95 ? 32 : c;
  }
  return { bytes: out.subarray(0, n), bad };
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** Decodes RFC 2047 encoded-words in a header value (white space between words dropped). */
export function decodeEncodedWords(v: string): string {
  if (!v.includes('=?')) return v;
  return v
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(ENCODED_WORD, (_m, charset: string, enc: string, data: string) => {
      const raw = Buffer.from(data, 'latin1');
      const bytes = enc === 'b' || enc === 'B' ? decodeBase64(raw, 0, raw.length).bytes : decodeQuotedPrintable(raw, 0, raw.length, true).bytes;
      return decodeCharset(bytes, charset.split('*')[0]!);
    });
}

// ---- gathering helpers for the mail parsers -------------------------------------------------

/** Bytes gathered up to a cap; the rest only counted. */
export class ByteSink {
  private buf: Uint8Array;
  private len = 0;
  /** All bytes offered, kept or not. */
  total = 0;
  constructor(private readonly cap: number) {
    this.buf = new Uint8Array(Math.min(cap, 4096));
  }
  get truncated(): boolean {
    return this.total > this.len;
  }
  push(b: Uint8Array, off: number, end: number): void {
    const n = end - off;
    this.total += n;
    const take = Math.min(n, this.cap - this.len);
    if (take <= 0) return;
    if (this.len + take > this.buf.length) {
      const next = new Uint8Array(Math.min(this.cap, Math.max(this.buf.length * 2, this.len + take)));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(b.subarray(off, off + take), this.len);
    this.len += take;
  }
  pushByte(c: number): void {
    ONE[0] = c;
    this.push(ONE, 0, 1);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
const ONE = new Uint8Array(1);

/**
 * Splits a stream into lines (LF, CR LF) across calls. A line longer than `max` is cut to
 * `max` bytes and flagged `tooLong`; the rest of it up to its end is dropped.
 */
export class LineSplitter {
  private buf = new Uint8Array(128);
  private len = 0;
  private overflow = false;
  /** The line completed by the last `feed`, without its line end; null when none. */
  line: string | null = null;
  /** The last line was cut to `max` bytes. */
  tooLong = false;
  constructor(private readonly max: number) {}

  /** Reads `b[off, end)` up to the first LF (included); returns where it stopped. */
  feed(b: Uint8Array, off: number, end: number): number {
    this.line = null;
    this.tooLong = false;
    let nl = b.subarray(off, end).indexOf(LF);
    nl = nl < 0 ? -1 : off + nl;
    const stop = nl < 0 ? end : nl;
    if (!this.overflow) {
      const take = Math.min(stop - off, this.max - this.len);
      if (this.len + take > this.buf.length) {
        const next = new Uint8Array(Math.min(this.max, Math.max(this.buf.length * 2, this.len + take)));
        next.set(this.buf.subarray(0, this.len));
        this.buf = next;
      }
      this.buf.set(b.subarray(off, off + take), this.len);
      this.len += take;
      if (take < stop - off) this.overflow = true;
    }
    if (nl < 0) return end;
    let n = this.len;
    if (n > 0 && this.buf[n - 1] === CR) n--;
    this.line = text(this.buf, 0, n);
    this.tooLong = this.overflow;
    this.reset();
    return nl + 1;
  }
  /** Drops a partial line (after a gap). */
  reset(): void {
    this.len = 0;
    this.overflow = false;
  }
  /** A partial line is held. */
  get pending(): boolean {
    return this.len > 0 || this.overflow;
  }
}

/**
 * Dot-stuffed multi-line text (SMTP DATA, POP3 multi-line answers) up to its `.` line: bytes
 * go to a {@link ByteSink} with the leading dot of stuffed lines removed.
 */
export class DotReader {
  /** 0 at line start, 1 inside a line, 2 after a line-start dot, 3 after a line-start dot and CR. */
  private st = 0;
  constructor(readonly sink: ByteSink) {}
  /** Reads from `b[off, end)`; returns where it stopped and whether the end line was seen. */
  feed(b: Uint8Array, off: number, end: number): { off: number; ended: boolean } {
    let i = off;
    while (i < end) {
      const c = b[i]!;
      if (this.st === 1) {
        // Copy up to the next LF in one piece.
        let nl = b.subarray(i, end).indexOf(LF);
        nl = nl < 0 ? end : i + nl + 1;
        this.sink.push(b, i, nl);
        if (nl <= end && b[nl - 1] === LF) this.st = 0;
        i = nl;
        continue;
      }
      i++;
      if (this.st === 0) {
        if (c === 46) this.st = 2;
        else {
          this.sink.pushByte(c);
          this.st = c === LF ? 0 : 1;
        }
      } else if (this.st === 2) {
        if (c === LF) return { off: i, ended: true };
        if (c === CR) this.st = 3;
        else {
          this.sink.pushByte(c); // stuffed dot removed
          this.st = 1;
        }
      } else {
        if (c === LF) return { off: i, ended: true };
        this.sink.pushByte(CR);
        this.sink.pushByte(c);
        this.st = c === LF ? 0 : 1;
      }
    }
    return { off: i, ended: false };
  }
}

// ---- MIME ------------------------------------------------------------------------------------

/** A parsed header value with parameters (`type/subtype; a=b; c="d"`). */
interface HeaderParams {
  value: string;
  params: Map<string, string>;
}

/** Parses `value; name=value; name*=charset''pct; name*0=…` (RFC 2045 §5.1, RFC 2231). */
export function parseParams(v: string): HeaderParams {
  const params = new Map<string, string>();
  let i = v.indexOf(';');
  const value = (i < 0 ? v : v.slice(0, i)).trim().toLowerCase();
  const parts = new Map<string, Array<{ n: number; s: string; ext: boolean }>>();
  while (i >= 0 && i < v.length) {
    i++;
    while (i < v.length && (v[i] === ' ' || v[i] === '\t' || v[i] === ';')) i++;
    const eq = v.indexOf('=', i);
    if (eq < 0) break;
    const name = v.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < v.length && (v[j] === ' ' || v[j] === '\t')) j++;
    let val = '';
    if (v[j] === '"') {
      j++;
      while (j < v.length && v[j] !== '"') {
        if (v[j] === '\\' && j + 1 < v.length) j++;
        val += v[j];
        j++;
      }
      i = v.indexOf(';', j);
    } else {
      const semi = v.indexOf(';', j);
      val = (semi < 0 ? v.slice(j) : v.slice(j, semi)).trim();
      i = semi;
    }
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(name);
    if (m === null) continue;
    const base = m[1]!;
    if (m[2] === undefined && m[3] === undefined) {
      if (!params.has(base)) params.set(base, val);
      continue;
    }
    let list = parts.get(base);
    if (list === undefined) parts.set(base, (list = []));
    if (list.length < 64) list.push({ n: m[2] === undefined ? 0 : Number(m[2]), s: val, ext: m[3] !== undefined });
  }
  for (const [base, list] of parts) {
    list.sort((a, b) => a.n - b.n);
    let charset = 'utf-8';
    const bytes: number[] = [];
    for (const [k, p] of list.entries()) {
      let s = p.s;
      if (p.ext && k === 0) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(s);
        if (q !== null) {
          if (q[1]) charset = q[1];
          s = q[2]!;
        }
      }
      for (let x = 0; x < s.length; x++) {
        const c = s.charCodeAt(x);
        if (p.ext && c === 37 && x + 2 < s.length + 0 && hex(s.charCodeAt(x + 1)) >= 0 && hex(s.charCodeAt(x + 2)) >= 0) {
          bytes.push((hex(s.charCodeAt(x + 1)) << 4) | hex(s.charCodeAt(x + 2)));
          x += 2;
        } else bytes.push(c & 0xff);
      }
    }
    params.set(base, decodeCharset(Uint8Array.from(bytes), charset)); // RFC 2231 wins over the plain form
  }
  return { value, params };
}

/** Reads a header block from `off`; returns the fields and where the body starts. */
function readHeaders(b: Uint8Array, off: number, end: number, weird: Weird, limits: MimeLimits): { headers: Array<[string, string]>; body: number } {
  const headers: Array<[string, string]> = [];
  const limit = Math.min(end, off + limits.maxHeaderBytes);
  let i = off;
  let cur: string | null = null;
  let dropped = false;
  let badLine = false;
  const flush = (): void => {
    if (cur === null) return;
    const colon = cur.indexOf(':');
    if (colon <= 0) badLine = true;
    else if (headers.length >= limits.maxHeaders) dropped = true;
    else headers.push([cur.slice(0, colon).trim().toLowerCase(), cur.slice(colon + 1).trim().slice(0, limits.maxHeaderValue * 4)]);
    cur = null;
  };
  for (;;) {
    if (i >= end) {
      flush();
      if (badLine) weird('mime_bad_header_line');
      if (dropped) weird('mime_too_many_headers');
      return { headers, body: end };
    }
    let nl = b.subarray(i, limit).indexOf(LF);
    if (nl < 0) {
      if (limit < end) {
        // No line end within the cap: the header block is cut, no body.
        flush();
        weird('mime_header_too_long');
        if (dropped) weird('mime_too_many_headers');
        return { headers, body: end };
      }
      nl = end - i;
    }
    const lineEnd = i + nl;
    let e = lineEnd;
    if (e > i && b[e - 1] === CR) e--;
    const next = lineEnd + 1;
    if (e === i) {
      flush();
      if (badLine) weird('mime_bad_header_line');
      if (dropped) weird('mime_too_many_headers');
      return { headers, body: Math.min(next, end) };
    }
    const line = latin1(b, i, e);
    if ((b[i] === 32 || b[i] === 9) && cur !== null) {
      if (cur.length < limits.maxHeaderValue * 4) cur += ` ${line.trim()}`;
    } else {
      flush();
      cur = line;
    }
    i = next;
    if (i >= limit && limit < end) {
      flush();
      weird('mime_header_too_long');
      if (dropped) weird('mime_too_many_headers');
      return { headers, body: end };
    }
  }
}

/** True when `s` has a character past U+00FF. */
function beyondLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return true;
  return false;
}

/** A header value as text: raw 8-bit bytes (read as Latin-1) re-read as UTF-8, encoded-words decoded. */
function headerText(v: string | undefined, max: number): string | undefined {
  if (v === undefined) return undefined;
  // Already decoded text (an RFC 2231 parameter) has characters past Latin-1: leave it.
  const t = beyondLatin1(v) ? v : text(Buffer.from(v, 'latin1'));
  return decodeEncodedWords(t).slice(0, max);
}

const get = (h: Array<[string, string]>, name: string): string | undefined => h.find((x) => x[0] === name)?.[1];

/** The parse of one message: counters shared by its entities. */
interface Ctx {
  weird: Weird;
  limits: MimeLimits;
  parts: MimePart[];
  text?: string;
  textIsPlain: boolean;
  reported: Set<string>;
}

/** Reports a weird once per message. */
function once(ctx: Ctx, name: MimeWeird): void {
  if (ctx.reported.has(name)) return;
  ctx.reported.add(name);
  ctx.weird(name);
}

/** Finds delimiter lines `--boundary` in `b[off, end)`: their starts, the next line's start, and whether it closes. */
function* delimiters(b: Uint8Array, off: number, end: number, boundary: Uint8Array): Generator<{ at: number; next: number; close: boolean }> {
  let i = off;
  while (i < end) {
    let nl = b.subarray(i, end).indexOf(LF);
    const lineEnd = nl < 0 ? end : i + nl;
    nl = nl < 0 ? end : lineEnd + 1;
    if (lineEnd - i >= boundary.length + 2 && b[i] === 45 && b[i + 1] === 45) {
      let match = true;
      for (let k = 0; k < boundary.length; k++)
        if (b[i + 2 + k] !== boundary[k]) {
          match = false;
          break;
        }
      if (match) {
        const after = i + 2 + boundary.length;
        const close = after + 1 < lineEnd + 1 && b[after] === 45 && b[after + 1] === 45;
        // Only white space may follow (RFC 2046 §5.1.1).
        let k = close ? after + 2 : after;
        while (k < lineEnd && (b[k] === 32 || b[k] === 9 || b[k] === CR)) k++;
        if (k === lineEnd) yield { at: i, next: nl, close };
      }
    }
    i = nl;
  }
}

/** Reads one entity (headers + body) at `b[off, end)`. */
function readEntity(b: Uint8Array, off: number, end: number, depth: number, ctx: Ctx, top: Array<[string, string]> | null): void {
  const { headers, body } = readHeaders(b, off, end, ctx.weird, ctx.limits);
  if (top !== null) top.push(...headers);
  readBody(b, body, end, headers, depth, ctx);
}

function readBody(b: Uint8Array, body: number, end: number, headers: Array<[string, string]>, depth: number, ctx: Ctx): void {
  const ct = parseParams(get(headers, 'content-type') ?? 'text/plain');
  const type = ct.value.includes('/') ? ct.value : 'text/plain';
  if (type.startsWith('multipart/')) {
    const boundary = ct.params.get('boundary');
    if (boundary === undefined || boundary === '') once(ctx, 'mime_no_boundary');
    else if (depth >= ctx.limits.maxDepth) once(ctx, 'mime_too_deep');
    else {
      readMultipart(b, body, end, Buffer.from(boundary, 'latin1'), depth, ctx);
      return;
    }
  }
  leaf(b, body, end, headers, type, ct.params, ctx);
}

function readMultipart(b: Uint8Array, body: number, end: number, boundary: Uint8Array, depth: number, ctx: Ctx): void {
  let start = -1; // start of the current part
  let found = false;
  let closed = false;
  for (const d of delimiters(b, body, end, boundary)) {
    found = true;
    if (start >= 0) {
      // The line end before the delimiter belongs to it.
      let e = d.at;
      if (e > start && b[e - 1] === LF) e--;
      if (e > start && b[e - 1] === CR) e--;
      readEntity(b, start, e, depth + 1, ctx, null);
    }
    if (d.close) {
      closed = true;
      break;
    }
    start = d.next;
  }
  if (!found) {
    once(ctx, 'mime_boundary_not_found');
    return;
  }
  if (!closed) {
    once(ctx, 'mime_missing_boundary_end');
    if (start >= 0 && start < end) readEntity(b, start, end, depth + 1, ctx, null);
  }
}

function leaf(b: Uint8Array, off: number, end: number, headers: Array<[string, string]>, type: string, ctParams: Map<string, string>, ctx: Ctx): void {
  if (ctx.parts.length >= ctx.limits.maxParts) {
    once(ctx, 'mime_too_many_parts');
    return;
  }
  const enc = get(headers, 'content-transfer-encoding')?.trim().toLowerCase();
  const disp = get(headers, 'content-disposition');
  let filename = disp === undefined ? undefined : parseParams(disp).params.get('filename');
  filename ??= ctParams.get('name');
  if (filename !== undefined) filename = headerText(filename, ctx.limits.maxHeaderValue);
  const wantText = type.startsWith('text/') && (ctx.text === undefined || (!ctx.textIsPlain && type === 'text/plain')) && filename === undefined;
  let size: number;
  let bytes: Uint8Array | undefined;
  if (enc === 'base64') {
    const r = decodeBase64(b, off, end, wantText);
    if (r.bad) once(ctx, 'mime_bad_base64');
    size = r.size;
    bytes = r.bytes;
  } else if (enc === 'quoted-printable') {
    const r = decodeQuotedPrintable(b, off, end);
    if (r.bad) once(ctx, 'mime_bad_quoted_printable');
    size = r.bytes.length;
    bytes = r.bytes;
  } else {
    size = end - off;
    bytes = b.subarray(off, end);
  }
  const part: MimePart = { content_type: type, size };
  if (filename !== undefined) part.filename = filename;
  if (enc !== undefined && enc !== '') part.encoding = enc;
  ctx.parts.push(part);
  if (wantText && bytes !== undefined) {
    const cs = ctParams.get('charset');
    const slice = bytes.subarray(0, ctx.limits.maxText * 4);
    ctx.text = (cs === undefined ? text(slice) : decodeCharset(slice, cs)).slice(0, ctx.limits.maxText);
    ctx.textIsPlain = type === 'text/plain';
  }
}

/**
 * Reads one message `b` (headers and body, CR LF or LF line ends). `truncated`: the message
 * was cut short (weird `mime_message_truncated`, and no further weird for the missing end).
 * Never throws.
 */
export function parseMime(b: Uint8Array, weird: Weird, limits: Readonly<MimeLimits> = DEFAULT_MIME_LIMITS, truncated = false): MimeMessage {
  const headers: Array<[string, string]> = [];
  const ctx: Ctx = { weird, limits, parts: [], textIsPlain: false, reported: new Set() };
  if (truncated) once(ctx, 'mime_message_truncated');
  try {
    readEntity(b, 0, b.length, 0, ctx, headers);
  } catch {
    // Bytes never throw (STYLE.md §4); a bug here must not end the flow's parsing.
    weird('mime_internal_error');
  }
  const max = limits.maxHeaderValue;
  const msg: MimeMessage = { headers, parts: ctx.parts, length: b.length };
  const set = (k: 'subject' | 'from' | 'to' | 'cc' | 'date' | 'message_id', v: string | undefined): void => {
    if (v !== undefined && v !== '') msg[k] = v;
  };
  set('subject', headerText(get(headers, 'subject'), max));
  set('from', headerText(get(headers, 'from'), max));
  set('to', headerText(get(headers, 'to'), max));
  set('cc', headerText(get(headers, 'cc'), max));
  set('date', get(headers, 'date')?.slice(0, max));
  set('message_id', get(headers, 'message-id')?.slice(0, max));
  if (ctx.text !== undefined) msg.text = ctx.text;
  return msg;
}

/** A message's fields for a mail event (`subject`, `from`, `to`, `cc`, `date`, `message_id`, `parts`). */
export function mailEventFields(m: MimeMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['subject', 'from', 'to', 'cc', 'date', 'message_id'] as const) if (m[k] !== undefined) out[k] = m[k];
  out.parts = m.parts.map((p) => ({ ...p }));
  out.message_size = m.length;
  // The decoded text of the first text part (bounded by `maxText`): what consumers read of the mail.
  if (m.text !== undefined && m.text !== '') out.body_text = m.text;
  return out;
}
