import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSnmpMessage, snmp } from './snmp.js';
import { hex, nameOf, randomClaims, truncatedNames } from './testkit-c.js';

/** A v2c get-request for sysDescr.0 with community "public". */
const GET = hex('302602010104067075626c6963a019020401020304020100020100300b300906052b060102010500');
/** A v3 message: msgVersion 3, then the msgGlobalData SEQUENCE (cut short: the header is what counts). */
const V3 = hex('300b 020103 3006 020101 020100');

test('snmp: whole v1/v2c messages and v3 headers', () => {
  assert.equal(isSnmpMessage(GET, 0, GET.length), true);
  assert.equal(nameOf(snmp, { serverPort: 161 }, [[0, GET]]), 'SNMP');
  assert.equal(nameOf(snmp, { serverPort: 16100 }, [[0, GET]]), 'SNMP');
  assert.equal(nameOf(snmp, { serverPort: 161 }, [[0, V3]]), 'SNMP');
  assert.deepEqual(truncatedNames(snmp, { serverPort: 161 }, [], GET), new Set([undefined]));
});

test('snmp: a wrong length, version or PDU tag is not SNMP', () => {
  const mutate = (at: number, v: number): Uint8Array => {
    const m = Uint8Array.from(GET);
    m[at] = v;
    return m;
  };
  assert.equal(nameOf(snmp, {}, [[0, mutate(1, 0x27)]]), undefined);
  assert.equal(nameOf(snmp, {}, [[0, mutate(4, 2)]]), undefined);
  assert.equal(nameOf(snmp, {}, [[0, mutate(13, 0xb0)]]), undefined);
  assert.equal(nameOf(snmp, {}, [[0, mutate(14, 0x20)]]), undefined);
});

test('snmp: random payloads are not claimed', () => {
  assert.equal(randomClaims(snmp, { serverPort: 161 }), 0);
  assert.equal(randomClaims(snmp, { serverPort: 161 }, { prefix: hex('30') }), 0);
});
