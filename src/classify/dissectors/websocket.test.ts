import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpiCounts, hex, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';
import { frameMasking, websocket } from './websocket.js';

test('websocket: frames of a flow whose handshake was not captured (nDPI: 1)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('websocket.pcap'), [websocket]), { WebSocket: 1 });
});

test('websocket: exact frame lengths, masked one way and unmasked the other', () => {
  const server = hex('8105 68656c6c6f');
  const client = hex('8185 01020304 69676f686e');
  assert.equal(frameMasking(server, 0, server.length), 0);
  assert.equal(frameMasking(client, 0, client.length), 1);
  assert.equal(frameMasking(server, 0, server.length - 1), -1);
  assert.equal(verdictOf(websocket, {}, [{ dir: 1, data: server }, { dir: 0, data: client }]), 'WebSocket');
  assert.equal(verdictOf(websocket, {}, [{ dir: 1, data: server }, { dir: 0, data: server }]), undefined);
  assert.equal(verdictOf(websocket, {}, [{ dir: 1, data: server }]), undefined);
  assert.equal(frameMasking(hex('83 00'), 0, 2), -1); // reserved opcode
  assert.equal(frameMasking(hex('09 00'), 0, 2), -1); // control frame not final
  const extended = new Uint8Array(4 + 200);
  extended.set([0x82, 126, 0, 200]);
  assert.equal(frameMasking(extended, 0, extended.length), 0);
});

test('websocket: random payloads are never claimed', () => {
  assert.equal(randomClaims(websocket, {}, 22, 4000), 0);
});
