import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quic, tls, tlsRecordChain } from './core.js';
import { hexBytes, inspectAll, noiseClaims } from './testkit-a.js';
import { randomPayloads } from './testkit.js';

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

test('TLS: a keep-alive byte first does not rule TLS out', () => {
  assert.equal(inspectAll(tls, flow, [[0, '00'], [1, hexBytes(appData(40))], [0, hexBytes(appData(30))]]).name, 'TLS');
});

test('QUIC past its handshake on UDP 443: two short-header packets of one direction with the same connection ID', () => {
  const udp443 = { transport: 17, clientPort: 40461, serverPort: 443 };
  const cid = '0123456789abcdef';
  const tail = 'a5'.repeat(30);
  // gQUIC public header: flags 0x0c (8-byte connection ID, no version), then the ID.
  assert.equal(inspectAll(quic, udp443, [[0, `0c${cid}01${tail}01`], [1, `00${tail}`], [0, `0c${cid}02${tail}02`]]).name, 'QUIC');
  // IETF short header: fixed bit set, long-header bit clear.
  assert.equal(inspectAll(quic, udp443, [[1, `53${cid}${tail}11`], [1, `4f${cid}${tail}22`]]).name, 'QUIC');
  assert.equal(inspectAll(quic, udp443, [[1, `53${cid}${tail}`], [1, `4ffedcba9876543210${tail}`]]).name, undefined, 'different IDs');
  assert.equal(inspectAll(quic, { ...udp443, serverPort: 8443 }, [[1, `53${cid}${tail}11`], [1, `4f${cid}${tail}22`]]).name, undefined, 'not on 443');
  // A server's Handshake packet (version 1) first.
  assert.equal(inspectAll(quic, udp443, [[0, `e000000001${'08'}${cid}00${tail}`]]).name, 'QUIC');
  // DTLS application data on 443 repeats its header bytes but is not QUIC.
  const dtls = `17fefd000100000000000${'1'}0020${tail}`;
  assert.equal(inspectAll(quic, udp443, [[0, dtls], [0, dtls]]).name, undefined);
  assert.equal(inspectAll(quic, udp443, [[1, `53${cid}${tail}`], [1, `53${cid}${tail}`]]).name, undefined, 'the same datagram twice');
  // Random datagrams (both directions, twice each): never QUIC.
  let claims = 0;
  const noise = randomPayloads(7, 2000, 300);
  for (let i = 0; i + 1 < noise.length; i += 2) if (inspectAll(quic, udp443, [[0, noise[i]!], [1, noise[i + 1]!], [0, noise[i + 1]!], [1, noise[i]!]]).name !== undefined) claims++;
  assert.equal(claims, 0);
});
