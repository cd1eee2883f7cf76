import assert from 'node:assert/strict';
import { test } from 'node:test';
import { associatePdu, dicom } from './dicom.js';
import { dofus } from './dofus.js';
import { fix, fixMessage } from './fix.js';
import { GROUP_E } from './group-e.js';
import { hl7, mshHeader } from './hl7.js';
import { nintendo } from './nintendo.js';
import { noMachine } from './nomachine.js';
import { radmin } from './radmin.js';
import { rsh } from './rsh.js';
import { softEther } from './softether.js';
import { teamSpeak } from './teamspeak.js';
import { teredo } from './teredo.js';
import { thunder } from './thunder.js';
import { cat, dpiNames, hex, nameOf, ndpiPcap, randomClaims, run, text, truncatedNames } from './testkit-c.js';
import { ndpiCorpusClaims, throwsOnTcpdumpCorpus } from './testkit.js';
import { ultraSurf } from './ultrasurf.js';
import { xbox } from './xbox.js';

const SOH = '\x01';

test('group E: corpus captures are named as nDPI names them', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('ultrasurf.pcap'), GROUP_E), { UltraSurf: 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('ossfuzz_seed_fake_traces_1.pcapng'), GROUP_E), { Gnutella: 2 });
});

test('group E: no flow of the nDPI corpus is claimed for a protocol nDPI does not see in it', async () => {
  const ours = new Set(GROUP_E.map((d) => d.name));
  const foreign: string[] = [];
  for (const { file, flow: f, expected: exp } of await ndpiCorpusClaims(GROUP_E)) {
    if (ours.has(f.protocol) && exp !== f.protocol) foreign.push(`${file}: ${f.flow} ${f.protocol} (nDPI: ${exp})`);
  }
  assert.deepEqual(foreign, []);
});

test('group E: no dissector throws on the tcpdump corpus (malformed captures)', async () => {
  assert.deepEqual(await throwsOnTcpdumpCorpus(GROUP_E), []);
});

test('group E: random payloads are not claimed', () => {
  const flows = [{}, { serverPort: 5222 }, { serverPort: 5223 }, { serverPort: 2427 }, { serverPort: 3544 }, { serverPort: 4899 }, { serverPort: 4000 }, { serverPort: 5555 }, { serverPort: 3074 }, { serverPort: 2010 }, { serverPort: 514 }];
  for (const d of GROUP_E) {
    for (const f of flows) {
      for (const transport of d.transport === 'both' ? [6, 17] : [d.transport === 'tcp' ? 6 : 17]) {
        assert.equal(randomClaims(d, { ...f, transport }, { n: 300 }), 0, `${d.name} on ${JSON.stringify(f)}/${transport}`);
      }
    }
  }
});

test('FIX: BeginString, BodyLength and MsgType at the start of a direction', () => {
  const logon = text(`8=FIX.4.1${SOH}9=61${SOH}35=A${SOH}34=1${SOH}49=CLIENT${SOH}52=20240101-00:00:00${SOH}56=SERVER${SOH}98=0${SOH}108=30${SOH}10=143${SOH}`);
  assert.equal(nameOf(fix, { serverPort: 4000 }, [[0, logon]]), 'FIX');
  assert.equal(nameOf(fix, {}, [[1, text(`8=FIXT.1.1${SOH}9=70${SOH}35=A${SOH}34=1${SOH}`)]]), 'FIX');
  // A segment that ends inside MsgType still shows its start.
  assert.equal(fixMessage(logon, 0, 19), true);
  assert.equal(nameOf(fix, {}, [[0, text(`8=FIX.4.1${SOH}9=6x${SOH}35=A${SOH}34=1${SOH}`)]]), undefined);
  assert.equal(nameOf(fix, {}, [[0, text(`8=FIX.41${SOH}9=61${SOH}35=A${SOH}34=1${SOH}`)]]), undefined);
  assert.equal(nameOf(fix, {}, [[0, text(`8=FIX.4.1${SOH}35=A${SOH}9=61${SOH}34=1${SOH}`)]]), undefined);
  assert.equal(nameOf(fix, {}, [[0, text('8=FIX.4.1|9=61|35=A|34=1|49=X|')]]), undefined);
  assert.equal(nameOf(fix, {}, [[0, text('hello')], [0, logon]]), undefined);
  assert.deepEqual(truncatedNames(fix, {}, [], logon.subarray(0, 16)), new Set([undefined]));
});

