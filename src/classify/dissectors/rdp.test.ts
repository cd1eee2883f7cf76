import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rdp } from './rdp.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, text, truncatedNames } from './testkit-c.js';

/** Connection Request with a cookie and no negotiation (rdp3.pcap). */
const CR_COOKIE = cat(hex('03000027 22 e0 0000 0000 00'), text('Cookie: mstshash=Administr\r\n'));
/** Connection Request with a cookie and a Negotiation Request for TLS+CredSSP (rdp_over_tls.pcap). */
const CR_NEG = cat(hex('0300002f 2a e0 0000 0000 00'), text('Cookie: mstshash=WDeployAd\r\n'), hex('01 00 0800 03000000'));
/** Connection Confirm selecting CredSSP. */
const CC_HYBRID = hex('03000013 0e d0 0000 1234 00 02 1f 0800 02000000');
/** Connection Confirm with standard RDP security. */
const CC_PLAIN = hex('0300000b 06 d0 0000 1234 00');

test('rdp: corpus flows over TCP, TLS and UDP', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('rdp3.pcap'), [rdp]), { RDP: 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('rdp_over_tls.pcap'), [rdp]), { 'TLS.RDP': 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('rdp2.pcap'), [rdp]), { RDP: 3 });
});

test('rdp: X.224 with a cookie is RDP on any port; negotiation waits for the confirm', () => {
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 40000 }, [[0, CR_COOKIE]]), 'RDP');
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 3389 }, [[0, CR_NEG]]), undefined);
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 3389 }, [[0, CR_NEG], [1, CC_HYBRID]]), 'TLS.RDP');
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 3389 }, [[0, CR_NEG], [1, CC_PLAIN]]), 'RDP');
  // A bare request is RDP only on its port.
  const bare = hex('0300000b 06 e0 0000 0000 00');
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 3389 }, [[0, bare]]), 'RDP');
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 102 }, [[0, bare]]), undefined);
});

test('rdp: other X.224 users, wrong lengths and cut requests are not RDP', () => {
  // S7comm's connection request carries TSAP parameters.
  const s7 = hex('03000016 11 e0 0000 0001 00 c0010a c1020100 c2020102');
  assert.equal(nameOf(rdp, { transport: 6, serverPort: 102 }, [[0, s7]]), undefined);
  const badTpkt = Uint8Array.from(CR_COOKIE);
  badTpkt[3] = 0x28;
  assert.equal(nameOf(rdp, { transport: 6 }, [[0, badTpkt]]), undefined);
  const badLi = Uint8Array.from(CR_COOKIE);
  badLi[4] = 0x21;
  assert.equal(nameOf(rdp, { transport: 6 }, [[0, badLi]]), undefined);
  assert.deepEqual(truncatedNames(rdp, { transport: 6, serverPort: 3389 }, [], CR_COOKIE), new Set([undefined]));
  assert.deepEqual(truncatedNames(rdp, { transport: 6, serverPort: 3389 }, [[0, CR_NEG]], CC_HYBRID, 1), new Set([undefined]));
  // A cookie line without its CRLF.
  assert.equal(nameOf(rdp, { transport: 6 }, [[0, cat(CR_COOKIE.subarray(0, 37), text('xx'))]]), undefined);
});

test('rdp over UDP: SYN and SYN+ACK with valid MTUs, acknowledged data; only on 3389', () => {
  const syn = cat(hex('ffffffff 0040 1801 bbff5687 04d0 04d0'), new Uint8Array(1216));
  const synAck = cat(hex('bbff5687 0040 1005 4d677966 04d0 04d0'), new Uint8Array(1216));
  assert.equal(nameOf(rdp, { transport: 17, serverPort: 3389 }, [[0, syn]]), 'RDP');
  assert.equal(nameOf(rdp, { serverPort: 3389 }, [[1, synAck]]), 'RDP');
  assert.equal(nameOf(rdp, { serverPort: 3390 }, [[0, syn]]), undefined);
  // MTU out of 1132..1232; a SYN that acknowledges something.
  assert.equal(nameOf(rdp, { serverPort: 3389 }, [[0, hex('ffffffff 0040 1801 bbff5687 0400 04d0')]]), undefined);
  assert.equal(nameOf(rdp, { serverPort: 3389 }, [[0, hex('12345678 0040 1801 bbff5687 04d0 04d0')]]), undefined);
  const c = hex('10976033 0400 000c 0001 00 00 e65f846d e65f846d 1603030106');
  const s = hex('e65f846d 00c8 000c 0001 01 00 10976034 10976034 1403030001');
  assert.equal(nameOf(rdp, { serverPort: 3389 }, [[0, c], [1, s]]), 'RDP');
  const unrelated = hex('e65f846e 00c8 000c 0001 01 00 10976034 10976034 1403030001');
  assert.equal(nameOf(rdp, { serverPort: 3389 }, [[0, c], [1, unrelated]]), undefined);
});

test('rdp: random payloads are not claimed', () => {
  assert.equal(randomClaims(rdp, { transport: 6, serverPort: 3389 }), 0);
  assert.equal(randomClaims(rdp, { transport: 17, serverPort: 3389 }), 0);
  assert.equal(randomClaims(rdp, { transport: 6, serverPort: 3389 }, { prefix: hex('0300') }), 0);
});
