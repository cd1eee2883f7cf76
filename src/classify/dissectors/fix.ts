/**
 * FIX, the Financial Information eXchange protocol, on TCP. Every message starts with the
 * BeginString field `8=FIX.4.x` (or `8=FIXT.1.1` for FIX 5 sessions), then BodyLength `9=n`
 * and MsgType `35=…`, fields separated by SOH (0x01). A direction is FIX when its first payload
 * starts with these three fields (what is there of them when the segment is short).
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, type Verdict, type Payload } from '../dissector.js';

const SOH = 0x01;

/** True when `b[from, to)` is all decimal digits and not empty. */
function digits(b: Uint8Array, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (b[i]! < 0x30 || b[i]! > 0x39) return false;
  return true;
}

/** Offset of the next SOH in `b[from, min(end, from + max))`, or -1. */
function nextSoh(b: Uint8Array, from: number, end: number, max: number): number {
  const stop = Math.min(end, from + max);
  for (let i = from; i < stop; i++) if (b[i] === SOH) return i;
  return -1;
}

/**
 * True when `b[off, end)` starts a FIX message: BeginString with a version, BodyLength in
 * digits, then a MsgType. Exported for tests.
 */
export function fixMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 16 || b[off] !== 0x38 /* 8 */ || !startsWith(b, off, end, '8=FIX')) return false;
  // "FIX.4.2" or "FIXT.1.1": major digit '.' minor digit.
  let v = off + 5;
  if (b[v] === 0x54 /* T */) v++;
  if (b[v] !== 0x2e || !digits(b, v + 1, v + 2) || b[v + 2] !== 0x2e || !digits(b, v + 3, v + 4)) return false;
  const s1 = nextSoh(b, v + 4, end, 8);
  if (s1 < 0 || !startsWith(b, s1 + 1, end, '9=')) return false;
  const s2 = nextSoh(b, s1 + 3, end, 8);
  if (s2 < 0 || !digits(b, s1 + 3, s2)) return false;
  if (!startsWith(b, s2 + 1, end, '35=')) return false;
  // MsgType: one to four characters, then SOH (a short segment may end inside it).
  const s3 = nextSoh(b, s2 + 4, end, 5);
  return s3 > s2 + 4 || (s3 < 0 && end - (s2 + 4) < 5 && end > s2 + 4);
}

function inspectFix(p: Payload): Verdict {
  return p.streamOffset === 0 && fixMessage(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** FIX: the first payload of a direction starts with BeginString, BodyLength and MsgType. */
export const fix: Dissector = {
  name: 'FIX',
  transport: 'tcp',
  first: { bytes: byteSet('8'), minLength: 16 },
  inspect: inspectFix,
};
