/**
 * NATS client protocol on TCP (nDPI: `Nats`): CRLF-ended text operations. The server opens with
 * `INFO {json}` and the client answers `CONNECT {json}`; then `PUB subject [reply] bytes`,
 * `SUB subject [queue] sid`, `UNSUB sid [max]`, `MSG subject sid [reply] bytes`, `PING`, `PONG`,
 * `+OK`, `-ERR '…'`.
 *
 * - `INFO {` or `CONNECT {` with a JSON object up to the line end names the flow.
 * - `PUB`, `SUB`, `MSG` lines whose fields parse (a subject, numbers where numbers go) name it.
 * - `PING`/`PONG` alone are too common a word: they wait for one of the above.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { decimal, decimalEnd, lineFeed, wordAt } from './group-d-bytes.js';

const MAX_LINE = 16384;
/** Payloads the flow gets to show more than PING/PONG. */
const PATIENCE = 6;

/** The line `b[off, lf)` without its CR: the index of the CR (or of LF when there is no CR). */
const lineStop = (b: Uint8Array, lf: number): number => (b[lf - 1] === 0x0d ? lf - 1 : lf);

/** True when `b[at, stop)` is `{ … }`: a JSON object on one line (braces balanced, printable). */
function jsonObject(b: Uint8Array, at: number, stop: number): boolean {
  if (b[at] !== 0x7b || b[stop - 1] !== 0x7d) return false;
  let depth = 0;
  let inString = false;
  for (let i = at; i < stop; i++) {
    const c = b[i]!;
    if (c < 0x20) return false;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    if (depth < 0) return false;
  }
  return depth === 0 && !inString;
}

/** The number of space-separated printable fields in `b[at, stop)` (which starts with a space), or -1. */
function fields(b: Uint8Array, at: number, stop: number): number {
  let n = 0;
  let i = at;
  while (i < stop) {
    if (b[i] !== 0x20) return -1;
    while (i < stop && b[i] === 0x20) i++;
    const start = i;
    while (i < stop && b[i]! > 0x20 && b[i]! < 0x7f) i++;
    if (i === start || (i < stop && b[i] !== 0x20)) return -1;
    n++;
  }
  return n;
}

/** True when the last field of `b[at, stop)` is a decimal number. */
function endsWithNumber(b: Uint8Array, at: number, stop: number): boolean {
  let i = stop;
  while (i > at && b[i - 1] !== 0x20) i--;
  return decimal(b, i, stop, 12) >= 0 && decimalEnd === stop;
}

/** 2 for INFO/CONNECT/PUB/SUB/MSG lines that parse, 1 for PING/PONG/+OK, 0 otherwise. */
export function natsLine(b: Uint8Array, off: number, end: number): number {
  if (end - off < 4) return 0;
  const c = b[off]!;
  if (c !== 0x49 && c !== 0x43 && c !== 0x50 && c !== 0x53 && c !== 0x4d && c !== 0x55 && c !== 0x2b) return 0;
  const lf = lineFeed(b, off, end, MAX_LINE);
  if (lf < 0) return 0;
  const stop = lineStop(b, lf);
  if (wordAt(b, off, end, 'INFO', ' ')) return jsonObject(b, off + 5, stop) ? 2 : 0;
  if (wordAt(b, off, end, 'CONNECT', ' ')) return jsonObject(b, off + 8, stop) ? 2 : 0;
  if (wordAt(b, off, end, 'PING', '\r\n') || wordAt(b, off, end, 'PONG', '\r\n')) return stop === off + 4 ? 1 : 0;
  if (wordAt(b, off, end, '+OK', '\r\n')) return stop === off + 3 ? 1 : 0;
  let n: number;
  if (wordAt(b, off, end, 'PUB', ' ')) {
    n = fields(b, off + 3, stop);
    return (n === 2 || n === 3) && endsWithNumber(b, off, stop) ? 2 : 0;
  }
  if (wordAt(b, off, end, 'MSG', ' ')) {
    n = fields(b, off + 3, stop);
    return (n === 3 || n === 4) && endsWithNumber(b, off, stop) ? 2 : 0;
  }
  if (wordAt(b, off, end, 'SUB', ' ')) {
    n = fields(b, off + 3, stop);
    return n === 2 || n === 3 ? 2 : 0;
  }
  if (wordAt(b, off, end, 'UNSUB', ' ')) {
    n = fields(b, off + 5, stop);
    return n === 1 || n === 2 ? 1 : 0;
  }
  return 0;
}

/** NATS: INFO/CONNECT with a JSON object, or a PUB/SUB/MSG line; PING/PONG wait for more. */
export const nats: Dissector = {
  name: 'Nats',
  transport: 'tcp',
  first: { bytes: byteSet('ICPSMU+'), minLength: 4 },
  inspect(p) {
    const v = natsLine(p.b, p.off, p.end);
    if (v === 2) return MATCH;
    if (v === 1) return p.packets[0] + p.packets[1] >= PATIENCE ? REJECT : CONTINUE;
    return REJECT;
  },
};