test('HL7: an MSH header, MLLP-framed or not, the start byte possibly alone', () => {
  const msg = text('\x0bMSH|^~\\&|SendingApp|SendingFac|ReceivingApp|ReceivingFac|20240101120000||ADT^A01|MSG00001|P|2.5\rEVN|A01|20240101120000\rPID|1||12345\r\x1c\r');
  assert.equal(nameOf(hl7, { serverPort: 2575 }, [[0, msg]]), 'HL7');
  assert.equal(nameOf(hl7, {}, [[0, hex('0b')], [0, msg.subarray(1)]]), 'HL7');
  assert.equal(nameOf(hl7, {}, [[1, text('MSH|^~\\&#|RecvApp|RecvFac|SendApp|SendFac|20240101||ACK|1|P|2.7\rMSA|AA|MSG00001\r')]]), 'HL7');
  // Repeated or alphanumeric encoding characters, a missing separator, a short header.
  assert.equal(mshHeader(text('MSH|^^\\&|A|B'), 0, 12), false);
  assert.equal(mshHeader(text('MSH|^~a&|A|B'), 0, 12), false);
  assert.equal(mshHeader(text('MSH|^~\\&^A|B'), 0, 12), false);
  assert.equal(nameOf(hl7, {}, [[0, text('\x0bMSH|^~\\&|A|B\r')]]), undefined);
  assert.equal(nameOf(hl7, {}, [[0, text('MSHELL is not HL7, nor is this line of text')]]), undefined);
  assert.equal(nameOf(hl7, {}, [[0, text('GET / HTTP/1.1\r\n\r\n')], [0, msg]]), undefined);
});

/** An A-ASSOCIATE-RQ (or -AC) with AE titles and an application context item. */
function associate(type: number, called: string, calling: string): Uint8Array {
  const items = cat(hex('10 00 0015'), text('1.2.840.10008.3.1.1.1'), hex('20 00 0008 01 00 ff 00 30 00 0000'));
  const body = cat(hex('0001 0000'), text(called.padEnd(16)), text(calling.padEnd(16)), new Uint8Array(32), items);
  return cat(hex(type.toString(16).padStart(2, '0')), hex('00'), hex(body.length.toString(16).padStart(8, '0')), body);
}

test('DICOM: A-ASSOCIATE-RQ and -AC at the start of a direction', () => {
  const rq = associate(1, 'testserver', 'testclient');
  assert.equal(nameOf(dicom, { serverPort: 104 }, [[0, rq]]), 'DICOM');
  assert.equal(nameOf(dicom, {}, [[1, associate(2, 'remote', 'bogus')]]), 'DICOM');
  // The PDU split after its fixed part, or cut inside the titles.
  assert.equal(nameOf(dicom, {}, [[0, rq.subarray(0, 74)]]), 'DICOM');
  assert.equal(associatePdu(rq, 0, 30), true);
  const v2 = Uint8Array.from(rq);
  v2[7] = 2;
  assert.equal(nameOf(dicom, {}, [[0, v2]]), undefined);
  const title = Uint8Array.from(rq);
  title[12] = 0x07;
  assert.equal(nameOf(dicom, {}, [[0, title]]), undefined);
  const item = Uint8Array.from(rq);
  item[74] = 0x20;
  assert.equal(nameOf(dicom, {}, [[0, item]]), undefined);
  assert.equal(nameOf(dicom, {}, [[0, cat(rq, hex('00'))]]), undefined); // longer than its length says
  assert.equal(nameOf(dicom, {}, [[0, cat(hex('04 00 00000010'), new Uint8Array(16))]]), undefined); // P-DATA
  assert.deepEqual(truncatedNames(dicom, {}, [], rq.subarray(0, 10)), new Set([undefined]));
});

test('TeamSpeak: TS3 init, TS2 header, TS3 licence/weblist on its ports', () => {
  const init = cat(text('TS3INIT1'), hex('0065 0000 88 06 3b ec e9 00 61 ad 56 34 00 00 00 00 00 00 00 00 00'));
  assert.equal(nameOf(teamSpeak, { transport: 17, serverPort: 9987 }, [[0, init]]), 'TeamSpeak');
  assert.equal(nameOf(teamSpeak, { transport: 17 }, [[0, init.subarray(0, 19)]]), undefined);
  assert.equal(nameOf(teamSpeak, { transport: 6 }, [[0, cat(hex('f4be0300'), new Uint8Array(20))]]), 'TeamSpeak');
  assert.equal(nameOf(teamSpeak, { transport: 6 }, [[0, cat(hex('f4be0400'), new Uint8Array(20))]]), undefined);
  const weblist = [[0, hex('01 00 00 01')], [1, hex('01 00 00 02 00')], [0, hex('01 aa bb 02 11 22 33 44 55 66 77 00 00 00 00 00')]] as const;
  assert.equal(nameOf(teamSpeak, { transport: 17, clientPort: 2011, serverPort: 2010 }, weblist), 'TeamSpeak');
  assert.equal(nameOf(teamSpeak, { transport: 17, clientPort: 2011, serverPort: 2010 }, weblist.slice(0, 2)), undefined);
  assert.equal(nameOf(teamSpeak, { transport: 17, clientPort: 40000, serverPort: 40001 }, weblist), undefined);
  assert.equal(nameOf(teamSpeak, { transport: 17, serverPort: 2010 }, [[0, hex('01 00 00 03')], ...weblist.slice(1)]), undefined);
});

