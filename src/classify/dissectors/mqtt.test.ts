import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMqttConnack, isMqttConnect, isMqttPacketRun, mqtt } from './mqtt.js';
import { cat, hex, nameOf, randomClaims, truncatedNames } from './testkit-c.js';

/** CONNECT, MQTT 3.1.1: clean session, keep-alive 60, client id "sonda". */
const CONNECT_311 = hex('10 11 0004 4d515454 04 02 003c 0005 736f6e6461');
/** CONNECT, MQTT 5.0 (an empty property list after the keep-alive). */
const CONNECT_5 = hex('10 12 0004 4d515454 05 02 003c 00 0005 736f6e6461');
/** CONNECT, MQTT 3.1 ("MQIsdp", level 3). */
const CONNECT_31 = hex('10 13 0006 4d5149736470 03 02 003c 0005 736f6e6461');
const CONNACK = hex('20 02 00 00');
const PUBLISH = hex('30 0c 0005 746f706963 68656c6c6f');

test('mqtt: CONNECT of each protocol level names the flow on any port', () => {
  for (const c of [CONNECT_311, CONNECT_5, CONNECT_31]) {
    assert.equal(isMqttConnect(c, 0, c.length), true);
    assert.equal(nameOf(mqtt, {}, [[0, c]]), 'MQTT');
  }
  // With the broker's answer after it, and with a CONNECT cut after its flags (the rest in the next segment).
  assert.equal(nameOf(mqtt, {}, [[0, CONNECT_311], [1, CONNACK]]), 'MQTT');
  const long = cat(hex('10 c8 01 0004 4d515454 04 02 003c 00c0'), new Uint8Array(192).fill(0x61));
  assert.equal(nameOf(mqtt, {}, [[0, long.subarray(0, 14)], [0, long.subarray(14)]]), 'MQTT');
});

test('mqtt: a CONNECT with a wrong field is not MQTT', () => {
  const level6 = Uint8Array.from(CONNECT_311);
  level6[8] = 6;
  const reservedBit = Uint8Array.from(CONNECT_311);
  reservedBit[9] = 0x03;
  const willQosNoWill = Uint8Array.from(CONNECT_311);
  willQosNoWill[9] = 0x0a;
  const otherName = Uint8Array.from(CONNECT_311);
  otherName[7] = 0x58;
  for (const c of [level6, reservedBit, willQosNoWill, otherName, hex('10 80 00 0004 4d515454 04 02 003c')]) assert.equal(nameOf(mqtt, {}, [[0, c]]), undefined);
  // MQTT's level 3 name with level 4 (and the reverse) is wrong too.
  assert.equal(nameOf(mqtt, {}, [[0, hex('10 13 0006 4d5149736470 04 02 003c 0005 736f6e6461')]]), undefined);
  assert.deepEqual(truncatedNames(mqtt, {}, [], CONNECT_311.subarray(0, 12)), new Set([undefined]));
});

test('mqtt: CONNACK and mid-connection packets count on port 1883 only', () => {
  assert.equal(isMqttConnack(CONNACK, 0, 4), true);
  assert.equal(isMqttConnack(hex('20 03 00 00 00'), 0, 5), true);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[1, CONNACK]]), 'MQTT');
  assert.equal(nameOf(mqtt, {}, [[1, CONNACK]]), undefined);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[1, hex('20 02 00 06')]]), undefined);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[1, hex('20 02 02 00')]]), undefined);
  const run = cat(PUBLISH, hex('c0 00'), hex('40 02 0001'));
  assert.equal(isMqttPacketRun(run, 0, run.length), true);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[0, run]]), 'MQTT');
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[1, hex('d0 00')]]), 'MQTT');
  assert.equal(nameOf(mqtt, { serverPort: 1884 }, [[0, run]]), undefined);
  // Trailing bytes, a PINGREQ with a body, SUBSCRIBE with the wrong flags.
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[0, cat(run, hex('00'))]]), undefined);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[0, hex('c0 01 00')]]), undefined);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[0, hex('80 06 0001 0001 61 00')]]), undefined);
  assert.equal(nameOf(mqtt, { serverPort: 1883 }, [[0, hex('82 06 0001 0001 61 00')]]), 'MQTT');
});

test('mqtt: random payloads are not claimed', () => {
  assert.equal(randomClaims(mqtt, {}), 0);
  assert.equal(randomClaims(mqtt, { serverPort: 1883 }), 0);
  assert.equal(randomClaims(mqtt, {}, { prefix: hex('10') }), 0);
  assert.equal(randomClaims(mqtt, {}, { prefix: hex('10 11') }), 0);
  assert.equal(randomClaims(mqtt, { serverPort: 1883 }, { prefix: hex('30') }), 0);
});
