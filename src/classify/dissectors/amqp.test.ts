import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amqp, amqpFrame } from './amqp.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, text, truncatedNames } from './testkit-c.js';

/** basic.publish on channel 1 (amqp.pcap). */
const PUBLISH = hex('01 0001 00000021 003c 0028 0000 0863656c65727965 76 10 776f726b65722e6865617274626561740 0 ce'.replace(/ /g, ''));

test('amqp: corpus flows caught mid-connection', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('amqp.pcap'), [amqp]), { AMQP: 3 });
});

test('amqp: the protocol header, or a whole method or header frame', () => {
  assert.equal(PUBLISH.length, 41);
  assert.equal(amqpFrame(PUBLISH, 0, PUBLISH.length), true);
  assert.equal(nameOf(amqp, {}, [[0, PUBLISH]]), 'AMQP');
  assert.equal(nameOf(amqp, {}, [[0, cat(text('AMQP'), hex('00000901'))]]), 'AMQP');
  assert.equal(nameOf(amqp, {}, [[0, cat(text('AMQP'), hex('00000901 00'))]]), undefined);
  assert.equal(nameOf(amqp, {}, [[0, cat(text('AMQX'), hex('00000901'))]]), undefined);
  // Frame end missing, an unknown class, a body frame alone.
  const noEnd = Uint8Array.from(PUBLISH);
  noEnd[40] = 0xcf;
  assert.equal(nameOf(amqp, {}, [[0, noEnd]]), undefined);
  const badClass = Uint8Array.from(PUBLISH);
  badClass[8] = 0x3d;
  assert.equal(nameOf(amqp, {}, [[0, badClass]]), undefined);
  assert.equal(nameOf(amqp, {}, [[0, hex('03 0001 00000002 7b7d ce')]]), undefined);
  assert.deepEqual(truncatedNames(amqp, {}, [], PUBLISH), new Set([undefined]));
});

test('amqp: random payloads are not claimed', () => {
  assert.equal(randomClaims(amqp, { serverPort: 5672 }), 0);
  assert.equal(randomClaims(amqp, { serverPort: 5672 }, { prefix: hex('01') }), 0);
});
