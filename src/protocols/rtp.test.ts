/**
 * RTP: headers built byte by byte; loss, reordering, duplicates, sequence wrap and jitter
 * against values worked out by hand from RFC 3550 A.1/A.8; detection budgets; malformed
 * input; corpus captures through the real engine, checked against tshark's `rtp,streams`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import type { EventFields, FlowStart } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import { ftpConsumer } from './ftp.js';
import { isMuxed, parseRtpHeader, type RtpHeader, RtpKind, RtpState, rtpClockRate, rtpConsumer } from './rtp.js';
import { sipConsumer } from './sip.js';

interface Pkt {
  seq: number;
  ts: number;
  pt?: number;
  ssrc?: number;
  marker?: boolean;
}

/** An RTP packet with a 4-byte payload. */
function rtp(p: Pkt, extra: number[] = []): Uint8Array {
  const ssrc = p.ssrc ?? 0x11223344;
  return Uint8Array.from([
    0x80,
    ((p.marker ? 0x80 : 0) | (p.pt ?? 0)) & 0xff,
    (p.seq >> 8) & 0xff,
    p.seq & 0xff,
    (p.ts >>> 24) & 0xff,
    (p.ts >>> 16) & 0xff,
    (p.ts >>> 8) & 0xff,
    p.ts & 0xff,
    (ssrc >>> 24) & 0xff,
    (ssrc >>> 16) & 0xff,
    (ssrc >>> 8) & 0xff,
    ssrc & 0xff,
    ...extra,
    1,
    2,
    3,
    4,
  ]);
}

const newHeader = (): RtpHeader => ({ marker: false, payloadType: 0, seq: 0, timestamp: 0, ssrc: 0, payloadOffset: 0, payloadLength: 0 });

/** Feeds packets (arrival µs) in order to a fresh state; returns it and the weirds. */
function feed(pkts: Array<[Uint8Array, number]>, dir: 0 | 1 = 0): { st: RtpState; weirds: string[] } {
  const weirds: string[] = [];
  const st = new RtpState((n) => weirds.push(n));
  for (const [b, t] of pkts) st.datagram(dir, b, 0, b.length, t);
  return { st, weirds };
}

