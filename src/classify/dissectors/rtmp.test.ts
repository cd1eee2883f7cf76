import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rtmp } from './rtmp.js';
import { dpiCounts, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('rtmp: handshakes of the corpus, one on a non-standard port (nDPI: 3 + 2 SYN-only by port)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('rtmp.pcap'), [rtmp]), { RTMP: 3 });
});

test('rtmp: C0+C1 is exactly 1537 bytes when the server answers with the same version', () => {
  const c0c1 = new Uint8Array(1537);
  c0c1[0] = 3;
  const s0 = new Uint8Array(100);
  s0[0] = 3;
  assert.equal(verdictOf(rtmp, {}, [{ dir: 0, data: c0c1.subarray(0, 1000) }, { dir: 0, data: c0c1.subarray(1000) }, { dir: 1, data: s0 }]), 'RTMP');
  assert.equal(verdictOf(rtmp, {}, [{ dir: 0, data: c0c1.subarray(0, 1536) }, { dir: 1, data: s0 }]), undefined);
  const s6 = s0.slice();
  s6[0] = 6;
  assert.equal(verdictOf(rtmp, {}, [{ dir: 0, data: c0c1 }, { dir: 1, data: s6 }]), undefined);
  const v9 = c0c1.slice();
  v9[0] = 9;
  assert.equal(verdictOf(rtmp, {}, [{ dir: 0, data: v9 }, { dir: 1, data: s0 }]), undefined);
});

test('rtmp: random payloads are never claimed', () => {
  assert.equal(randomClaims(rtmp, {}, 21), 0);
});
