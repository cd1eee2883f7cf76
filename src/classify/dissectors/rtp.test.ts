import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRtcpCompound, isRtpHeader, rtp } from './rtp.js';
import { dpiCounts, hex, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('rtp: streams of the corpus, GTP-tunnelled and fuzzed ones too (nDPI: 4 + 1; RTCP 1)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('false_positives.pcapng'), [rtp]), { RTP: 4 });
  assert.deepEqual(await dpiCounts(ndpiPcap('fuzz-2006-06-26-2594.pcap'), [rtp]), { RTP: 1 });
  assert.deepEqual(await dpiCounts(ndpiPcap('rtcp_multiple_pkts_in_the_same_datagram.pcap'), [rtp], ['RTCP']), { RTCP: 1 });
});

const pkt = (seq: number, ssrc = 0x34127856, pt = 8): Uint8Array => {
  const b = new Uint8Array(172);
  b[0] = 0x80;
  b[1] = pt;
  b[2] = seq >> 8;
  b[3] = seq & 0xff;
  b[8] = ssrc >>> 24;
  b[9] = (ssrc >> 16) & 0xff;
  b[10] = (ssrc >> 8) & 0xff;
  b[11] = ssrc & 0xff;
  return b;
};

test('rtp: three datagrams of one SSRC with the sequence running on', () => {
  const run = (seqs: number[], ssrcs?: number[]) => verdictOf(rtp, {}, seqs.map((s, i) => ({ dir: 0 as const, data: pkt(s, ssrcs?.[i]) })));
  assert.equal(run([10, 11, 12]), 'RTP');
  assert.equal(run([0xfffe, 0xffff, 0]), 'RTP'); // wraps
  assert.equal(run([10, 12, 15]), 'RTP'); // losses
  assert.equal(run([10, 11]), undefined);
  assert.equal(run([10, 20, 30]), undefined);
  assert.equal(run([10, 11, 12], [1, 2, 1]), undefined);
  assert.equal(isRtpHeader(pkt(1, 1, 72), 0, 172), false); // RTCP's range
  assert.equal(isRtpHeader(pkt(1, 1, 50), 0, 172), false); // unassigned
});

test('rtp: RTCP compounds must start with a report and tile the datagram', () => {
  const rr = hex('81c90007 01932db4 00000000 01000001 0000bec2 00000001 00000000 00000000');
  const sdes = hex('81ca0002 01932db4 01020000');
  const compound = new Uint8Array([...rr, ...sdes]);
  assert.ok(isRtcpCompound(compound, 0, compound.length));
  assert.equal(isRtcpCompound(compound, 0, compound.length - 4), false);
  assert.equal(isRtcpCompound(sdes, 0, sdes.length), false);
  assert.equal(verdictOf(rtp, {}, [{ dir: 0, data: compound }, { dir: 1, data: compound }]), 'RTCP');
  assert.equal(verdictOf(rtp, {}, [{ dir: 0, data: compound }]), undefined);
});

test('rtp: random payloads are never claimed', () => {
  assert.equal(randomClaims(rtp, {}, 19, 4000), 0);
});