describe('rtp header', () => {
  test('fields of the fixed header', () => {
    const h = newHeader();
    const b = rtp({ seq: 0x1234, ts: 0xdeadbeef, pt: 8, ssrc: 0xcafebabe, marker: true });
    assert.equal(parseRtpHeader(b, 0, b.length, h), RtpKind.Rtp);
    assert.deepEqual(h, { marker: true, payloadType: 8, seq: 0x1234, timestamp: 0xdeadbeef, ssrc: 0xcafebabe, payloadOffset: 12, payloadLength: 4 });
  });
  test('CSRCs, extension and padding are skipped', () => {
    const h = newHeader();
    const b = rtp({ seq: 1, ts: 2 }, [0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd]);
    b[0] = 0x80 | 0x10 | 1; // X, CC=1
    assert.equal(parseRtpHeader(b, 0, b.length, h), RtpKind.Rtp);
    assert.equal(h.payloadOffset, 12 + 4 + 8);
    assert.equal(h.payloadLength, 4);
    const p = rtp({ seq: 1, ts: 2 });
    p[0] |= 0x20;
    p[p.length - 1] = 2; // two bytes of padding
    assert.equal(parseRtpHeader(p, 0, p.length, h), RtpKind.Rtp);
    assert.equal(h.payloadLength, 2);
  });
  test('RTCP (SR 200, RR 201 …) is told apart', () => {
    const sr = Uint8Array.from([0x80, 200, 0, 6, ...new Array(24).fill(0)]);
    assert.equal(parseRtpHeader(sr, 0, sr.length, newHeader()), RtpKind.Rtcp);
    const rr = Uint8Array.from([0x81, 201, 0, 7, ...new Array(28).fill(0)]);
    assert.equal(parseRtpHeader(rr, 0, rr.length, newHeader()), RtpKind.Rtcp);
  });
  test('malformed: short, version 1, CC beyond the end, bad padding, lying extension', () => {
    const h = newHeader();
    const weirds: string[] = [];
    const w = (n: string) => weirds.push(n);
    const short = rtp({ seq: 1, ts: 1 }).subarray(0, 11);
    assert.equal(parseRtpHeader(short, 0, short.length, h, w), RtpKind.Other);
    const v1 = rtp({ seq: 1, ts: 1 });
    v1[0] = 0x40;
    assert.equal(parseRtpHeader(v1, 0, v1.length, h, w), RtpKind.Other);
    const cc = rtp({ seq: 1, ts: 1 });
    cc[0] = 0x8f;
    assert.equal(parseRtpHeader(cc, 0, cc.length, h, w), RtpKind.Other);
    const pad = rtp({ seq: 1, ts: 1 });
    pad[0] |= 0x20;
    pad[pad.length - 1] = 200;
    assert.equal(parseRtpHeader(pad, 0, pad.length, h, w), RtpKind.Other);
    const ext = rtp({ seq: 1, ts: 1 });
    ext[0] |= 0x10;
    ext[14] = 0xff; // extension length 0xff03 words
    assert.equal(parseRtpHeader(ext, 0, ext.length, h, w), RtpKind.Other);
    assert.deepEqual(weirds, ['rtp_bad_padding']);
    for (let n = 0; n < 40; n++) {
      const r = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff);
      parseRtpHeader(r, 0, r.length, h, w); // no throw
    }
  });
  test('STUN and DTLS are recognised for demultiplexing (RFC 7983)', () => {
    const stun = Uint8Array.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Array(12).fill(0)]);
    const dtls = Uint8Array.from([22, 0xfe, 0xfd, ...new Array(20).fill(0)]);
    assert.equal(isMuxed(stun, 0, stun.length), true);
    assert.equal(isMuxed(dtls, 0, dtls.length), true);
    const r = rtp({ seq: 1, ts: 1 });
    assert.equal(isMuxed(r, 0, r.length), false);
  });
  test('clock rates: static audio 8000, video 90000, dynamic 8000', () => {
    assert.deepEqual([0, 8, 9, 18, 6, 26, 31, 34, 96, 111].map(rtpClockRate), [8000, 8000, 8000, 8000, 16000, 90000, 90000, 90000, 8000, 8000]);
  });
});

