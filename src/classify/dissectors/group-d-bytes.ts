/**
 * Byte helpers the group D dissectors share: text lines, decimal numbers, printable names.
 * Every function reads only within the bounds it is given and never throws.
 */

/** True when `b[off, end)` is printable ASCII (no control bytes at all). */
export function isPrintableAscii(b: Uint8Array, off: number, end: number): boolean {
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** True for an ASCII letter. */
export const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;

/** True for an ASCII digit. */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Where the number read by `decimal` ended (the first byte after its digits). */
export let decimalEnd = 0;

/**
 * The unsigned decimal number of 1 to `maxDigits` digits at `b[at]` (its end in `decimalEnd`),
 * or -1 when there is no digit there or too many.
 */
export function decimal(b: Uint8Array, at: number, end: number, maxDigits: number): number {
  let v = 0;
  let i = at;
  while (i < end && isDigit(b[i]!)) {
    if (i - at === maxDigits) return -1;
    v = v * 10 + (b[i]! - 0x30);
    i++;
  }
  if (i === at) return -1;
  decimalEnd = i;
  return v;
}

/** True when `b[at]`, `b[at + 1]` are CR LF (both within `end`). */
export const crlfAt = (b: Uint8Array, at: number, end: number): boolean => at + 1 < end && b[at] === 0x0d && b[at + 1] === 0x0a;

/** Index of the first LF in `b[off, min(end, off + limit))`, or -1. */
export function lineFeed(b: Uint8Array, off: number, end: number, limit: number): number {
  const stop = Math.min(end, off + limit);
  for (let i = off; i < stop; i++) if (b[i] === 0x0a) return i;
  return -1;
}

/** True when `b[off, end)` starts with the ASCII word `w` followed by one of `after` (or the end, when `atEnd`). */
export function wordAt(b: Uint8Array, off: number, end: number, w: string, after: string, atEnd = false): boolean {
  const n = w.length;
  if (end - off < n) return false;
  for (let i = 0; i < n; i++) if (b[off + i] !== w.charCodeAt(i)) return false;
  if (off + n === end) return atEnd;
  const c = b[off + n]!;
  for (let i = 0; i < after.length; i++) if (after.charCodeAt(i) === c) return true;
  return false;
}
