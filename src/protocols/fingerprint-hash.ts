/**
 * Hex digests of fingerprint strings (JA3, JA3S, JA4, HASSH). A network has few client stacks,
 * so the same strings come back flow after flow: each algorithm keeps the digests of recent
 * strings, and a repeated string costs one map lookup instead of a hash.
 */
import * as crypto from 'node:crypto';

/** Distinct strings remembered per algorithm; the memo starts over when full (bounded memory). */
const MEMO_LIMIT = 4096;
/** Longest string remembered (a real JA3 string is a few hundred characters). */
const MEMO_MAX_TEXT = 2048;

type Algorithm = 'md5' | 'sha256';

/** Node ≥ 20.12 hashes a string in one call; older versions build a Hash object. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

const memos: Record<Algorithm, Map<string, string>> = { md5: new Map(), sha256: new Map() };

/** The lower-case hex digest of the UTF-8 bytes of `text`. */
export function hexDigest(algorithm: Algorithm, text: string): string {
  const memo = memos[algorithm];
  let digest = memo.get(text);
  if (digest !== undefined) return digest;
  digest = oneShot !== undefined ? oneShot(algorithm, text, 'hex') : crypto.createHash(algorithm).update(text).digest('hex');
  // Memory stays bounded whatever the strings: a crafted hello's long one is not kept.
  if (text.length > MEMO_MAX_TEXT) return digest;
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(text, digest);
  return digest;
}