test('Teredo: IPv6 after the optional indicators, unicast IPv4 on 3544 only', () => {
  // A bubble: no next header, from a Teredo address to a link-local one.
  const ipv6 = cat(hex('60000000 0000 3b 15'), hex('20010000 4136e378 8000 63bf 3fff fdd2'), hex('fe800000 00000000 8000 f227 c1a8 1cb1'));
  const auth = cat(hex('0001 00 00'), new Uint8Array(8), hex('00'));
  const origin = hex('0000 f227 3e57e3b4');
  assert.equal(nameOf(teredo, { serverPort: 3544 }, [[0, ipv6]]), 'Teredo');
  assert.equal(nameOf(teredo, { clientPort: 3544 }, [[1, cat(auth, origin, ipv6)]]), 'Teredo');
  assert.equal(nameOf(teredo, { serverPort: 3544 }, [[1, cat(origin, ipv6)]]), 'Teredo');
  assert.equal(nameOf(teredo, { serverPort: 3544 }, [[0, ipv6.subarray(0, 39)]]), undefined);
  assert.equal(nameOf(teredo, { serverPort: 3544 }, [[0, cat(hex('45'), ipv6.subarray(1))]]), undefined);
  assert.equal(nameOf(teredo, { serverPort: 3544 }, [[0, cat(ipv6.subarray(0, 8), new Uint8Array(32).fill(0x24))]]), undefined);
  assert.equal(nameOf(teredo, { serverPort: 3545 }, [[0, ipv6]]), undefined);
  assert.equal(nameOf(teredo, { serverPort: 3544, ipVersion: 6 }, [[0, ipv6]]), undefined);
  assert.equal(nameOf(teredo, { serverPort: 3544, serverAddress: Uint32Array.of(0xe0000001, 0, 0, 0) }, [[0, ipv6]]), undefined);
});

test('Radmin: framed messages opening both directions', () => {
  const hello = hex('01000000 01 000000 0808');
  const answer = cat(hex('01000000 25 0000 02120802 0000 0a'), new Uint8Array(32).fill(0x5a));
  const keep = hex('01000000 05 000000 2727 00000000');
  assert.equal(answer.length, 46);
  assert.equal(nameOf(radmin, { serverPort: 4899 }, [[0, hello], [1, answer]]), 'Radmin');
  assert.equal(nameOf(radmin, {}, [[0, keep], [0, keep]]), 'Radmin');
  assert.equal(nameOf(radmin, {}, [[0, hello]]), undefined);
  assert.equal(nameOf(radmin, {}, [[0, hello], [1, cat(answer, hex('00'))]]), undefined);
  assert.equal(nameOf(radmin, {}, [[0, hex('02000000 01 000000 0808')], [1, answer]]), undefined);
});

test('NoMachine: the NX banner on TCP, the media header on UDP', () => {
  assert.equal(nameOf(noMachine, { transport: 6, serverPort: 4000 }, [[0, text('NXSH-8.10.1\n')]]), 'NoMachine');
  assert.equal(nameOf(noMachine, { transport: 6 }, [[1, text('NXD-8.10.1\n')]]), 'NoMachine');
  assert.equal(nameOf(noMachine, { transport: 6 }, [[0, text('NXSH-beta\n')]]), undefined);
  assert.equal(nameOf(noMachine, { transport: 6 }, [[0, text('NXSH-8.10.1 and more text\n')]]), undefined);
  assert.equal(nameOf(noMachine, { transport: 17 }, [[0, hex('a1b2 0100 0c00 3344 0000 5566')]]), 'NoMachine');
  assert.equal(nameOf(noMachine, { transport: 17 }, [[0, hex('a1b2 0100 0d00 3344 0000 5566')]]), undefined);
  assert.equal(nameOf(noMachine, { transport: 17 }, [[0, hex('a1b2 0100 0c00 3344 0001 5566')]]), undefined);
});

test('UltraSurf: the opening value at the start of a direction', () => {
  const open = cat(hex('cc1c3041 5ba43866'), new Uint8Array(40).fill(0x99));
  assert.equal(nameOf(ultraSurf, {}, [[1, open]]), 'UltraSurf');
  assert.equal(nameOf(ultraSurf, {}, [[1, open.subarray(0, 7)]]), undefined);
  assert.equal(nameOf(ultraSurf, {}, [[0, hex('00')], [0, open]]), undefined);
});

