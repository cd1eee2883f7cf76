/**
 * What a decoding step says about the bytes it was given. Packet bytes never throw: every
 * decoder returns one of these and its caller counts a named weird.
 */
export const Decode = {
  Ok: 0,
  /** The header does not fit in the captured bytes. */
  Truncated: 1,
  /** A field contradicts the header's own rules (length too small, bad version …). */
  Malformed: 2,
  /** Valid, but a kind Sonda does not decode (yet). */
  Unsupported: 3,
} as const;
export type Decode = (typeof Decode)[keyof typeof Decode];

/** Big-endian reads over a byte array; callers have checked the bounds. */
export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
