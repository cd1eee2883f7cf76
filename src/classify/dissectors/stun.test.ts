import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedStore } from '../dissector.js';
import { CallEndpointCache } from './call-cache.js';
import { callAppOfIPv4 } from './call-nets.js';
import { newStunInfo, readStun, stun } from './stun.js';
import { dpiCounts, flowPayloads, hex, hostOf, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';

test('stun: corpus calls are named by their application (nDPI: 16, 12, 11+1 SRTP, 8, 3, 4, 1, 1, 2)', async () => {
  const counts = async (f: string) => dpiCounts(ndpiPcap(f), [stun]);
  // Two Telegram peer flows come from a port only a TURN permission (seen after the match) names.
  assert.deepEqual(await counts('telegram_videocall.pcapng'), { 'STUN.TelegramVoip': 14, STUN: 2 });
  assert.deepEqual(await counts('teams.pcap'), { 'STUN.Skype_TeamsCall': 12 });
  // nDPI calls one of these SRTP (media follows the STUN check on the same flow).
  assert.deepEqual(await counts('stun_wa_call.pcapng'), { 'STUN.WhatsAppCall': 12 });
  assert.deepEqual(await counts('whatsapp_voice_and_message.pcap'), { 'STUN.WhatsAppCall': 8 });
  assert.deepEqual(await counts('zoom.pcap'), { 'STUN.Zoom': 3 });
  assert.deepEqual(await counts('zoom_p2p.pcapng'), { 'STUN.Zoom': 4 });
  assert.deepEqual(await counts('stun_msteams_unidir.pcapng'), { 'STUN.Skype_TeamsCall': 1 });
  assert.deepEqual(await counts('stun_dtls_rtp_unidir.pcapng'), { STUN: 2 });
});

// A binding request with the cookie and a SOFTWARE attribute ("abc", padded).
const BINDING = hex('0001 0008 2112a442 000102030405060708090a0b 8022 0003 61626300');

test('stun: header, cookie, length and attributes that tile the message', () => {
  const info = newStunInfo();
  assert.ok(readStun(BINDING, 0, BINDING.length, info));
  assert.equal(info.type, 1);
  assert.equal(info.cookie, true);
  assert.equal(verdictOf(stun, { clientPort: 43002 }, [{ dir: 0, data: BINDING }]), 'STUN');
  // Wrong message length, top bits set, an attribute running past the end.
  const bad = (i: number, v: number) => {
    const c = BINDING.slice();
    c[i] = v;
    return readStun(c, 0, c.length, newStunInfo());
  };
  assert.equal(bad(3, 0x0c), false);
  assert.equal(bad(0, 0x40), false);
  assert.equal(bad(23, 0x08), false);
  assert.deepEqual(prefixClaims(stun, {}, BINDING), []);
  // Without the cookie only RFC 3489's binding and shared-secret types.
  const classic = BINDING.slice();
  classic.set([0x12, 0x34, 0x56, 0x78], 4);
  assert.ok(readStun(classic, 0, classic.length, newStunInfo()));
  classic[1] = 0x03; // allocate: TURN, which needs the cookie
  assert.equal(readStun(classic, 0, classic.length, newStunInfo()), false);
});

test('stun: over TCP plain or with an RFC 4571 length, only at the stream start', () => {
  const framed = new Uint8Array(BINDING.length + 2);
  framed[1] = BINDING.length;
  framed.set(BINDING, 2);
  assert.equal(verdictOf(stun, { transport: 6 }, [{ dir: 0, data: BINDING }]), 'STUN');
  assert.equal(verdictOf(stun, { transport: 6 }, [{ dir: 0, data: framed }]), 'STUN');
  assert.equal(verdictOf(stun, { transport: 6 }, [{ dir: 0, data: hex('00') }, { dir: 0, data: BINDING }]), undefined);
});

test('stun: applications from the message (WhatsApp, MS-TURN), the relay network, or a known endpoint', () => {
  const wa = hex('0801 0008 2112a442 000102030405060708090a0b 4007 0002 01f40000');
  assert.equal(verdictOf(stun, { clientPort: 43004 }, [{ dir: 0, data: wa }]), 'STUN.WhatsAppCall');
  const ms = hex('0001 0008 2112a442 000102030405060708090a0b 8008 0004 00000002');
  assert.equal(verdictOf(stun, { clientPort: 43003 }, [{ dir: 0, data: ms }]), 'STUN.Skype_TeamsCall');
  const telegram = Uint32Array.of(((91 << 24) | (108 << 16) | (9 << 8) | 35) >>> 0, 0, 0, 0);
  assert.equal(callAppOfIPv4(telegram[0]!), 'TelegramVoip');
  const classifier = new SharedStore();
  assert.equal(verdictOf(stun, { serverAddress: telegram, clientPort: 41000 }, [{ dir: 0, data: BINDING }], undefined, classifier), 'STUN.TelegramVoip');
  // The client's port is now known (to this classifier): its flow to a peer is the same call.
  assert.equal(verdictOf(stun, { clientPort: 41000, serverAddress: Uint32Array.of(0x0a000001, 0, 0, 0) }, [{ dir: 0, data: BINDING }], undefined, classifier), 'STUN.TelegramVoip');
  assert.equal(verdictOf(stun, { clientPort: 41000, serverAddress: Uint32Array.of(0x0a000001, 0, 0, 0) }, [{ dir: 0, data: BINDING }]), 'STUN', 'another classifier knows nothing of it');
});

test('stun: an Allocate is named at the next payload, with the realm as host', async () => {
  const flow = await flowPayloads(ndpiPcap('telegram_videocall.pcapng'), (f) => f.clientPort === 40643);
  const lan = { clientPort: 43001, serverAddress: Uint32Array.of(0x0a000009, 0, 0, 0) };
  assert.equal(hostOf(stun, lan, flow), 'telegram.org');
  assert.equal(verdictOf(stun, lan, flow.slice(0, 1)), undefined); // the request alone: waits
  assert.equal(verdictOf(stun, lan, flow.slice(0, 2)), 'STUN');
  // A realm that is not a printable name is not reported.
  const odd = hex('0101 0008 2112a442 000102030405060708090a0b 0014 0003 610a6300');
  assert.equal(hostOf(stun, {}, [{ dir: 1, data: odd }]), undefined);
});

test('stun: the endpoint cache is bounded and ages on packet time', () => {
  const c = new CallEndpointCache(2);
  c.set(1, 'Zoom', 0);
  c.set(2, 'Zoom', 0);
  c.set(3, 'Zoom', 0);
  assert.equal(c.size, 2);
  assert.equal(c.get(1, 0), undefined);
  assert.equal(c.get(3, 1e6), 'Zoom');
  assert.equal(c.get(3, 3600e6), undefined);
  assert.equal(CallEndpointCache.key(4, [0xffffffff], 65535), 0xffffffff * 65536 + 65535);
});

test('stun: random payloads are never claimed', () => {
  assert.equal(randomClaims(stun, { transport: 17 }, 3), 0);
  assert.equal(randomClaims(stun, { transport: 6 }, 4), 0);
});
