import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smb } from './smb.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, truncatedNames } from './testkit-c.js';

test('smb: corpus SMB2 and SMB1 sessions', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('smb_deletefile.pcap'), [smb]), { 'NetBIOS.SMBv23': 1 });
  assert.deepEqual(await dpiNames(ndpiPcap('smb_frags.pcap'), [smb]), { 'NetBIOS.SMBv1': 1 });
});

test('smb: session header + protocol id + header fields', () => {
  const smb2 = cat(hex('00000048 fe534d42 4000 0000'), new Uint8Array(64));
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, smb2]]), 'NetBIOS.SMBv23');
  const smb1 = cat(hex('0000002f ff534d42 72'), new Uint8Array(42));
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, smb1]]), 'NetBIOS.SMBv1');
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, cat(hex('00000048 fe534d42 4100 0000'), new Uint8Array(64))]]), undefined);
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, cat(hex('00000010 fe534d42 4000 0000'), new Uint8Array(64))]]), undefined);
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, cat(hex('85000048 fe534d42 4000 0000'), new Uint8Array(64))]]), undefined);
  assert.equal(nameOf(smb, { serverPort: 445 }, [[0, cat(hex('0000002f fe534d43 72'), new Uint8Array(42))]]), undefined);
  assert.deepEqual(truncatedNames(smb, {}, [], smb2.subarray(0, 10)), new Set([undefined]));
});

test('smb: random payloads are not claimed', () => {
  assert.equal(randomClaims(smb, { serverPort: 445 }), 0);
  assert.equal(randomClaims(smb, { serverPort: 445 }, { prefix: hex('000000') }), 0);
});
