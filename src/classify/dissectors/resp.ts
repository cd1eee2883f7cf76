/**
 * RESP, the Redis serialization protocol (nDPI's name for Redis traffic), on TCP. Clients send
 * commands as arrays of bulk strings (`*3\r\n$3\r\nSET\r\n…`), or as inline text lines
 * (`PING\r\n`, what redis-cli and telnet users type); servers answer with typed lines: `+OK`,
 * `-ERR …`, `:42`, `$5` + bulk, `*2` + elements (RESP3 adds `%` maps, `~` sets, `>` pushes).
 *
 * - An array whose first element is a bulk string, with every count and length where it must
 *   be, names the flow from either side.
 * - A bulk string whose length lands exactly on its CRLF, likewise (a reply caught mid-connection).
 * - An inline command is only text: it names the flow when the server's first payload is a
 *   well-formed reply line.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { crlfAt, decimal, decimalEnd, isLetter, isPrintableAscii, lineFeed } from './group-d-bytes.js';

/** Inline commands redis-cli users type most (upper case; matched case-insensitively). */
const INLINE = new Set([
  'PING', 'AUTH', 'HELLO', 'SELECT', 'GET', 'SET', 'SETEX', 'SETNX', 'GETSET', 'MGET', 'MSET', 'DEL', 'EXISTS', 'EXPIRE',
  'TTL', 'TYPE', 'KEYS', 'SCAN', 'INCR', 'INCRBY', 'DECR', 'DECRBY', 'APPEND', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'LRANGE',
  'LLEN', 'SADD', 'SREM', 'SMEMBERS', 'HSET', 'HGET', 'HGETALL', 'HDEL', 'ZADD', 'ZRANGE', 'INFO', 'ECHO', 'QUIT',
  'CONFIG', 'CLIENT', 'COMMAND', 'DBSIZE', 'FLUSHDB', 'FLUSHALL', 'SAVE', 'BGSAVE', 'MONITOR', 'SUBSCRIBE', 'PUBLISH',
  'SLAVEOF', 'REPLICAOF', 'SYNC', 'PSYNC', 'EVAL', 'MULTI', 'EXEC',
]);
const MAX_INLINE_WORD = 9;
/** Elements of an aggregate and bytes of a bulk string a sane peer sends (RESP's limit: 512 MB). */
const MAX_COUNT = 1 << 20;
const MAX_BULK = 512 * 1024 * 1024;
/** The shortest bulk string taken to run on into the next segment. */
const MIN_SPLIT_BULK = 256;

/** Whether the last bulk string read by `bulkString` runs past the payload. */
let bulkRunsOn = false;

/**
 * A `$len\r\n` bulk header at `at` followed by its bytes and CRLF: the offset after it, `end`
 * when the bytes run past the payload (a large value in several segments: `bulkRunsOn`), or -1.
 */
function bulkString(b: Uint8Array, at: number, end: number): number {
  bulkRunsOn = false;
  if (at >= end || b[at] !== 0x24) return -1;
  const len = decimal(b, at + 1, end, 9);
  if (len < 0 || len > MAX_BULK || !crlfAt(b, decimalEnd, end)) return -1;
  const data = decimalEnd + 2;
  // Only a large value goes on in the next segment; a short one cut here is not RESP.
  if (data + len + 2 > end) {
    bulkRunsOn = len >= MIN_SPLIT_BULK && end - data >= 64;
    return bulkRunsOn ? end : -1;
  }
  return crlfAt(b, data + len, end) ? data + len + 2 : -1;
}

/** True when `b[off, end)` starts with an aggregate (`*`, `%`, `~`, `>`) whose first element is a bulk string. */
export function isRespAggregate(b: Uint8Array, off: number, end: number): boolean {
  const t = b[off];
  if (t !== 0x2a && t !== 0x25 && t !== 0x7e && t !== 0x3e) return false;
  const n = decimal(b, off + 1, end, 7);
  if (n < 1 || n > MAX_COUNT || !crlfAt(b, decimalEnd, end)) return false;
  return bulkString(b, decimalEnd + 2, end) > 0;
}

