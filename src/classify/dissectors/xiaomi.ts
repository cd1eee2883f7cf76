/**
 * Xiaomi's push and device connection (TCP 5222): each message has a 12-byte header
 * `magic 0xc2fe(2) version(2) length(4) …` where the length counts the bytes after the header.
 * The message at the start of either direction must agree with its segment: run past it, end
 * with it, or be followed by another header.
 *
 * The client's CONN message names the server it was told to use (`host:port` in field 7 of its
 * Protocol Buffers body): that is the flow's host, as nDPI reports it. The flow is named at its
 * first message, so a capture that starts with the server's side loses the name (waiting for
 * the client would lose one-packet flows instead).
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u16, u32 } from '../dissector.js';

const HEADER = 12;
const MAGIC = 0xc2fe;
const MAX_LEN = 0x100000;
/** Body field holding the server's `host:port`. */
const SERVER_FIELD_TAG = (7 << 3) | 2;
const MAX_HOST = 253;

/** A Xiaomi message header at `b[off, end)`. */
export function isXiaomiMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER || u16(b, off) !== MAGIC) return false;
  const len = u32(b, off + 4);
  // A bare header (length 0) is a keep-alive; nDPI names the flow only once a message shows.
  if (len === 0 || len > MAX_LEN) return false;
  const next = off + HEADER + len;
  return next >= end || (end - next >= 2 && u16(b, next) === MAGIC);
}

/**
 * The server name in a CONN message at `b[off, end)`: the header's last 16 bits give the
 * sub-header's length; after the header come the body's length (32 bits), the sub-header and
 * the body's fields. Undefined when absent.
 */
export function connServerName(b: Uint8Array, off: number, end: number): string | undefined {
  if (end - off < HEADER + 4) return undefined;
  let o = off + HEADER + 4 + u16(b, off + 10);
  // Walk the body's top-level fields (one-byte tags, one-byte lengths or varints).
  while (o + 2 <= end) {
    const tag = b[o]!;
    const wire = tag & 7;
    o++;
    let len = 0;
    if (wire === 0) {
      while (o < end && (b[o]! & 0x80) !== 0) o++;
      o++;
      continue;
    }
    if (wire !== 2) return undefined;
    len = b[o]!;
    if (len >= 0x80) return undefined;
    o++;
    if (o + len > end) return undefined;
    if (tag === SERVER_FIELD_TAG) return hostOf(b, o, len);
    o += len;
  }
  return undefined;
}

/** `host:port` → host, printable characters only. */
function hostOf(b: Uint8Array, o: number, len: number): string | undefined {
  let s = '';
  for (let i = 0; i < len && i < MAX_HOST; i++) {
    const c = b[o + i]!;
    if (c === 0x3a) break;
    if (c <= 0x20 || c >= 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s === '' ? undefined : s;
}

/** Reports the CONN message's server name, if this is one. */
function reportHost(p: Payload): void {
  const host = connServerName(p.b, p.off, p.end);
  if (host !== undefined) p.host(host);
}

/** Xiaomi over TCP: the first message of either direction. */
export const xiaomi: Dissector = {
  name: 'Xiaomi',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset !== 0 || !isXiaomiMessage(p.b, p.off, p.end)) return p.index >= 1 || p.packets[1 - p.dir] > 0 ? REJECT : CONTINUE;
    reportHost(p);
    return MATCH;
  },
};
