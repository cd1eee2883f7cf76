import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avastSecureDns } from './avast-securedns.js';
import { dnscrypt } from './dnscrypt.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, text } from './testkit-c.js';

const query = (nonce: string): Uint8Array => cat(hex('d31b02042ac406f3'), new Uint8Array(32), hex(nonce), new Uint8Array(200));
const answer = (nonce: string): Uint8Array => cat(text('r6fnvWj8'), hex(nonce), new Uint8Array(12 + 100));

test('dnscrypt: corpus exchange; the Avast provider query is AVASTSecureDNS, tried first', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('dnscrypt_skype_false_positive.pcapng'), [avastSecureDns, dnscrypt]), { DNScrypt: 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('avast_securedns.pcapng'), [avastSecureDns, dnscrypt]), { AVASTSecureDNS: 39 });
});

test('dnscrypt: the answer must echo the query nonce after the resolver magic', () => {
  const nonce = '7961 0711 7ec5 1717 9b83 ae74';
  assert.equal(nameOf(dnscrypt, { serverPort: 443 }, [[0, query(nonce)], [1, answer(nonce)]]), 'DNScrypt');
  assert.equal(nameOf(dnscrypt, { serverPort: 443 }, [[0, query(nonce)], [1, answer('7961 0711 7ec5 1717 9b83 ae75')]]), undefined);
  assert.equal(nameOf(dnscrypt, { serverPort: 443 }, [[0, query(nonce)], [1, cat(text('r6fnvWj9'), answer(nonce).subarray(8))]]), undefined);
  assert.equal(nameOf(dnscrypt, { serverPort: 443 }, [[0, query(nonce)], [1, answer(nonce).subarray(0, 40)]]), undefined);
  // A one-way capture of the answers: the magic alone.
  assert.equal(nameOf(dnscrypt, { serverPort: 443 }, [[1, answer(nonce)]]), 'DNScrypt');
});

test('dnscrypt: the certificate query 2.dnscrypt-cert.<provider>', () => {
  const q = hex('1234 0100 0001 0000 0000 0000 01 32 0d 646e7363727970742d63657274 07 6578616d706c65 03 636f6d 00 0010 0001');
  assert.equal(nameOf(dnscrypt, { serverPort: 5353 }, [[0, q]]), 'DNScrypt');
  const other = hex('1234 0100 0001 0000 0000 0000 01 32 0d 646e7363727970742d63657275 07 6578616d706c65 03 636f6d 00 0010 0001');
  assert.equal(nameOf(dnscrypt, { serverPort: 5353 }, [[0, other]]), undefined);
});

test('dnscrypt: random payloads are not claimed', () => {
  assert.equal(randomClaims(dnscrypt, { serverPort: 443 }), 0);
});
