/**
 * Bare Protocol Buffers messages (the wire format, no framing) at the start of a TCP stream.
 *
 * The payload must read as a sequence of fields `tag(varint) value` with wire types 0 (varint),
 * 1 (8 bytes), 2 (length-delimited) or 5 (4 bytes) and field numbers from 1, running exactly to
 * the end (a last tag whose value would follow in the next segment is allowed). Random bytes
 * parse like that surprisingly often when short, so at least three whole fields and a
 * length-delimited field holding readable text (3+ characters) are required too.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const MIN_FIELDS = 3;
const MIN_TEXT = 3;
const MAX_VARINT = 10;

/**
 * Reads a varint at `o`: the offset after it, or -1 when it does not end by `end` or is longer
 * than 10 bytes. The value goes to `out[0]` (exact below 2^53).
 */
function varint(b: Uint8Array, o: number, end: number, out: Float64Array): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < MAX_VARINT; i++) {
    if (o + i >= end) return -1;
    const c = b[o + i]!;
    v += (c & 0x7f) * mul;
    mul *= 128;
    if ((c & 0x80) === 0) {
      out[0] = v;
      return o + i + 1;
    }
  }
  return -1;
}

function isText(b: Uint8Array, o: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const c = b[o + i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

const scratch = new Float64Array(1);

/** True when `b[off, end)` reads as a Protocol Buffers message (see the module comment). */
export function isProtobufMessage(b: Uint8Array, off: number, end: number): boolean {
  let o = off;
  let fields = 0;
  let text = false;
  while (o < end) {
    const afterTag = varint(b, o, end, scratch);
    if (afterTag < 0) return false;
    const tag = scratch[0]!;
    const wire = tag % 8;
    if (tag < 8) return false; // field number 0
    if (afterTag === end) break; // a tag whose value is still to come
    let next: number;
    if (wire === 0) next = varint(b, afterTag, end, scratch);
    else if (wire === 1) next = afterTag + 8;
    else if (wire === 5) next = afterTag + 4;
    else if (wire === 2) {
      const at = varint(b, afterTag, end, scratch);
      if (at < 0) return false;
      const len = scratch[0]!;
      next = at + len;
      if (next <= end && len >= MIN_TEXT && isText(b, at, len)) text = true;
    } else return false;
    if (next < 0 || next > end) return false;
    fields++;
    o = next;
  }
  return fields >= MIN_FIELDS && text;
}

/** Protocol Buffers over TCP (nDPI's `Protobuf`): the client's first payload. */
export const protobuf: Dissector = {
  name: 'Protobuf',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && p.end - p.off >= 8 && isProtobufMessage(p.b, p.off, p.end) ? MATCH : REJECT;
  },
};
