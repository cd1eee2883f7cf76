import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitcoin, isBitcoinHeader } from './bitcoin.js';
import { ascii, dpiCounts, hex, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('bitcoin: version messages in the corpus (nDPI: 6 + 2 SYN-only by port)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('bitcoin.pcap'), [bitcoin]), { BITCOIN: 6 });
});

const VERSION = hex(`f9beb4d9 ${Buffer.from('version').toString('hex')}0000000000 55000000 017d0000`);

test('bitcoin: magic, a NUL-padded lower-case command, a sane length', () => {
  assert.ok(isBitcoinHeader(VERSION, 0, VERSION.length));
  assert.equal(verdictOf(bitcoin, {}, [{ dir: 0, data: VERSION }]), 'BITCOIN');
  const c = VERSION.slice();
  c[5] = 0x45; // 'E': upper case
  assert.equal(isBitcoinHeader(c, 0, c.length), false);
  const gap = VERSION.slice();
  gap[13] = 0x61; // text after the NUL padding began
  assert.equal(isBitcoinHeader(gap, 0, gap.length), false);
  const huge = VERSION.slice();
  huge[19] = 0x10; // 256 MiB payload
  assert.equal(isBitcoinHeader(huge, 0, huge.length), false);
  assert.equal(isBitcoinHeader(VERSION, 0, 23), false);
  assert.equal(verdictOf(bitcoin, {}, [{ dir: 0, data: ascii('GET / HTTP/1.1\r\n\r\n') }, { dir: 1, data: VERSION }]), undefined);
});

test('bitcoin: random payloads are never claimed', () => {
  assert.equal(randomClaims(bitcoin, {}, 13), 0);
});