test('RSH: the error port, then local user, remote user and command', () => {
  assert.equal(nameOf(rsh, { serverPort: 514 }, [[0, text('1023\0')], [0, text('alice\0bob\0ls -l /tmp\0')]]), 'RSH');
  assert.equal(nameOf(rsh, {}, [[0, text('0\0alice\0bob\0uptime\0')]]), 'RSH');
  assert.equal(nameOf(rsh, {}, [[0, text('1023\0')], [0, text('alice\0bob\0')]]), undefined);
  assert.equal(nameOf(rsh, {}, [[0, text('1023\0')], [0, text('alice\0bob\0ls\0extra')]]), undefined);
  assert.equal(nameOf(rsh, {}, [[0, text('123456\0')], [0, text('alice\0bob\0ls\0')]]), undefined);
  assert.equal(nameOf(rsh, {}, [[1, text('1023\0')]]), undefined);
  assert.equal(nameOf(rsh, {}, [[0, text('1023\0')], [0, cat(text('ali'), hex('07'), text('ce\0bob\0ls\0'))]]), undefined);
});

test('Dofus, Nintendo, Xbox, Thunder, Softether: their shapes, and only those', () => {
  const dofusMsg = hex('07 0a 05 0102030405');
  assert.equal(nameOf(dofus, { serverPort: 5555 }, [[0, dofusMsg]]), 'Dofus');
  assert.equal(run(dofus, { serverPort: 5556 }, [[0, dofusMsg]]).rejected, true);
  assert.equal(nameOf(dofus, { serverPort: 5555 }, [[0, hex('07 0a 04 0102030405')]]), undefined);

  const switchHdr = cat(hex('32ab9864 02'), new Uint8Array(44));
  assert.equal(nameOf(nintendo, {}, [[0, switchHdr]]), 'Nintendo');
  assert.equal(nameOf(nintendo, {}, [[0, switchHdr.subarray(0, 48)]]), undefined);

  const xboxMsg = hex('00000000 0c 58 76 000000 112233');
  assert.equal(nameOf(xbox, {}, [[0, xboxMsg]]), 'Xbox');
  assert.equal(nameOf(xbox, {}, [[0, hex('00000000 0c 58 77 000000 112233')]]), undefined);
  assert.equal(nameOf(xbox, {}, [[0, hex('deadbeef')], [1, xboxMsg]]), 'Xbox');
  const shape = cat(hex('cf5f3202'), new Uint8Array(36));
  assert.equal(nameOf(xbox, { serverPort: 3074 }, [[0, shape], [1, shape]]), 'Xbox');
  assert.equal(nameOf(xbox, { serverPort: 3075 }, [[0, shape], [1, shape]]), undefined);

  const th = hex('32000000 0102030405');
  assert.equal(nameOf(thunder, {}, [[0, th], [1, th], [0, th], [1, th]]), 'Thunder');
  assert.equal(nameOf(thunder, {}, [[0, th], [1, th], [0, th]]), undefined);
  assert.equal(nameOf(thunder, {}, [[0, th], [1, hex('40000000 0102030405')], [0, th], [1, th]]), undefined);

  assert.equal(nameOf(softEther, {}, [[1, text('IP=90.186.132.133,PORT=51381')]]), 'Softether');
  assert.equal(nameOf(softEther, {}, [[0, text('A')], [0, text('A')], [1, text('IP=2001:db8::1,PORT=443')]]), 'Softether');
  assert.equal(nameOf(softEther, {}, [[0, text('A')], [0, text('A')], [0, text('A')], [1, text('IP=1.2.3.4,PORT=5')]]), undefined);
  assert.equal(nameOf(softEther, {}, [[1, text('IP=90.186.132.133,PORT=51x81')]]), undefined);
  /** A PACK element: name, type, values already encoded. */
  const element = (name: string, type: number, values: Uint8Array[]) =>
    cat(hex((name.length + 1).toString(16).padStart(8, '0')), text(name), hex(type.toString(16).padStart(8, '0')), hex(values.length.toString(16).padStart(8, '0')), ...values);
  const str = (s: string) => cat(hex(s.length.toString(16).padStart(8, '0')), text(s));
  const pack = cat(
    hex('00000004'),
    element('opcode', 2, [str('nat_t_connect_request')]),
    element('host_name', 2, [str('vpn')]),
    element('ddns_fqdn', 2, [str('moishele.softether.net')]),
    element('client_port', 0, [hex('0000c8b5')]),
  );
  assert.ok(pack.length >= 99);
  assert.equal(nameOf(softEther, {}, [[0, pack]]), 'Softether');
  assert.equal(nameOf(softEther, {}, [[0, pack.subarray(0, pack.length - 1)]]), undefined);
  assert.equal(nameOf(softEther, {}, [[0, cat(pack, hex('00'))]]), undefined);
  const badType = Uint8Array.from(pack);
  badType[4 + 4 + 6 + 3] = 5;
  assert.equal(nameOf(softEther, {}, [[0, badType]]), undefined);
});