/** True for a byte that starts a RESP value (`+ - : $ *`, RESP3's `_ # , ( ! = % ~ > |`). */
const respType = (c: number): boolean => c === 0x2b || c === 0x2d || c === 0x3a || c === 0x24 || c === 0x2a || c === 0x5f || c === 0x23 || c === 0x2c || c === 0x28 || c === 0x21 || c === 0x3d || c === 0x25 || c === 0x7e || c === 0x3e || c === 0x7c;

/** True when `b[off, end)` starts with a bulk string whose length ends exactly on its CRLF (then the end or another value). */
export function isRespBulk(b: Uint8Array, off: number, end: number): boolean {
  const after = bulkString(b, off, end);
  if (after <= 0) return false;
  return after < end ? respType(b[after]!) : bulkRunsOn || crlfAt(b, end - 2, end);
}

/** True when `b[off, end)` starts with one complete reply line (`+`, `-`, `:`, `$`, `*`, `_`, `#`, `,`). */
export function isRespReplyLine(b: Uint8Array, off: number, end: number): boolean {
  const lf = lineFeed(b, off, end, 4096);
  if (lf < off + 2 || b[lf - 1] !== 0x0d) return false;
  const t = b[off]!;
  const stop = lf - 1;
  if (t === 0x2b || t === 0x2d) return stop > off + 1 && isPrintableAscii(b, off + 1, stop); // +OK, -ERR …
  if (t === 0x5f) return stop === off + 1; // _ (RESP3 null)
  if (t === 0x23) return stop === off + 2 && (b[off + 1] === 0x74 || b[off + 1] === 0x66); // #t, #f
  let at = off + 1;
  if (t === 0x3a || t === 0x2c) {
    if (b[at] === 0x2d) at++; // :-1
    return decimal(b, at, stop, 19) >= 0 && (decimalEnd === stop || t === 0x2c);
  }
  if (t === 0x24 || t === 0x2a) {
    if (b[at] === 0x2d && b[at + 1] === 0x31 && at + 2 === stop) return true; // $-1, *-1: nil
    return decimal(b, at, stop, 9) >= 0 && decimalEnd === stop;
  }
  return false;
}

/** True when `b[off, end)` starts with an inline command this dissector knows, then a space or line end. */
export function isRespInline(b: Uint8Array, off: number, end: number): boolean {
  let i = off;
  let word = '';
  while (i < end && i - off <= MAX_INLINE_WORD && isLetter(b[i]!)) word += String.fromCharCode(b[i++]! & 0xdf);
  if (i === end || (b[i] !== 0x20 && b[i] !== 0x0d && b[i] !== 0x0a) || !INLINE.has(word)) return false;
  const lf = lineFeed(b, i, end, 1024);
  return lf > 0 && isPrintableAscii(b, i, b[lf - 1] === 0x0d ? lf - 1 : lf);
}

interface RespState {
  /** The client's first payload was an inline command: the server's reply decides. */
  inline: boolean;
}

/** RESP: an array of bulk strings or a bulk reply; an inline command confirmed by a reply line. */
export const resp: Dissector<RespState> = {
  name: 'RESP',
  transport: 'tcp',
  // Aggregates and bulk strings from either side; the client's inline commands, in either case.
  first: { bytes: byteSet('*%~>$', ...[...INLINE].map((w) => w[0]! + w[0]!.toLowerCase())), minLength: 4 },
  state: () => ({ inline: false }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (end - off < 3) return REJECT;
    const t = b[off]!;
    // The server's answer to an inline command: any well-formed reply line.
    const reply = st.inline && p.dir === 1 && isRespReplyLine(b, off, end);
    if (t === 0x2a || t === 0x25 || t === 0x7e || t === 0x3e) return reply || isRespAggregate(b, off, end) ? MATCH : REJECT;
    if (t === 0x24) return reply || isRespBulk(b, off, end) ? MATCH : REJECT;
    if (p.dir === 1) return reply ? MATCH : REJECT;
    // More inline commands (redis-cli pipes them) while the server has not answered yet.
    if (st.inline) return CONTINUE;
    if (p.index > 0 || p.packets[1] > 0 || !isLetter(t) || !isRespInline(b, off, end)) return REJECT;
    st.inline = true;
    return CONTINUE;
  },
};
