import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stun } from './stun.js';
import { dpiCounts, flowPayloads, hex, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';
import { isP2pHello, routerType, zoom } from './zoom.js';

test('zoom: media routers on 8801 and peer-to-peer hellos in the corpus (nDPI: 4, 4, 3)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('zoom.pcap'), [stun, zoom]), { Zoom: 4, 'STUN.Zoom': 3 });
  assert.deepEqual(await dpiCounts(ndpiPcap('zoom_p2p.pcapng'), [stun, zoom]), { Zoom: 4, 'STUN.Zoom': 4 });
  assert.deepEqual(await dpiCounts(ndpiPcap('zoom2.pcap'), [zoom]), { Zoom: 3 });
});

test('zoom: off Zoom networks the router must echo the hello token', async () => {
  const flow = await flowPayloads(ndpiPcap('zoom2.pcap'), (f) => f.serverPort === 8801);
  const hello = flow.find((p) => p.dir === 0)!;
  const answer = flow.find((p) => p.dir === 1)!;
  const elsewhere = { serverPort: 8801, serverAddress: Uint32Array.of(0x0a000002, 0, 0, 0) };
  assert.equal(verdictOf(zoom, elsewhere, [hello, answer]), 'Zoom');
  const forged = (answer.data as Uint8Array).slice();
  forged[5] ^= 0xff;
  assert.equal(verdictOf(zoom, elsewhere, [hello, { dir: 1, data: forged }]), undefined);
  assert.equal(routerType(hex('0100'), 0, 2), 0);
});

test('zoom: the peer-to-peer hello needs its address text and UUID', async () => {
  const [p2p] = await flowPayloads(ndpiPcap('zoom_p2p.pcapng'), (f) => f.serverPort === 46757 || f.clientPort === 46757);
  const d = p2p!.data as Uint8Array;
  assert.ok(isP2pHello(d, 0, d.length));
  const c = d.slice();
  c[30] = 0x7a; // a letter inside the address
  assert.equal(isP2pHello(c, 0, c.length), false);
  assert.deepEqual(
    prefixClaims(zoom, {}, d).filter((k) => k < 28 + 13 + 4 + 36),
    [],
  );
});

test('zoom: random payloads are never claimed, on or off the media ports', () => {
  assert.equal(randomClaims(zoom, {}, 5), 0);
  assert.equal(randomClaims(zoom, { serverPort: 8801, serverAddress: Uint32Array.of(0x0a000002, 0, 0, 0) }, 6), 0);
});
