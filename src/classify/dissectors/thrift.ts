/**
 * Apache Thrift messages (nDPI: `Thrift`), unframed, as nDPI sees them:
 *
 * - TCP, binary protocol (strict): 0x80 0x01 (version 1), a zero byte, the message type (1 call,
 *   2 reply, 3 exception, 4 oneway), the method name length (int32) and name — an identifier —
 *   then the sequence id.
 * - UDP, compact protocol: 0x82, version 1 in the low 5 bits and the type in the high 3, the
 *   sequence id and name length as varints, then the name.
 */
import { byteSet, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const MAX_NAME = 256;

/** True when `b[at, at + n)` is a method name: letters, digits, `_`, `.`, `:` or `-`, not starting with a digit. */
function methodName(b: Uint8Array, at: number, n: number): boolean {
  if (n < 1 || n > MAX_NAME) return false;
  for (let i = at; i < at + n; i++) {
    const c = b[i]!;
    const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
    const digit = c >= 0x30 && c <= 0x39;
    if (!letter && c !== 0x5f && (i === at || (!digit && c !== 0x2e && c !== 0x3a && c !== 0x2d))) return false;
  }
  return true;
}

/** True when `b[off, end)` starts with a strict binary-protocol message header and its sequence id. */
export function isThriftBinary(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 13 || b[off] !== 0x80 || b[off + 1] !== 0x01 || b[off + 2] !== 0) return false;
  const type = b[off + 3]!;
  const n = u32(b, off + 4);
  return type >= 1 && type <= 4 && n <= MAX_NAME && off + 8 + n + 4 <= end && methodName(b, off + 8, n);
}

/** A varint at `at` (at most 5 bytes): its end offset, or -1. */
function varintEnd(b: Uint8Array, at: number, end: number): number {
  for (let i = 0; i < 5 && at + i < end; i++) if ((b[at + i]! & 0x80) === 0) return at + i + 1;
  return -1;
}

/** True when `b[off, end)` starts with a compact-protocol message header. */
export function isThriftCompact(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 5 || b[off] !== 0x82) return false;
  const vt = b[off + 1]!;
  const type = vt >> 5;
  if ((vt & 0x1f) !== 1 || type < 1 || type > 4) return false;
  const seqEnd = varintEnd(b, off + 2, end);
  if (seqEnd < 0 || seqEnd >= end) return false;
  const n = b[seqEnd]!;
  if (n >= 0x80) return false;
  return seqEnd + 1 + n <= end && methodName(b, seqEnd + 1, n);
}

/** Thrift: a binary-protocol message on TCP, a compact one on UDP, at the start of a direction. */
export const thrift: Dissector = {
  name: 'Thrift',
  transport: 'both',
  first: { bytes: byteSet(0x80, 0x82), minLength: 5 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.flow.transport === 6) return p.streamOffset === 0 && isThriftBinary(b, off, end) ? MATCH : REJECT;
    return isThriftCompact(b, off, end) ? MATCH : REJECT;
  },
};
