import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKcpDatagram, kcp } from './kcp.js';
import { dpiCounts, hex, ndpiPcap, prefixClaims, randomClaims } from './testkit-b.js';

test('kcp: the corpus capture (nDPI: 7)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('kcp.pcap'), [kcp]), { KCP: 7 });
});

// A PUSH with 4 bytes of data, then an ACK of the same conversation.
const TWO = hex('0a000000 51 00 8000 14000000 00000000 00000000 04000000 61626364 0a000000 52 00 8000 14000000 00000000 00000000 00000000');

test('kcp: segments of one conversation that tile the datagram', () => {
  assert.ok(isKcpDatagram(TWO, 0, TWO.length));
  assert.deepEqual(prefixClaims(kcp, {}, TWO), [28]); // the PUSH alone is a datagram too
  const otherConv = TWO.slice();
  otherConv[28] = 0x0b;
  assert.equal(isKcpDatagram(otherConv, 0, otherConv.length), false);
  const badCmd = TWO.slice();
  badCmd[4] = 0x55;
  assert.equal(isKcpDatagram(badCmd, 0, badCmd.length), false);
  const ackWithData = TWO.slice(28);
  ackWithData[20] = 1;
  assert.equal(isKcpDatagram(ackWithData, 0, ackWithData.length), false);
});

test('kcp: random payloads are never claimed', () => {
  assert.equal(randomClaims(kcp, {}, 16), 0);
});