describe('rtp statistics (RFC 3550 A.1, A.8)', () => {
  test('jitter by hand: arrivals 0, 20, 45, 60 ms for timestamps 0, 160, 320, 480 (PCMU)', () => {
    // Arrivals in timestamp units: 0, 160, 360, 480. D = 0, 40, -40.
    // J1 = 0; J2 = 0 + (40 - 0)/16 = 2.5; J3 = 2.5 + (40 - 2.5)/16 = 4.84375 units = 0.60546875 ms.
    const { st } = feed([
      [rtp({ seq: 0, ts: 0 }), 0],
      [rtp({ seq: 1, ts: 160 }), 20000],
      [rtp({ seq: 2, ts: 320 }), 45000],
      [rtp({ seq: 3, ts: 480 }), 60000],
    ]);
    assert.equal(st.isRtp, true);
    const [s] = st.validSources();
    assert.equal(s.jitter, 4.84375);
    assert.equal(s.jitterMs, 0.60546875);
    assert.equal(s.maxJitterMs, 0.60546875);
    assert.equal(s.lost, 0);
    assert.equal(s.received, 4);
  });
  test('jitter: max is kept when it falls again; video clock 90 kHz', () => {
    // PT 96 → 8000 by default; PT 26 (JPEG) → 90000. 90 units = 1 ms.
    // ts step 3000 (33.33 ms) each; arrivals 0, 34 ms, 66.666 ms ...
    const us = [0, 34000, 66666, 100000];
    const { st } = feed(us.map((t, i) => [rtp({ seq: i, ts: i * 3000, pt: 26 }), t] as [Uint8Array, number]));
    const [s] = st.validSources();
    // D1 = 3060 - 3000 = 60 → J = 3.75; D2 = (66666-34000)*0.09 - 3000 = -60.06 → J = 3.75 + (60.06-3.75)/16
    const d2 = Math.abs((66666 - 34000) * 0.09 - 3000);
    let j = 60 / 16;
    j += (d2 - j) / 16;
    const d3 = Math.abs((100000 - 66666) * 0.09 - 3000);
    const jMax = j;
    j += (d3 - j) / 16;
    assert.ok(Math.abs(s.jitter - j) < 1e-9);
    assert.ok(Math.abs(s.maxJitterMs - (Math.max(jMax, j) * 1000) / 90000) < 1e-9);
  });
  test('loss, reordering and a duplicate: 10 11 13 12 14 14 17', () => {
    // Expected = 17 - 10 + 1 = 8; received = 7 (the duplicate counts, as in RFC 3550);
    // lost = 8 - 7 = 1 (15 and 16 missing, minus the duplicate); fraction 1/8.
    const seqs = [10, 11, 13, 12, 14, 14, 17];
    const { st } = feed(seqs.map((q, i) => [rtp({ seq: q, ts: q * 160 }), i * 20000] as [Uint8Array, number]));
    const [s] = st.validSources();
    assert.equal(s.received, 7);
    assert.equal(s.expected, 8);
    assert.equal(s.lost, 1);
    assert.equal(s.lossFraction, 0.125);
    assert.equal(s.outOfOrder, 1);
    assert.equal(s.duplicates, 1);
  });
  test('plain loss: 1 2 3 6 7 (two lost of seven, 2/7)', () => {
    const { st } = feed([1, 2, 3, 6, 7].map((q) => [rtp({ seq: q, ts: q * 160 }), q * 20000] as [Uint8Array, number]));
    const [s] = st.validSources();
    assert.equal(s.lost, 2);
    assert.equal(s.lossFraction, 2 / 7);
    assert.equal(s.jitter, 0); // timestamps and arrivals move together
  });
  test('sequence wrap: 65534 65535 0 1 → one cycle, nothing lost', () => {
    const { st } = feed([65534, 65535, 0, 1].map((q, i) => [rtp({ seq: q, ts: i * 160 }), i * 20000] as [Uint8Array, number]));
    const [s] = st.validSources();
    assert.equal(s.cycles, 65536);
    assert.equal(s.expected, 4);
    assert.equal(s.lost, 0);
  });
  test('a large jump is confirmed by the next packet (restart), a lone one is set aside', () => {
    const { st, weirds } = feed([100, 101, 102, 40000, 103, 50000, 50001, 50002].map((q, i) => [rtp({ seq: q, ts: i * 160 }), i * 20000] as [Uint8Array, number]));
    const [s] = st.validSources();
    assert.deepEqual(weirds, ['rtp_seq_jump', 'rtp_seq_jump']);
    assert.equal(s.baseSeq, 50001);
    assert.equal(s.received, 2);
  });
  test('per SSRC and per direction', () => {
    const weirds: string[] = [];
    const st = new RtpState((n) => weirds.push(n));
    for (let i = 0; i < 3; i++) {
      const a = rtp({ seq: i, ts: i * 160, ssrc: 1 });
      const b = rtp({ seq: 500 + i, ts: i * 160, ssrc: 2, pt: 8 });
      st.datagram(0, a, 0, a.length, i * 20000);
      st.datagram(1, b, 0, b.length, i * 20000 + 5);
    }
    const evs = rtpConsumer.events!(st)!;
    assert.deepEqual(
      evs.map((e) => [e.ssrc, e.direction, e.payload_type, e.packets]),
      [
        [1, 'c2s', 0, 3],
        [2, 's2c', 8, 3],
      ],
    );
  });
});

