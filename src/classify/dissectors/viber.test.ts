import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpiCounts, hex, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';
import { viber } from './viber.js';

test('viber: UDP sessions and TCP messages on its ports (nDPI: 4 UDP, 3 TCP + 1 by port)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('viber.pcap'), [viber]), { Viber: 8 });
});

test('viber: two datagrams must share the session id; TCP length must equal the segment', () => {
  const udp = { transport: 17, serverPort: 7985 };
  const a = hex('edf6 09 00 b339929163010000ac19358c8f64e447');
  const b = hex('edf6 0c 00 0100ac19358c8f64e44732437c5e43b8ae399291');
  const other = hex('1234 0c 00 0100ac19358c8f64e44732437c5e43b8ae399291');
  assert.equal(verdictOf(viber, udp, [{ dir: 0, data: a }, { dir: 1, data: b }]), 'Viber');
  assert.equal(verdictOf(viber, udp, [{ dir: 0, data: a }, { dir: 1, data: other }]), undefined);
  assert.equal(verdictOf(viber, udp, [{ dir: 0, data: a }]), undefined);
  assert.equal(verdictOf(viber, { transport: 17, serverPort: 7000 }, [{ dir: 0, data: a }, { dir: 1, data: b }]), undefined);
  const tcp = { transport: 6, serverPort: 4244 };
  const msg = hex('0c00 0a00 0000 2ed0 a1f6 d200');
  assert.equal(verdictOf(viber, tcp, [{ dir: 0, data: msg }]), 'Viber');
  assert.equal(verdictOf(viber, tcp, [{ dir: 0, data: msg.subarray(0, 11) }]), undefined);
});

test('viber: random payloads are never claimed', () => {
  assert.equal(randomClaims(viber, { transport: 17, serverPort: 7985 }, 14), 0);
  assert.equal(randomClaims(viber, { transport: 6, serverPort: 4244 }, 15, 2000, 100), 0);
});
