import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mgcp } from './mgcp.js';
import { cat, hex, nameOf, randomClaims, run, text, truncatedNames } from './testkit-c.js';

const RSIP = 'RSIP 262662134 aaln/S1/1@vg224 MGCP 1.0\r\nRM: restart\r\n';
const RQNT = 'RQNT 1 aaln/1@gateway44.myplace.com MGCP 1.0\nX: 0123456789AC\nR: hd(N)\nS: rg\n';
const CRCX = 'CRCX 1204 aaln/1@[192.168.5.8] MGCP 1.0 NCS 1.0\r\nC: A3C47F21456789F0\r\nL: p:10, a:PCMU\r\nM: recvonly\r\n\r\nv=0\r\n';

test('mgcp: commands name the flow and their endpoint domain the host', () => {
  const rsip = run(mgcp, { clientPort: 2427, serverPort: 2427 }, [[0, text(RSIP)]]);
  assert.deepEqual([rsip.name, rsip.host], ['MGCP', 'vg224']);
  const rqnt = run(mgcp, { serverPort: 2427 }, [[0, text(RQNT)]]);
  assert.deepEqual([rqnt.name, rqnt.host], ['MGCP', 'gateway44.myplace.com']);
  assert.equal(run(mgcp, {}, [[0, text(CRCX)]]).host, '[192.168.5.8]');
  // An endpoint without a domain names itself.
  assert.equal(run(mgcp, {}, [[1, text('AUEP 77 GW-Main MGCP 1.0\n')]]).host, 'gw-main');
  for (const verb of ['AUEP', 'AUCX', 'DLCX', 'EPCF', 'MDCX', 'NTFY']) assert.equal(nameOf(mgcp, {}, [[0, text(`${verb} 9 ds/ds1-1/1@gw.example.net MGCP 1.0\r\n`)]]), 'MGCP', verb);
});

test('mgcp: responses, other text and malformed command lines are not claimed', () => {
  assert.equal(nameOf(mgcp, {}, [[1, text('200 262662134 OK\r\n')]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP 1 aaln/1@gw MGCP 1.0')]]), undefined); // no end of line
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP 1234567890 aaln/1@gw MGCP 1.0\r\n')]]), undefined); // 10-digit id
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP x1 aaln/1@gw MGCP 1.0\r\n')]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP 1 aaln/1@gw MGCP one\r\n')]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP 1 aaln/1@gw SIP/2.0\r\n')]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('rsip 1 aaln/1@gw MGCP 1.0\r\n')]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('RSIP 1  MGCP 1.0\r\n')]]), undefined); // no endpoint
  assert.equal(nameOf(mgcp, {}, [[0, cat(text('RSIP 1 aaln'), hex('01'), text('@gw MGCP 1.0\r\n'))]]), undefined);
  assert.equal(nameOf(mgcp, {}, [[0, text('REGISTER sip:example.com SIP/2.0\r\n')]]), undefined);
  assert.deepEqual(truncatedNames(mgcp, {}, [], text('RSIP 1 aaln/1@gw MGCP 1.0 ')), new Set([undefined]));
});

test('mgcp: random payloads are not claimed', () => {
  assert.equal(randomClaims(mgcp, { serverPort: 2427 }), 0);
  assert.equal(randomClaims(mgcp, {}, { prefix: text('RSIP 1 ') }), 0);
});
