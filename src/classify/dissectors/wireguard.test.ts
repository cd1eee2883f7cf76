import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tailscale } from './tailscale.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims } from './testkit-c.js';
import { wireGuard } from './wireguard.js';

const initiation = (sender: string): Uint8Array => cat(hex(`01000000 ${sender}`), new Uint8Array(140));
const response = (sender: string, receiver: string): Uint8Array => cat(hex(`02000000 ${sender} ${receiver}`), new Uint8Array(80));
const data = (receiver: string, counter: number, len = 64): Uint8Array => {
  const m = cat(hex(`04000000 ${receiver}`), new Uint8Array(len - 8));
  new DataView(m.buffer).setUint32(8, counter, true);
  return m;
};

test('wireguard: corpus flows (Mullvad mid-session, Tailscale with disco)', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('mullvad_wireguard.pcap'), [wireGuard]), { WireGuard: 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('tailscale.pcap'), [tailscale, wireGuard]), { Tailscale: 1 });
});

test('wireguard: a handshake whose response names the initiator', () => {
  assert.equal(nameOf(wireGuard, {}, [[0, initiation('11223344')], [1, response('55667788', '11223344')]]), 'WireGuard');
  assert.equal(nameOf(wireGuard, { serverPort: 41641 }, [[0, initiation('11223344')], [1, response('55667788', '11223344')]]), 'Tailscale');
  assert.equal(nameOf(wireGuard, {}, [[0, initiation('11223344')], [1, response('55667788', '11223345')]]), undefined);
  assert.equal(nameOf(wireGuard, {}, [[0, cat(initiation('11223344'), hex('00'))]]), undefined);
  assert.equal(nameOf(wireGuard, {}, [[0, hex('01000100 11223344')]]), undefined);
});

test('wireguard: data messages with one index and a counter moving forward', () => {
  assert.equal(nameOf(wireGuard, {}, [[0, data('15764979', 19)], [0, data('15764979', 20, 96)]]), 'WireGuard');
  assert.equal(nameOf(wireGuard, {}, [[0, data('15764979', 19)], [0, data('15764979', 19)]]), undefined);
  assert.equal(nameOf(wireGuard, {}, [[0, data('15764979', 19)], [0, data('15764979', 500)]]), undefined);
  assert.equal(nameOf(wireGuard, {}, [[0, data('15764979', 19)], [1, data('15764979', 20)]]), undefined);
  // Not a multiple of 16 after the header.
  assert.equal(nameOf(wireGuard, {}, [[0, data('15764979', 19, 65)], [0, data('15764979', 20, 65)]]), undefined);
});

test('tailscale: the disco magic with room for key, nonce and box', () => {
  assert.equal(nameOf(tailscale, {}, [[0, cat(hex('5453f09f92ac'), new Uint8Array(72))]]), 'Tailscale');
  assert.equal(nameOf(tailscale, {}, [[0, cat(hex('5453f09f92ad'), new Uint8Array(72))]]), undefined);
});

test('wireguard: random payloads are not claimed', () => {
  assert.equal(randomClaims(wireGuard, {}), 0);
  assert.equal(randomClaims(wireGuard, {}, { prefix: hex('04000000') }), 0);
});
