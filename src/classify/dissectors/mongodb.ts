/**
 * MongoDB wire protocol on TCP. Every message starts with a 16-byte little-endian header:
 * messageLength (the whole message, header included), requestID, responseTo, opCode. The
 * header alone is too loose (nDPI once named TLS flows MongoDB on it), so the body the opcode
 * announces is checked too:
 *
 * - OP_MSG (2013): flag bits among the defined ones, then a section of kind 0 (one BSON
 *   document, its length inside the message) or kind 1 (a sized document sequence).
 * - OP_QUERY (2004) and the other legacy client ops (2001, 2002, 2005-2007): a zero or defined
 *   flags word and a printable `db.collection` name.
 * - OP_REPLY (1): response flags among the four defined, a document count that fits.
 * - OP_COMPRESSED (2012): an original opcode of the list and a known compressor (0-3).
 *
 * The message may run past the payload (a large insert in several segments).
 */
import { type Dissector, MATCH, REJECT, u32le } from '../dissector.js';

const HEADER = 16;
const MAX_MESSAGE = 48 * 1000 * 1000;
const OP_REPLY = 1;
const OP_COMPRESSED = 2012;
const OP_MSG = 2013;

/** Legacy client opcodes followed by a flags/zero word and a collection name. */
const LEGACY_WITH_NAME = new Set([2001, 2002, 2004, 2005, 2006]);
const OPCODES = new Set([OP_REPLY, 2001, 2002, 2004, 2005, 2006, 2007, OP_COMPRESSED, OP_MSG]);

/** A BSON document at `at`: length at least 5, inside the message (`limit`), a zero last byte when it is in view. */
function bsonDocument(b: Uint8Array, at: number, end: number, limit: number): boolean {
  if (at + 5 > end) return at < limit;
  const len = u32le(b, at);
  if (len < 5 || at + len > limit) return false;
  // The first element's type: 0x01-0x13 or min/max key; or the document is empty.
  const type = b[at + 4]!;
  if (len > 5 && !((type >= 0x01 && type <= 0x13) || type === 0x7f || type === 0xff)) return false;
  return at + len > end || b[at + len - 1] === 0;
}

/** A NUL-terminated name at `at`: printable, ended inside the payload; `db.collection` when `dotted`. */
function cstringName(b: Uint8Array, at: number, end: number, dotted: boolean): boolean {
  let dot = !dotted;
  for (let i = at; i < end && i < at + 256; i++) {
    const c = b[i]!;
    if (c === 0) return dot && i > at;
    if (c < 0x20 || c > 0x7e) return false;
    if (c === 0x2e && i > at) dot = true;
  }
  return false;
}

/** True when `b[off, end)` starts with a MongoDB message whose header and body agree. */
export function isMongoMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + 5) return false;
  const length = u32le(b, off);
  const op = u32le(b, off + 12);
  if (length < HEADER + 5 || length > MAX_MESSAGE || !OPCODES.has(op)) return false;
  const limit = off + length;
  const at = off + HEADER;
  if (op === OP_MSG) {
    const flags = u32le(b, at);
    // checksumPresent (0), moreToCome (1), exhaustAllowed (16); nothing else may be set.
    if ((flags & ~0x10003) !== 0 || at + 5 > end) return false;
    const kind = b[at + 4]!;
    if (kind === 0) return bsonDocument(b, at + 5, end, limit);
    if (kind !== 1 || at + 9 > end) return false;
    const size = u32le(b, at + 5);
    return size >= 5 && at + 5 + size <= limit && cstringName(b, at + 9, end, false);
  }
  if (op === OP_REPLY) {
    // responseFlags (4), cursorID (8), startingFrom (4), numberReturned (4), documents.
    if (at + 20 > end || (u32le(b, at) & ~0x0f) !== 0) return false;
    const returned = u32le(b, at + 16);
    if (returned > (length - HEADER - 20) / 5) return false;
    return returned === 0 ? length === HEADER + 20 : bsonDocument(b, at + 20, end, limit);
  }
  if (op === OP_COMPRESSED) {
    if (at + 9 > end) return false;
    const original = u32le(b, at);
    return original !== OP_COMPRESSED && OPCODES.has(original) && b[at + 8]! <= 3;
  }
  if (LEGACY_WITH_NAME.has(op)) {
    // OP_QUERY: flags (bits 1-7 defined); the others: a reserved zero word.
    const word = u32le(b, at);
    if (op === 2004 ? (word & ~0xfe) !== 0 : word !== 0) return false;
    return cstringName(b, at + 4, end, true);
  }
  // OP_KILL_CURSORS: zero, a cursor count that matches the length.
  return at + 8 <= end && u32le(b, at) === 0 && length === HEADER + 8 + 8 * u32le(b, at + 4);
}

/** MongoDB: the first payload of a direction starts with a well-formed message. */
export const mongodb: Dissector = {
  name: 'MongoDB',
  transport: 'tcp',
  // The length is little-endian: its first byte may be anything.
  first: { minLength: 21 },
  inspect: (p) => (isMongoMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
