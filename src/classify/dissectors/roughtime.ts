/**
 * Roughtime (draft-ietf-ntp-roughtime): a message is a tag/value map — a 32-bit little-endian
 * tag count N, N-1 value offsets (multiples of 4, non-decreasing, inside the value area), N
 * four-byte tags in strictly increasing order (as little-endian numbers), then the values.
 * Recent drafts put `ROUGHTIM` and a 32-bit length before it. Tags are upper-case ASCII (NONC,
 * PAD, SIG, SREP, CERT, INDX, PATH, VER …), padded with NUL or 0xff.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith, u32le } from '../dissector.js';

const MAX_TAGS = 32;

/** True when every byte of the tag is an upper-case letter or digit, or trailing NUL/0xff padding. */
function plausibleTag(b: Uint8Array, o: number): boolean {
  let pad = false;
  for (let i = 0; i < 4; i++) {
    const c = b[o + i]!;
    if (c === 0 || c === 0xff) pad = true;
    else if (pad || !((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return !pad || (b[o] !== 0 && b[o] !== 0xff);
}

/** True when `b[off, end)` is a Roughtime message (with or without the framing header). */
export function isRoughtime(b: Uint8Array, off: number, end: number): boolean {
  if (startsWith(b, off, end, 'ROUGHTIM')) {
    if (end - off < 12 || u32le(b, off + 8) !== end - off - 12) return false;
    off += 12;
  }
  const n = end - off;
  if (n < 8) return false;
  const tags = u32le(b, off);
  if (tags < 1 || tags > MAX_TAGS) return false;
  const header = 8 * tags;
  if (header > n) return false;
  const values = n - header;
  let prev = 0;
  for (let i = 1; i < tags; i++) {
    const v = u32le(b, off + 4 * i);
    if (v % 4 !== 0 || v < prev || v > values) return false;
    prev = v;
  }
  const tagAt = off + 4 * tags;
  let last = -1;
  for (let i = 0; i < tags; i++) {
    const o = tagAt + 4 * i;
    if (!plausibleTag(b, o)) return false;
    const t = u32le(b, o);
    if (t <= last) return false;
    last = t;
  }
  return true;
}

/** Roughtime requests and responses, on the first packet of either side. */
export const roughtime: Dissector = {
  name: 'Roughtime',
  transport: 'both',
  // Over UDP a datagram decides at once: `ROUGHTIM`, or a tag count (1..MAX_TAGS) in its first word.
  first: { transport: 'udp', bytes: byteSet('R', [1, MAX_TAGS]), minLength: 8 },
  inspect(p) {
    if (p.streamOffset === 0 && isRoughtime(p.b, p.off, p.end)) return MATCH;
    return p.flow.transport === 17 || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
