import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRtspStart, rtsp } from './rtsp.js';
import { ascii, dpiCounts, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('rtsp: the corpus capture (nDPI: 7 + 2 SYN-only by port)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('rtsp.pcap'), [rtsp]), { RTSP: 7 });
});

test('rtsp: a request line with an RTSP version, or a status line', () => {
  const req = ascii('OPTIONS rtsp://10.2.2.2:8554/ RTSP/1.0\r\nCSeq: 1\r\n\r\n');
  assert.ok(isRtspStart(req, 0, req.length));
  assert.equal(verdictOf(rtsp, {}, [{ dir: 0, data: req }]), 'RTSP');
  assert.equal(verdictOf(rtsp, {}, [{ dir: 1, data: ascii('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n') }]), 'RTSP');
  const http = ascii('OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(isRtspStart(http, 0, http.length), false);
  // The version must be on the request line, not further down.
  const late = ascii('PLAY rtsp://x/\r\nX: RTSP/1.0\r\n');
  assert.equal(isRtspStart(late, 0, late.length), false);
  assert.equal(isRtspStart(req, 0, 20), false);
});

test('rtsp: random payloads are never claimed', () => {
  assert.equal(randomClaims(rtsp, {}, 20), 0);
});
