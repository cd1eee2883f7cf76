import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpContentApp } from './http-content.js';

test('content types name OCSP and IPP whatever the host; DASH paths only as a fallback', () => {
  assert.deepEqual(httpContentApp({ content_type: 'application/ocsp-response' }), { app: 'OCSP', definite: true });
  assert.deepEqual(httpContentApp({ content_type: 'Application/IPP; charset=x' }), { app: 'IPP', definite: true });
  assert.deepEqual(httpContentApp({ url: 'cdn.example/v/seg-17.m4s?token=1' }), { app: 'MpegDash', definite: false });
  assert.deepEqual(httpContentApp({ url: 'livesim.dashif.org/x/manifest.mpd' }), { app: 'MpegDash', definite: false });
  assert.equal(httpContentApp({ url: 'example.com/video.mp4.html' }), undefined);
  assert.equal(httpContentApp({ url: 'example.com/?f=a.mp4' }), undefined, 'the query is not the path');
  assert.equal(httpContentApp({ content_type: 'text/html', url: 'example.com/' }), undefined);
  assert.equal(httpContentApp({ content_type: 7, url: null }), undefined);
  assert.equal(httpContentApp(undefined), undefined);
});
