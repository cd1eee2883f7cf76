/**
 * Memcached on TCP and UDP, text and binary protocols.
 *
 * - Text: a storage command with all its numbers (`set <key> <flags> <exptime> <bytes>
 *   [noreply]\r\n`, likewise add/replace/append/prepend, and cas with its unique) or a `VALUE
 *   <key> <flags> <bytes> [<cas>]\r\n` answer names the flow alone. Shorter words (`get k`,
 *   `END`, `STORED`, `STAT` …) are each too common a shape: two of them, one from each side or
 *   two from one, name it (nDPI counts two as well).
 * - Binary: a 24-byte header with magic 0x80 (request) or 0x81 (response), a known opcode, data
 *   type 0, and extras + key lengths that fit the total body length, itself inside the payload
 *   or running past it (a value longer than one segment).
 * - UDP datagrams carry an 8-byte frame header first (request id, sequence number, datagram
 *   count of at least 1, a reserved zero).
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';
import { decimal, decimalEnd, isLetter, isPrintableAscii, lineFeed, wordAt } from './group-d-bytes.js';

const UDP_FRAME = 8;
const BINARY_HEADER = 24;
const MAX_KEY = 250;
/** Payloads a flow gets before the weak words must have added up. */
const PATIENCE = 6;

/** Storage commands (the number of numeric fields after the key: cas has one more). */
const STORAGE: ReadonlyArray<readonly [string, number]> = [
  ['set', 3],
  ['add', 3],
  ['replace', 3],
  ['append', 3],
  ['prepend', 3],
  ['cas', 4],
];
/** Commands and answers that only count towards the two weak matches: word, bytes that may follow. */
const WEAK: ReadonlyArray<readonly [string, string]> = [
  ['get', ' '],
  ['gets', ' '],
  ['gat', ' '],
  ['gats', ' '],
  ['delete', ' '],
  ['incr', ' '],
  ['decr', ' '],
  ['touch', ' '],
  ['stats', ' \r'],
  ['version', '\r'],
  ['flush_all', ' \r'],
  ['verbosity', ' '],
  ['STORED', '\r'],
  ['NOT_STORED', '\r'],
  ['EXISTS', '\r'],
  ['NOT_FOUND', '\r'],
  ['END', '\r'],
  ['DELETED', '\r'],
  ['TOUCHED', '\r'],
  ['ERROR', '\r'],
  ['OK', '\r'],
  ['STAT', ' '],
  ['VERSION', ' '],
  ['CLIENT_ERROR', ' '],
  ['SERVER_ERROR', ' '],
];

/** A memcached key at `at` (1 to 250 printable, no spaces): the offset after it, or -1. */
function key(b: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && b[i]! > 0x20 && b[i]! < 0x7f) {
    if (i - at === MAX_KEY) return -1;
    i++;
  }
  return i === at ? -1 : i;
}

/** `count` space-separated decimal numbers from `at` (after a space): the offset after them, or -1. */
function numbers(b: Uint8Array, at: number, end: number, count: number): number {
  let i = at;
  for (let k = 0; k < count; k++) {
    if (i + 1 >= end || b[i] !== 0x20) return -1;
    if (b[i + 1] === 0x2d) i++; // exptime may be negative
    if (decimal(b, i + 1, end, 20) < 0) return -1;
    i = decimalEnd;
  }
  return i;
}

/** True when the text at `at` ends its line here: CRLF, or ` noreply` then CRLF when allowed. */
function lineEnds(b: Uint8Array, at: number, end: number, noreply: boolean): boolean {
  let i = at;
  if (noreply && wordAt(b, i, end, ' noreply', '\r')) i += 8;
  return i + 1 < end && b[i] === 0x0d && b[i + 1] === 0x0a;
}

/** True when `b[off, end)` starts with a whole storage command line. */
export function isStorageCommand(b: Uint8Array, off: number, end: number): boolean {
  for (const [word, fields] of STORAGE) {
    if (!wordAt(b, off, end, word, ' ')) continue;
    const k = key(b, off + word.length + 1, end);
    if (k < 0) return false;
    const n = numbers(b, k, end, fields);
    return n > 0 && lineEnds(b, n, end, true);
  }
  return false;
}

/** True when `b[off, end)` starts with a whole `VALUE <key> <flags> <bytes> [<cas>]` line. */
export function isValueLine(b: Uint8Array, off: number, end: number): boolean {
  if (!wordAt(b, off, end, 'VALUE', ' ')) return false;
  const k = key(b, off + 6, end);
  if (k < 0) return false;
  const n = numbers(b, k, end, 2);
  if (n < 0) return false;
  if (lineEnds(b, n, end, false)) return true;
  const c = numbers(b, n, end, 1);
  return c > 0 && lineEnds(b, c, end, false);
}

