import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dtls, isDtlsDatagram } from './dtls.js';
import { dpiCounts, flowPayloads, hex, ndpiPcap, prefixClaims, randomClaims } from './testkit-b.js';

test('dtls: handshakes, old versions and sessions picked up mid-way (nDPI: 4, 1, 1, 2)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('dtls_mid_sessions.pcapng'), [dtls]), { DTLS: 4 });
  assert.deepEqual(await dpiCounts(ndpiPcap('anyconnect-vpn.pcap'), [dtls]), { DTLS: 1 });
  assert.deepEqual(await dpiCounts(ndpiPcap('dtls_old_version.pcapng'), [dtls]), { DTLS: 1 });
  assert.deepEqual(await dpiCounts(ndpiPcap('dtls_certificate_fragments.pcap'), [dtls]), { DTLS: 2 });
});

test('dtls: records must tile the datagram; handshake lengths must fit', async () => {
  const [hello] = await flowPayloads(ndpiPcap('dtls_certificate_fragments.pcap'), (f) => f.serverPort === 44443);
  const d = hello!.data as Uint8Array;
  assert.ok(isDtlsDatagram(d, 0, d.length));
  assert.deepEqual(prefixClaims(dtls, {}, d), []);
  const twoRecords = hex('17fefd 0001 000000000001 0003 aabbcc 15fefd 0001 000000000002 0002 0102');
  assert.ok(isDtlsDatagram(twoRecords, 0, twoRecords.length));
  assert.equal(isDtlsDatagram(twoRecords, 0, twoRecords.length - 1), false);
  const badVersion = twoRecords.slice();
  badVersion[2] = 0xfb;
  assert.equal(isDtlsDatagram(badVersion, 0, badVersion.length), false);
  // A clear handshake (epoch 0) whose fragment claims more than its record holds.
  const bigFragment = hex('16fefd 0000 000000000000 000c 01 000010 0000 000000 000010');
  assert.equal(isDtlsDatagram(bigFragment, 0, bigFragment.length), false);
});

test('dtls: random payloads are never claimed', () => {
  assert.equal(randomClaims(dtls, {}, 12), 0);
});