describe('rtp detection', () => {
  test('gives up after 4 non-RTP datagrams; RTCP does not count', () => {
    const junk = Uint8Array.from([0x17, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const sr = Uint8Array.from([0x80, 200, 0, 6, ...new Array(24).fill(0)]);
    const { st } = feed([
      [sr, 0],
      [sr, 1],
      [junk, 2],
      [junk, 3],
      [junk, 4],
    ]);
    assert.equal(st.done, false);
    assert.equal(st.rtcp, 2);
    st.datagram(0, junk, 0, junk.length, 5);
    assert.equal(st.done, true);
    assert.equal(rtpConsumer.events!(st), undefined);
  });
  test('random datagrams that look like version 2 are not RTP (no sequence)', () => {
    const pkts: Array<[Uint8Array, number]> = [];
    for (let i = 0; i < 20; i++) pkts.push([rtp({ seq: (i * 7919) & 0xffff, ts: i * 1234567, ssrc: 5 }), i]);
    const { st } = feed(pkts);
    assert.equal(st.isRtp, false);
    assert.equal(st.done, true);
  });
  test('open: UDP only, and only when events are listened to', () => {
    const s = { protocol: 17, events: true, weird: () => {} } as unknown as FlowStart;
    assert.ok(rtpConsumer.open(s) instanceof RtpState);
    assert.equal(rtpConsumer.open({ ...s, events: false }), undefined);
    assert.equal(rtpConsumer.open({ ...s, protocol: 6 }), undefined);
  });
});

const CORPUS = '/work/shared/corpus';

async function eventsOf(file: string): Promise<EventFields[]> {
  const engine = new Engine({ consumers: [sipConsumer, rtpConsumer, ftpConsumer] });
  const out: EventFields[] = [];
  engine.on('event', (ev: EventFields) => out.push(ev));
  await readCapture(file, engine);
  engine.finish();
  return out;
}

const near = (a: unknown, b: number, rel: number): boolean => typeof a === 'number' && Math.abs(a - b) <= b * rel;

describe('rtp corpus (tshark -z rtp,streams)', () => {
  const fax = `${CORPUS}/ndpi/pcap/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`;
  test('FAX call: packets and loss as tshark, max jitter within 10%', { skip: !existsSync(fax) }, async () => {
    const rtpEv = (await eventsOf(fax)).filter((e) => e.type === 'rtp');
    const a = rtpEv.find((e) => e.ssrc === 0x17d90134);
    const b = rtpEv.find((e) => e.ssrc === 0x0eaf0eaf);
    assert.ok(a && b);
    // tshark: 0x17D90134 1171 packets, 0 lost, max jitter 1.343 ms.
    assert.equal(a.packets, 1171);
    assert.equal(a.lost, 0);
    assert.ok(near(a.max_jitter_ms, 1.343, 0.1), String(a.max_jitter_ms));
    // tshark: 0x0EAF0EAF 1712 lost (92.8%), max jitter 7.007 ms (tshark stops counting the
    // stream once its port turns to T.38, so its packet count is lower: 132 against ours).
    assert.equal(b.lost, 1712);
    assert.ok(near(b.max_jitter_ms, 7.007, 0.1), String(b.max_jitter_ms));
    assert.equal(b.payload_type, 8);
  });
  const stun = `${CORPUS}/ndpi/pcap/stun_dtls_rtp.pcapng`;
  test('SRTP after STUN and DTLS on one port (tshark heuristic: 0x6D1C3CFA, 11 packets, 0 lost)', { skip: !existsSync(stun) }, async () => {
    const rtpEv = (await eventsOf(stun)).filter((e) => e.type === 'rtp');
    const s = rtpEv.find((e) => e.ssrc === 0x6d1c3cfa);
    assert.ok(s);
    assert.equal(s.packets, 11);
    assert.equal(s.lost, 0);
    assert.equal(s.payload_type, 111);
  });
  test('tcpdump captures named rtp/sip/ftp: no throw', async () => {
    for (const f of ['rtp-seg-fault-1.pcapng', 'rtp-seg-fault-2.pcapng', 'dhcpv6-sip-server-d.pcap']) {
      const p = `${CORPUS}/tcpdump/${f}`;
      if (existsSync(p)) await eventsOf(p);
    }
  });
});