/** True when `b[off, end)` starts with one of the weak command words or answers, on a CRLF-ended line. */
export function isWeakText(b: Uint8Array, off: number, end: number): boolean {
  if (off >= end || !isLetter(b[off]!)) return false;
  const lf = lineFeed(b, off, end, 512);
  if (lf < off + 2 || b[lf - 1] !== 0x0d || !isPrintableAscii(b, off, lf - 1)) return false;
  for (const [w, after] of WEAK) if (wordAt(b, off, end, w, after)) return true;
  return false;
}

/** Binary protocol opcodes (0x00-0x22 classic, 0x30-0x48 range and SASL/vbucket commands). */
const knownOpcode = (op: number): boolean => op <= 0x22 || (op >= 0x30 && op <= 0x48);
/** Get, GetQ, GetK, GetKQ. */
const isGet = (op: number): boolean => op === 0x00 || op === 0x09 || op === 0x0c || op === 0x0d;
/** Set, Add, Replace and their quiet forms: 8 bytes of extras (flags, expiration). */
const isStore = (op: number): boolean => (op >= 0x01 && op <= 0x03) || (op >= 0x11 && op <= 0x13);

/**
 * True when `b[off, end)` starts with a binary protocol header that agrees with itself: extras
 * and key lengths that fit the body and suit the opcode (a get or store names a key, a store
 * has 8 bytes of extras), a body inside the payload — or, for a stored or returned value,
 * running past it (a large value in several segments).
 */
export function isBinaryHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < BINARY_HEADER) return false;
  const magic = b[off]!;
  const op = b[off + 1]!;
  if ((magic !== 0x80 && magic !== 0x81) || !knownOpcode(op) || b[off + 5] !== 0) return false;
  const keyLength = u16(b, off + 2);
  const extras = b[off + 4]!;
  const body = u32(b, off + 8);
  if (keyLength > MAX_KEY || extras + keyLength > body || body > 0x1400000) return false;
  // A request's vbucket id is small; a response's status is one of the defined codes.
  const statusOrVbucket = u16(b, off + 6);
  let carriesValue: boolean;
  if (magic === 0x80) {
    if (statusOrVbucket > 0x3ff) return false;
    if ((isGet(op) || isStore(op) || op === 0x04) && keyLength === 0) return false;
    if (isStore(op) ? extras !== 8 : isGet(op) && (extras !== 0 || body !== keyLength)) return false;
    carriesValue = isStore(op);
  } else {
    if (statusOrVbucket > 0x86 && statusOrVbucket !== 0xff) return false;
    if (isGet(op) && statusOrVbucket === 0 && extras !== 4) return false;
    carriesValue = isGet(op);
  }
  const next = off + BINARY_HEADER + body;
  if (next > end) return carriesValue;
  // The body ends inside this payload: the end or another header follows.
  return next === end || b[next] === 0x80 || b[next] === 0x81;
}

interface MemcachedState {
  weak: number;
}

/** Memcached: a storage command, a VALUE answer, a binary header; or two weak words. */
export const memcached: Dissector<MemcachedState> = {
  name: 'Memcached',
  transport: 'both',
  // A UDP frame header starts with any request id: only the length is known.
  first: { minLength: 5 },
  state: () => ({ weak: 0 }),
  inspect(p, st) {
    const { b, end } = p;
    let off = p.off;
    if (p.flow.transport === 17) {
      // Frame header: datagram count at least 1, reserved zero.
      if (end - off < UDP_FRAME + 5 || u16(b, off + 4) === 0 || b[off + 6] !== 0 || b[off + 7] !== 0) return REJECT;
      off += UDP_FRAME;
    } else if (end - off < 5) return REJECT;
    const c = b[off]!;
    if (c === 0x80 || c === 0x81) return isBinaryHeader(b, off, end) ? MATCH : REJECT;
    // Text from here: a payload that is neither strong nor weak ends it, unless it continues
    // a stream that already showed a weak word (a value's data block, say).
    const other = p.streamOffset === 0 || st.weak === 0 ? REJECT : CONTINUE;
    if (!isLetter(c)) return other;
    if (isStorageCommand(b, off, end) || isValueLine(b, off, end)) return MATCH;
    if (!isWeakText(b, off, end)) return other;
    if (++st.weak >= 2) return MATCH;
    return p.packets[0] + p.packets[1] >= PATIENCE ? REJECT : CONTINUE;
  },
};
