import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tls, tlsRecordChain } from './core.js';
import { hexBytes, inspectAll, noiseClaims } from './testkit-a.js';

const flow = { transport: 6, clientPort: 50000, serverPort: 443 };
/** An application-data record of `n` bytes. */
const appData = (n: number): string => `170303${n.toString(16).padStart(4, '0')}${'ab'.repeat(n)}`;

test('TLS records chain: type, version and length must agree up to the end of the payload', () => {
  assert.equal(tlsRecordChain(hexBytes(appData(20) + appData(3)), 0, 5 + 20 + 5 + 3), 2);
  assert.equal(tlsRecordChain(hexBytes(appData(20)), 0, 10), 1, 'a record continuing past the payload still counts');
  assert.equal(tlsRecordChain(hexBytes(`${appData(4)}9903030001aa`), 0, 15), 0, 'a bad type after a good record');
  assert.equal(tlsRecordChain(hexBytes('1703050004aabbccdd'), 0, 9), 0, 'version 3.5');
  assert.equal(tlsRecordChain(hexBytes('1703030000'), 0, 5), 0, 'empty record');
});

test('TLS picked up after its handshake: two payloads of chained records name it; one, or noise, does not', () => {
  assert.equal(inspectAll(tls, flow, [[1, hexBytes(appData(40))], [0, hexBytes(appData(30))]]).name, 'TLS');
  assert.equal(inspectAll(tls, flow, [[1, hexBytes(appData(40))]]).name, undefined);
  assert.equal(inspectAll(tls, flow, [[0, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')]]).name, undefined, 'plain text first from the client');
  assert.equal(noiseClaims(tls, flow, 3, 3000, 300), 0);
});
