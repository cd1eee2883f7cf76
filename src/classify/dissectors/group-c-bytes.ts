/**
 * Byte helpers the group C dissectors share: fixed byte patterns, printable text and compares.
 * Every function reads only within the bounds it is given and never throws.
 */

/** Bytes of a hex string (white space ignored), for module-level constants. */
export function hexPattern(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** True when `b[off, end)` starts with `pattern`. */
export function startsWithBytes(b: Uint8Array, off: number, end: number, pattern: Uint8Array): boolean {
  if (end - off < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (b[off + i] !== pattern[i]) return false;
  return true;
}

/** True when `b[off, end)` ends with `pattern`. */
export function endsWithBytes(b: Uint8Array, off: number, end: number, pattern: Uint8Array): boolean {
  return end - off >= pattern.length && startsWithBytes(b, end - pattern.length, end, pattern);
}

/** True when `n` bytes at `a[ao]` equal `n` bytes at `b[bo]` (callers check bounds). */
export function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** True when every byte of `b[off, end)` is zero. */
export function allZero(b: Uint8Array, off: number, end: number): boolean {
  for (let i = off; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/** True when `b[off, end)` is printable ASCII (tab, CR and LF allowed). */
export function isPrintable(b: Uint8Array, off: number, end: number): boolean {
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

/** The Latin-1 text of `b[off, end)` (short fields only: a host name, a query). */
export function latin1(b: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** An ASCII capital folded to lower case; other bytes unchanged. */
const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/**
 * Walks the DNS name at `off` (labels only, no compression pointers) and compares it with
 * `labels` (given in lower case), ASCII case-insensitively (resolvers randomise the case of queries, RFC draft
 * "0x20"); a label given as `*` matches any one label. The offset after the name, or -1.
 */
export function matchDnsName(b: Uint8Array, off: number, end: number, labels: readonly string[]): number {
  let at = off;
  for (const want of labels) {
    if (at >= end) return -1;
    const n = b[at]!;
    if (n === 0 || n > 63 || at + 1 + n > end) return -1;
    if (want !== '*') {
      if (n !== want.length) return -1;
      for (let i = 0; i < n; i++) if (lower(b[at + 1 + i]!) !== want.charCodeAt(i)) return -1;
    }
    at += 1 + n;
  }
  return at < end && b[at] === 0 ? at + 1 : -1;
}
