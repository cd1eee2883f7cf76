import assert from 'node:assert/strict';
import { test } from 'node:test';
import { socks } from './socks.js';
import { dpiNames, hex, ndpiPcap, nameOf, randomClaims, text } from './testkit-c.js';

test('socks: corpus SOCKS5 flows', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('shadowsocks.pcap'), [socks]), { SOCKS: 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('tls_heur__vmess-websocket.pcapng'), [socks]), { SOCKS: 1 });
});

test('socks5: the greeting and an answer choosing an offered method (or none)', () => {
  assert.equal(nameOf(socks, {}, [[0, hex('05020001')], [1, hex('0500')]]), 'SOCKS');
  assert.equal(nameOf(socks, {}, [[0, hex('05020001')], [1, hex('05ff')]]), 'SOCKS');
  // The client goes on with its request before the answer shows.
  assert.equal(nameOf(socks, {}, [[0, hex('050100')], [0, hex('05010001c0a800010050')], [1, hex('0500')]]), 'SOCKS');
  assert.equal(nameOf(socks, {}, [[0, hex('05020001')], [1, hex('0502')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, hex('05020001')], [1, hex('050000')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, hex('050300')], [1, hex('0500')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, hex('0501ff')], [1, hex('05ff')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, hex('050120')], [1, hex('0520')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, hex('05020001')]]), undefined);
});

test('socks4: a connect with a user id, answered by 00 5A', () => {
  const req = Uint8Array.from([4, 1, 0, 80, 93, 184, 216, 34, ...text('fred'), 0]);
  assert.equal(nameOf(socks, {}, [[0, req], [1, hex('005a0050 5db8d822')]]), 'SOCKS');
  const req4a = Uint8Array.from([4, 1, 0, 80, 0, 0, 0, 1, 0, ...text('example.com'), 0]);
  assert.equal(nameOf(socks, {}, [[0, req4a], [1, hex('005a0000 00000000')]]), 'SOCKS');
  assert.equal(nameOf(socks, {}, [[0, req], [1, hex('005f0050 5db8d822')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, req.subarray(0, 9)], [1, hex('005a0050 5db8d822')]]), undefined);
  assert.equal(nameOf(socks, {}, [[0, Uint8Array.from([4, 3, 0, 80, 1, 2, 3, 4, 0])], [1, hex('005a0050 01020304')]]), undefined);
});

test('socks: random payloads are not claimed', () => {
  assert.equal(randomClaims(socks, { serverPort: 1080 }), 0);
  assert.equal(randomClaims(socks, { serverPort: 1080 }, { prefix: hex('05') }), 0);
});
