/**
 * Byte-order helpers shared by the capture readers. Plain functions over `Uint8Array` (no
 * DataView per chunk): V8 inlines them into the record loops.
 *
 * @internal
 */

/** Unsigned 16-bit integer at `o`, little-endian when `le`, else big-endian. */
export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/** Unsigned 32-bit integer at `o`, little-endian when `le`, else big-endian. */
export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Big-endian unsigned 32-bit integer at `o` (magic numbers are compared in file order). */
export function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * A byte buffer that only grows: holds a unit (record, block) that crosses a chunk boundary.
 * Growth is bounded by the caller's own record/block limit.
 */
export class Carry {
  buf: Uint8Array;
  len = 0;
  /** Stream offset of `buf[0]`. */
  start = 0;

  constructor(initial: number) {
    this.buf = new Uint8Array(initial);
  }

  /** Makes room for `n` bytes in total, keeping the bytes held so far. */
  reserve(n: number): void {
    if (n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /**
   * Appends bytes from `src[off, end)` until `this.len === want`; returns how many were taken.
   * The caller has reserved `want` bytes.
   */
  fill(src: Uint8Array, off: number, end: number, want: number): number {
    const n = Math.min(want - this.len, end - off);
    if (n <= 0) return 0;
    this.buf.set(src.subarray(off, off + n), this.len);
    this.len += n;
    return n;
  }
}
