import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectedDatagram, hasOfflineMagic, raknet } from './raknet.js';
import { corpus, dpiCount, hexBytes, inspectAll, noiseClaims } from './testkit-a.js';

const MAGIC = '00ffff00fefefefefdfdfdfd12345678';
const udp = { transport: 17, clientPort: 44501, serverPort: 19132 };

test('raknet: offline messages with the magic, wrapped or not', () => {
  assert.equal(inspectAll(raknet, udp, [[0, `05${MAGIC}0b${'00'.repeat(40)}`]]).name, 'RakNet');
  assert.equal(inspectAll(raknet, udp, [[1, `06${MAGIC}000591a5360522200005d4`]]).name, 'RakNet');
  // Unconnected ping: id, time, magic, GUID.
  assert.equal(inspectAll(raknet, udp, [[0, `01${'00'.repeat(8)}${MAGIC}${'11'.repeat(8)}`]]).name, 'RakNet');
  // A game's header before the message (Roblox).
  assert.equal(inspectAll(raknet, udp, [[0, `0100001f011101a3022e4b808da3c9e85a9525d3b8fdad02060a090090d0897b${MAGIC}05${'00'.repeat(20)}`]]).name, 'RakNet');
  assert.equal(hasOfflineMagic(hexBytes(MAGIC), 0, 15), false);
});

test('raknet: unconnected pong and ACKs must be exact', () => {
  const pong = `1c${'11'.repeat(16)}${'33'.repeat(16)}00024141`;
  assert.equal(inspectAll(raknet, udp, [[1, pong]]).name, 'RakNet');
  assert.equal(inspectAll(raknet, udp, [[1, `${pong}41`]]).name, undefined);
  assert.equal(inspectAll(raknet, udp, [[0, 'c0000100010000020000']]).name, 'RakNet');
  assert.equal(inspectAll(raknet, udp, [[0, 'c0000100020000010000']]).name, undefined); // range max < min
  assert.equal(inspectAll(raknet, udp, [[0, 'c000020100000001000000']]).name, 'RakNet');
  assert.equal(inspectAll(raknet, udp, [[0, 'c0000201000000010000']]).name, undefined);
});

test('raknet: connected datagrams need a second one close in sequence', () => {
  const d1 = '8402000000008803000000000015e95e000000130c201546';
  const d2 = '8403000000008803000000000015e95e000000130c201547';
  assert.equal(connectedDatagram(hexBytes(d1), 0, hexBytes(d1).length), true);
  assert.equal(inspectAll(raknet, udp, [[0, d1]]).name, undefined);
  assert.equal(inspectAll(raknet, udp, [[0, d1], [0, d2]]).name, 'RakNet');
  assert.equal(inspectAll(raknet, udp, [[0, d1], [0, d1]]).name, 'RakNet'); // retransmitted
  // Far apart in sequence (RTP read as RakNet would jump by 65536).
  const far = `84020100${d1.slice(8)}`;
  assert.equal(inspectAll(raknet, udp, [[0, d1], [0, far]]).name, undefined);
  // One frame byte short.
  assert.equal(inspectAll(raknet, udp, [[0, d1.slice(0, -2)], [0, d2.slice(0, -2)]]).name, undefined);
});

test('raknet: random payloads are not claimed', () => {
  assert.equal(noiseClaims(raknet, udp, 41, 3000, 300), 0);
});

test('raknet: corpus flows (RakNet and Roblox)', async () => {
  assert.deepEqual(await dpiCount(corpus('raknet.pcap'), [raknet]), { RakNet: 10 });
  const roblox = await dpiCount(corpus('roblox.pcapng'), [raknet]);
  assert.equal((roblox.RakNet ?? 0) + (roblox['RakNet.Roblox'] ?? 0), 3);
  // RTP inside GTP once parsed as two RakNet datagrams.
  assert.equal((await dpiCount(corpus('false_positives.pcapng'), [raknet])).RakNet, undefined);
});
