import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { seededRandom } from '../testing/random.js';
import { hmacKey, hmacSha256, sha256 } from './sha256.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('SHA-256: FIPS 180-4 examples and every length around the block and padding boundaries', () => {
  assert.equal(hex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(sha256(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hex(sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  const rnd = seededRandom(7);
  for (let n = 0; n <= 300; n++) {
    const m = new Uint8Array(n).map(() => Math.floor(rnd() * 256));
    assert.equal(hex(sha256(m)), createHash('sha256').update(m).digest('hex'), `length ${n}`);
  }
});

test('HMAC-SHA-256: RFC 4231 case 2, and node:crypto over keys shorter and longer than a block', () => {
  const k = hmacKey(Buffer.from('Jefe'));
  assert.equal(hex(hmacSha256(k, Buffer.from('what do ya want for nothing?'))), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  const rnd = seededRandom(11);
  for (const keyLength of [0, 1, 20, 32, 63, 64, 65, 100, 200]) {
    const key = new Uint8Array(keyLength).map(() => Math.floor(rnd() * 256));
    const prepared = hmacKey(key);
    for (const n of [0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 200]) {
      const m = new Uint8Array(n).map(() => Math.floor(rnd() * 256));
      assert.equal(hex(hmacSha256(prepared, m)), createHmac('sha256', key).update(m).digest('hex'), `key ${keyLength}, message ${n}`);
    }
  }
});
