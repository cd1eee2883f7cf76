import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openvpn } from './openvpn.js';
import { classify, corpus, hexBytes, inspectAll, noiseClaims, type Packet } from './testkit-a.js';

// A UDP session without tls-auth (captured): client hard reset v2, server hard reset v2
// acknowledging the client's session id, then the client's ack.
const CLIENT_RESET = '38334857703d96db390000000000';
const SERVER_RESET = '40d31c3a6964602fa00100000000334857703d96db3900000000';
const CLIENT_ACK = '28334857703d96db390100000000d31c3a6964602fa0';
const CLIENT_CONTROL = '20334857703d96db39000000000116030101100100010c0303';

const udp = { transport: 17, clientPort: 60201, serverPort: 1194 };

/** TCP framing: a 16-bit length before each packet. */
const framed = (...packets: string[]): Uint8Array => {
  const parts = packets.map((h) => hexBytes(h));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 2, 0));
  let o = 0;
  for (const p of parts) {
    new DataView(out.buffer).setUint16(o, p.length);
    out.set(p, o + 2);
    o += p.length + 2;
  }
  return out;
};

test('openvpn: a hard reset acknowledged by the peer', () => {
  assert.equal(inspectAll(openvpn, udp, [[0, CLIENT_RESET], [1, SERVER_RESET]]).name, 'OpenVPN');
  assert.equal(inspectAll(openvpn, { transport: 6, serverPort: 443 }, [[0, framed(CLIENT_RESET)], [1, framed(SERVER_RESET)]]).name, 'OpenVPN');
  // TCP with the client's two packets in one segment, the reply split.
  const reply = framed(SERVER_RESET);
  assert.equal(
    inspectAll(openvpn, { transport: 6 }, [
      [0, framed(CLIENT_RESET, CLIENT_ACK)],
      [1, reply.subarray(0, 10)],
    ]).name,
    undefined,
  );
});

test('openvpn: one side only, a hard reset then two control packets of the same session', () => {
  assert.equal(inspectAll(openvpn, udp, [[0, CLIENT_RESET], [0, CLIENT_ACK], [0, CLIENT_CONTROL]]).name, 'OpenVPN');
  // Retransmitted hard resets prove nothing.
  assert.equal(inspectAll(openvpn, udp, [[0, CLIENT_RESET], [0, CLIENT_RESET], [0, CLIENT_RESET], [0, CLIENT_RESET]]).name, undefined);
  // Another session id in the follow-up packets.
  const other = hexBytes(CLIENT_ACK);
  other[3] ^= 0xff;
  assert.equal(inspectAll(openvpn, udp, [[0, CLIENT_RESET], [0, other], [0, other]]).name, undefined);
});

test('openvpn: a reply that does not carry the session id, a key id other than 0, short packets', () => {
  const wrongAck = hexBytes(SERVER_RESET);
  wrongAck[wrongAck.length - 6] ^= 1;
  assert.equal(inspectAll(openvpn, udp, [[0, CLIENT_RESET], [1, wrongAck]]).name, undefined);
  const key1 = hexBytes(CLIENT_RESET);
  key1[0] |= 1;
  assert.equal(inspectAll(openvpn, udp, [[0, key1], [1, SERVER_RESET]]).name, undefined);
  const p: Packet[] = [[0, hexBytes(CLIENT_RESET).subarray(0, 13)], [1, SERVER_RESET]];
  assert.equal(inspectAll(openvpn, udp, p).name, undefined);
  assert.equal(inspectAll(openvpn, udp, [[0, '']]).name, undefined);
});

test('openvpn: random payloads and repeated random payloads are not claimed', () => {
  assert.equal(noiseClaims(openvpn, udp, 31, 3000, 200), 0);
  assert.equal(noiseClaims(openvpn, { transport: 6 }, 32, 3000, 200), 0);
});

test('openvpn: corpus sessions (UDP, TCP, tls-crypt, one-sided captures)', async () => {
  const names = async (file: string) => (await classify(corpus(file), [openvpn])).filter((f) => f.confidence === 'dpi' && f.protocol.startsWith('OpenVPN')).length;
  assert.equal(await names('openvpn.pcap'), 10);
  assert.equal(await names('openvpn-tlscrypt.pcap'), 1);
  // DNS retransmissions look like repeated hard resets: not OpenVPN.
  assert.equal(await names('iphone.pcap'), 0);
});
