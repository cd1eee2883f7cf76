import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOicqFrame, oicq } from './oicq.js';
import { dpiCounts, hex, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';

test('oicq: the corpus capture (nDPI: 29)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('oicq.pcap'), [oicq]), { OICQ: 29 });
});

const FRAME = hex('02 3b0b 0001 0017 561f0c7b 00000000 0000 0000 aa0c949f 03');

test('oicq: STX, version, command and ETX; TCP adds a length', () => {
  assert.ok(isOicqFrame(FRAME, 0, FRAME.length));
  assert.equal(verdictOf(oicq, { transport: 17 }, [{ dir: 0, data: FRAME }]), 'OICQ');
  assert.deepEqual(prefixClaims(oicq, { transport: 17 }, FRAME), []);
  const noEtx = FRAME.slice(0, -1);
  assert.equal(isOicqFrame(noEtx, 0, noEtx.length), false);
  const bigCommand = FRAME.slice();
  bigCommand[3] = 0x40;
  assert.equal(isOicqFrame(bigCommand, 0, bigCommand.length), false);
  const tcp = new Uint8Array(FRAME.length + 2);
  tcp[1] = tcp.length;
  tcp.set(FRAME, 2);
  assert.equal(verdictOf(oicq, { transport: 6 }, [{ dir: 0, data: tcp }]), 'OICQ');
  tcp[1] = 3;
  assert.equal(verdictOf(oicq, { transport: 6 }, [{ dir: 0, data: tcp }]), undefined);
});

test('oicq: random payloads are never claimed', () => {
  assert.equal(randomClaims(oicq, { transport: 17 }, 8), 0);
  assert.equal(randomClaims(oicq, { transport: 6 }, 9), 0);
});
