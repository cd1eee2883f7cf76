/**
 * Group B's small dissectors (one exact message format each), and the group as a whole:
 * random bytes, the malformed tcpdump captures, and the order of the list.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { alicloud } from './alicloud.js';
import { bjnp, isBjnp } from './bjnp.js';
import { canOverUdp } from './can.js';
import { dropbox } from './dropbox.js';
import { edonkey, isEdonkeyStart } from './edonkey.js';
import { GROUP_B } from './group-b.js';
import { isNatPmp, natPmp } from './nat-pmp.js';
import { isWeaveMessage, nestLogSink } from './nest-log-sink.js';
import { spotify } from './spotify.js';
import { ascii, classifyCapture, dpiCounts, flowPayloads, hex, hostOf, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';
import { tivoconnect } from './tivoconnect.js';
import { isShpCipher, tplinkShp } from './tplink-shp.js';
import { isUbntDiscovery, ubntac2 } from './ubntac2.js';
import { whatsapp } from './whatsapp.js';
import { wsd } from './wsd.js';
import { connServerName, isXiaomiMessage, xiaomi } from './xiaomi.js';

const count = (file: string, ...ds: Parameters<typeof dpiCounts>[1]) => dpiCounts(ndpiPcap(file), ds);

test('group B: the corpus captures of the small protocols (nDPI counts)', async () => {
  assert.deepEqual(await count('tplink_shp.pcap', tplinkShp), { TPLINK_SHP: 8 });
  assert.deepEqual(await count('bjnp.pcap', bjnp), { BJNP: 10 });
  assert.deepEqual(await count('ubntac2.pcap', ubntac2), { UBNTAC2: 8 });
  assert.deepEqual(await count('can.pcap', canOverUdp), { Controller_Area_Network: 8 });
  assert.deepEqual(await count('natpmp.pcap', natPmp), { 'NAT-PMP': 4 });
  assert.deepEqual(await count('upnp.pcap', wsd), { WSD: 2 });
  assert.deepEqual(await count('edonkey.pcap', edonkey), { eDonkey: 1 });
  assert.deepEqual(await count('dropbox.pcap', dropbox), { Dropbox: 6 }); // 4 more by port (CoAP on 17500)
  assert.deepEqual(await count('zoom.pcap', spotify), { Spotify: 1 });
  assert.deepEqual(await count('nest_log_sink.pcap', nestLogSink), { NestLogSink: 13 }); // nDPI: 12, and 1 by port
  assert.deepEqual(await count('xiaomi.pcap', xiaomi), { Xiaomi: 6 });
  assert.deepEqual(await count('alicloud.pcap', alicloud), { AliCloud: 15 });
  assert.deepEqual(await count('whatsapp_voice_and_message.pcap', whatsapp), { WhatsApp: 5 });
});

test('tplink_shp: the autokey XOR must decrypt to a JSON object start', () => {
  const enc = (s: string): Uint8Array => {
    const out = new Uint8Array(s.length);
    let key = 171;
    for (let i = 0; i < s.length; i++) key = out[i] = s.charCodeAt(i) ^ key;
    return out;
  };
  const msg = enc('{"system":{"get_sysinfo":{}}}');
  assert.ok(isShpCipher(msg, 0, msg.length));
  assert.equal(isShpCipher(enc('["system"]'), 0, 10), false);
  assert.equal(verdictOf(tplinkShp, { transport: 17, serverPort: 9999 }, [{ dir: 0, data: msg }]), 'TPLINK_SHP');
  assert.equal(verdictOf(tplinkShp, { transport: 17, serverPort: 9998 }, [{ dir: 0, data: msg }]), undefined);
  const tcp = new Uint8Array(4 + msg.length);
  tcp[3] = msg.length;
  tcp.set(msg, 4);
  assert.equal(verdictOf(tplinkShp, { transport: 6, serverPort: 9999 }, [{ dir: 0, data: tcp }]), 'TPLINK_SHP');
});

test('bjnp, ubntac2, nat-pmp: header lengths must agree with the datagram', () => {
  const b = hex('424a4e50 02 01 0000 17a4 0000 00000000');
  assert.ok(isBjnp(b, 0, b.length));
  assert.deepEqual(prefixClaims(bjnp, {}, b), []);
  const withBody = hex('424a4e50 01 30 0000 0001 0000 00000002 abcd');
  assert.ok(isBjnp(withBody, 0, withBody.length));
  assert.equal(isBjnp(withBody, 0, withBody.length - 1), false);
  const u = hex('02 06 000a 02 0007 00112233445566');
  assert.ok(isUbntDiscovery(u, 0, u.length));
  assert.equal(isUbntDiscovery(hex('02 06 000a 02 0008 00112233445566'), 0, 14), false); // TLV past the end
  assert.deepEqual(prefixClaims(ubntac2, { serverPort: 10001 }, u), []);
  assert.ok(isNatPmp(hex('0000'), 0, 2));
  assert.ok(isNatPmp(hex('0080 0000 002b3add 0ac9d5ae'), 0, 12));
  assert.equal(isNatPmp(hex('0080 0000'), 0, 4), false);
  assert.equal(isNatPmp(hex('0200 0000'), 0, 4), false); // PCP
});

test('edonkey, xiaomi, nest: length fields against the segment', () => {
  const hello = hex('e3 06000000 01 1000 aabb cc');
  assert.ok(isEdonkeyStart(hello, 0, hello.length));
  assert.equal(isEdonkeyStart(hello, 0, hello.length - 1), false);
  assert.equal(verdictOf(edonkey, {}, [{ dir: 0, data: hello }]), 'eDonkey');
  const x = hex('c2fe 0005 00000004 0002 0016 61626364');
  assert.ok(isXiaomiMessage(x, 0, x.length));
  assert.equal(isXiaomiMessage(hex('c2fe 0005 00000000 0d2301c6'), 0, 12), false); // keep-alive only
  assert.equal(isXiaomiMessage(hex('c2fe 0005 00000001 0002 0016 61 6263'), 0, 15), false); // trailing bytes, no header
  const w = hex('0a00 0013 0000 3690 2700 0030');
  assert.ok(isWeaveMessage(w, 0, w.length));
  assert.equal(isWeaveMessage(hex('0a00 0023 0000 3690 2700 0030'), 0, 12), false); // format version 2
  assert.equal(verdictOf(nestLogSink, { serverPort: 11096 }, [{ dir: 0, data: w }]), undefined);
});

test('xiaomi: the CONN message names the server host', async () => {
  const clientFirst = await flowPayloads(ndpiPcap('xiaomi.pcap'), (f) => f.clientPort === 37708);
  assert.equal(hostOf(xiaomi, {}, clientFirst), 'fr-app-chat-global-xiaomi-net1-1667981913.eu-central-1.elb.amazonaws.com');
  const other = await flowPayloads(ndpiPcap('xiaomi.pcap'), (f) => f.clientPort === 38018 || f.serverPort === 38018);
  assert.equal(hostOf(xiaomi, {}, other), '47.241.35.73');
  // When the server's side comes first the flow is named before any CONN shows.
  assert.equal(verdictOf(xiaomi, {}, other.slice(1)), 'Xiaomi');
  assert.equal(hostOf(xiaomi, {}, other.slice(1)), undefined);
  const conn = clientFirst[0]!.data as Uint8Array;
  assert.equal(connServerName(conn, 0, 60), undefined); // cut before the field
});

test('whatsapp, alicloud, can, dropbox, spotify, tivoconnect, wsd: their exact openings', () => {
  assert.equal(verdictOf(whatsapp, {}, [{ dir: 0, data: hex('57410105 000017 f80501') }]), 'WhatsApp');
  assert.equal(verdictOf(whatsapp, {}, [{ dir: 0, data: hex('45440001 000010 aabbcc') }]), 'WhatsApp');
  assert.equal(verdictOf(whatsapp, {}, [{ dir: 0, data: hex('5741ff05 000017 f80501') }]), undefined);
  assert.equal(verdictOf(alicloud, {}, [{ dir: 0, data: hex('cefabeba 80000000') }]), 'AliCloud');
  assert.equal(verdictOf(alicloud, {}, [{ dir: 0, data: hex('cefabeba 8000') }]), undefined);
  assert.equal(verdictOf(canOverUdp, {}, [{ dir: 0, data: ascii('ISO11898\x01\x02jx') }]), 'Controller_Area_Network');
  assert.equal(verdictOf(canOverUdp, {}, [{ dir: 0, data: ascii('ISO11898\x02\x02jx') }]), undefined);
  const lan = ascii('{"version": [2, 0], "host_int": 1, "displayname": "", "port": 17500, "namespaces": []}');
  assert.equal(verdictOf(dropbox, { serverPort: 17500 }, [{ dir: 0, data: lan }]), 'Dropbox');
  assert.equal(verdictOf(dropbox, { serverPort: 17501 }, [{ dir: 0, data: lan }]), undefined);
  assert.equal(verdictOf(spotify, { serverPort: 57621 }, [{ dir: 0, data: ascii('SpotUdp0\x01\x02\x03\x04') }]), 'Spotify');
  assert.equal(verdictOf(tivoconnect, { transport: 17 }, [{ dir: 0, data: ascii('tivoconnect=1\nswversion=1\n') }]), 'TiVoConnect');
  const probe = ascii('<?xml version="1.0"?><soap:Envelope xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery"></soap:Envelope>');
  assert.equal(verdictOf(wsd, { serverPort: 3702 }, [{ dir: 0, data: probe }]), 'WSD');
  assert.equal(verdictOf(wsd, { serverPort: 3702 }, [{ dir: 0, data: ascii('<?xml version="1.0"?><a/>') }]), undefined);
});

test('group B: random payloads are claimed by none of its dissectors, on any of their ports', () => {
  const ports = [0, 554, 1935, 2190, 3478, 3702, 4244, 5351, 7985, 8333, 8612, 8801, 9999, 10001, 11095, 17500, 30303, 57621];
  let seed = 100;
  for (const d of GROUP_B) {
    for (const transport of [6, 17]) {
      if ((d.transport === 'tcp' && transport === 17) || (d.transport === 'udp' && transport === 6)) continue;
      for (const port of ports) {
        assert.equal(randomClaims(d, { transport, serverPort: port === 0 ? 40001 : port }, seed++, 150), 0, `${d.name} ${transport}/${port}`);
      }
    }
  }
});

test('group B: every malformed tcpdump capture classifies without throwing', async () => {
  const dir = '../shared/corpus/tcpdump/';
  let flows = 0;
  for (const f of readdirSync(dir)) flows += (await classifyCapture(dir + f, GROUP_B)).length;
  assert.ok(flows > 500);
});

test('group B: names are unique and stricter dissectors come before RTP and Protobuf', () => {
  const names = GROUP_B.map((d) => d.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(names[0], 'STUN');
  assert.deepEqual(names.slice(-2), ['RTP', 'Protobuf']);
});
