/**
 * Text from wire bytes, made as one flat string. A string grown a character at a time is a
 * chain of cons cells: slower to build, flattened again when used as a map key, and kept that
 * way with a flow's state until the flow ends.
 */

/** Bytes as Latin-1 text: one character per byte, exactly. */
export function latin1(b: Uint8Array, off: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('latin1');
}

/** Room for `mappedText`'s output (callers cap their text well below it). */
const SCRATCH = new Uint8Array(4096);

/**
 * Bytes `b[off, end)` passed through `table` (the output byte for each input byte), as text;
 * at most 4096 characters.
 */
export function mappedText(b: Uint8Array, off: number, end: number, table: Uint8Array): string {
  const n = Math.min(end - off, SCRATCH.length);
  for (let i = 0; i < n; i++) SCRATCH[i] = table[b[off + i]!]!;
  return latin1(SCRATCH, 0, n);
}

/** A `mappedText` table: printable ASCII kept (`map` may change it), every other byte `?`. */
export function printableTable(map: (c: number) => number = (c) => c): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = c < 0x20 || c >= 0x7f ? 0x3f : map(c);
  return t;
}
