/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104) for the short inputs of key schedules.
 *
 * QUIC's Initial keys take five HMACs per connection over a few dozen bytes each. node:crypto
 * spends most of each call making and tearing down its Hmac object (about 3 µs, measured);
 * here a key's padded blocks are compressed once ({@link hmacKey}) and each HMAC is then two
 * block compressions on preallocated state, with no object per call.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const BLOCK = 64;
const W = new Int32Array(64);

/** One block `b[off, off + 64)` into `state` (eight words). */
function compress(state: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b1 = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b1) ^ (a & c) ^ (b1 & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b1;
    b1 = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b1) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Room for the tail of a message and its padding (two blocks). */
const TAIL = new Uint8Array(2 * BLOCK);

/**
 * Hashes `m[off, end)` on top of `state`, which has already taken `before` bytes (whole
 * blocks), and writes the 32-byte digest to `out[outOff…]`. `state` is used up.
 */
function finish(state: Int32Array, before: number, m: Uint8Array, off: number, end: number, out: Uint8Array, outOff: number): void {
  const total = before + (end - off);
  for (; end - off >= BLOCK; off += BLOCK) compress(state, m, off);
  const rest = end - off;
  TAIL.fill(0);
  for (let i = 0; i < rest; i++) TAIL[i] = m[off + i]!;
  TAIL[rest] = 0x80;
  const blocks = rest + 9 <= BLOCK ? 1 : 2;
  const bits = total * 8;
  const at = blocks * BLOCK - 8;
  const high = Math.floor(bits / 0x100000000);
  TAIL[at] = high >>> 24;
  TAIL[at + 1] = high >>> 16;
  TAIL[at + 2] = high >>> 8;
  TAIL[at + 3] = high;
  TAIL[at + 4] = bits >>> 24;
  TAIL[at + 5] = bits >>> 16;
  TAIL[at + 6] = bits >>> 8;
  TAIL[at + 7] = bits;
  compress(state, TAIL, 0);
  if (blocks === 2) compress(state, TAIL, BLOCK);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[outOff + i * 4] = v >>> 24;
    out[outOff + i * 4 + 1] = v >>> 16;
    out[outOff + i * 4 + 2] = v >>> 8;
    out[outOff + i * 4 + 3] = v;
  }
}

/** SHA-256 of `m`: 32 bytes. */
export function sha256(m: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  finish(INITIAL.slice(), 0, m, 0, m.length, out, 0);
  return out;
}

/** An HMAC-SHA-256 key made ready: the states after its inner and outer padded blocks. */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const PAD = new Uint8Array(BLOCK);

/** Prepares `key` (any length; longer than a block: hashed first, as RFC 2104 says). */
export function hmacKey(key: Uint8Array): HmacKey {
  const k = key.length > BLOCK ? sha256(key) : key;
  const inner = INITIAL.slice();
  const outer = INITIAL.slice();
  PAD.fill(0x36);
  for (let i = 0; i < k.length; i++) PAD[i]! ^= k[i]!;
  compress(inner, PAD, 0);
  PAD.fill(0x5c);
  for (let i = 0; i < k.length; i++) PAD[i]! ^= k[i]!;
  compress(outer, PAD, 0);
  return { inner, outer };
}

const state = new Int32Array(8);
const innerDigest = new Uint8Array(32);

/** HMAC-SHA-256 of `m[off, end)` under `key`, written to `out[outOff, outOff + 32)`. */
export function hmacInto(key: HmacKey, m: Uint8Array, off: number, end: number, out: Uint8Array, outOff: number): void {
  state.set(key.inner);
  finish(state, BLOCK, m, off, end, innerDigest, 0);
  state.set(key.outer);
  finish(state, BLOCK, innerDigest, 0, 32, out, outOff);
}

/** HMAC-SHA-256 of `m` under `key`: 32 bytes. */
export function hmacSha256(key: HmacKey, m: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  hmacInto(key, m, 0, m.length, out, 0);
  return out;
}
