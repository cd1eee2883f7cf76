import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smpp, smppHeader } from './smpp.js';
import { cat, hex, nameOf, randomClaims, text, truncatedNames } from './testkit-c.js';

/** An SMPP PDU: header (length, id, status, sequence) and body. */
function pdu(id: number, body: Uint8Array = new Uint8Array(0), status = 0, seq = 1): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, 16 + body.length);
  v.setUint32(4, id >>> 0);
  v.setUint32(8, status);
  v.setUint32(12, seq);
  return cat(h, body);
}

/** bind_transmitter: system_id, password, system_type, interface_version 0x34, ton, npi, address_range. */
const BIND = pdu(0x02, cat(text('smppclient1\0password\0\0'), hex('34 00 00 00')));
const BIND_RESP = pdu(0x80000002, text('SMSC\0'));
const ENQUIRE = pdu(0x15, undefined, 0, 2);
/** submit_sm with a 5-byte message. */
const SUBMIT = pdu(0x04, cat(text('\0'), hex('01 01'), text('1234\0'), hex('01 01'), text('5678\0'), hex('00 00 00'), text('\0\0'), hex('01 00 00 05'), text('hello')));

test('smpp: binds, their responses and enquire_link name the flow', () => {
  assert.equal(nameOf(smpp, { serverPort: 2775 }, [[0, BIND]]), 'SMPP');
  assert.equal(nameOf(smpp, {}, [[1, BIND_RESP]]), 'SMPP');
  assert.equal(nameOf(smpp, {}, [[0, ENQUIRE]]), 'SMPP');
  assert.equal(nameOf(smpp, {}, [[0, SUBMIT]]), 'SMPP');
  // A failed bind response may come without a body.
  assert.equal(nameOf(smpp, {}, [[1, pdu(0x80000002, undefined, 0x0d)]]), 'SMPP');
  // Several PDUs in one payload.
  assert.equal(nameOf(smpp, {}, [[0, cat(SUBMIT, ENQUIRE, pdu(0x80000015, undefined, 0, 3))]]), 'SMPP');
});

test('smpp: a PDU split over segments is judged when its next PDU arrives', () => {
  const two = cat(SUBMIT, ENQUIRE);
  // The submit_sm cut after 20 bytes: its header is good, the next PDU follows its end.
  assert.equal(nameOf(smpp, {}, [[0, two.subarray(0, 20)], [0, two.subarray(20)]]), 'SMPP');
  assert.equal(nameOf(smpp, {}, [[0, SUBMIT.subarray(0, 20)], [0, SUBMIT.subarray(20, 30)], [0, cat(SUBMIT.subarray(30), ENQUIRE)]]), 'SMPP');
  // What follows the split PDU is not a header.
  assert.equal(nameOf(smpp, {}, [[0, two.subarray(0, 20)], [0, cat(SUBMIT.subarray(20), hex('00000010 00000099 00000000 00000001'))]]), undefined);
  // A bind cut inside its strings still shows printable names.
  assert.equal(smppHeader(BIND, 0, 20), true);
  assert.equal(smppHeader(cat(BIND.subarray(0, 18), hex('07')), 0, 19), false);
});

test('smpp: lengths, ids and statuses that do not fit are rejected', () => {
  const wrongLength = Uint8Array.from(ENQUIRE);
  wrongLength[3] = 17;
  assert.equal(nameOf(smpp, {}, [[0, wrongLength]]), undefined);
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x15, hex('00'))]]), undefined); // enquire_link has no body
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x0a)]]), undefined); // unknown id
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x15, undefined, 1)]]), undefined); // a request with a status
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x04, text('short'))]]), undefined); // submit_sm too short
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x02, cat(text('smpp\x07client\0pw\0\0'), hex('34 00 00 00')))]]), undefined); // control byte in system_id
  assert.equal(nameOf(smpp, {}, [[0, pdu(0x02, cat(text('averyveryverylongsystemid\0pw\0\0'), hex('34 00 00 00')))]]), undefined); // system_id too long
  assert.equal(nameOf(smpp, {}, [[0, cat(ENQUIRE, hex('0000'))]]), 'SMPP'); // a split header may trail
  assert.equal(nameOf(smpp, {}, [[0, cat(hex('00'), ENQUIRE)]]), undefined);
  // Only the start of a direction (or where a PDU ends) is looked at.
  assert.equal(nameOf(smpp, {}, [[0, text('hello\r\n')], [0, ENQUIRE]]), undefined);
  assert.deepEqual(truncatedNames(smpp, {}, [], BIND), new Set([undefined]));
});

test('smpp: random payloads are not claimed', () => {
  assert.equal(randomClaims(smpp, {}), 0);
  assert.equal(randomClaims(smpp, {}, { prefix: hex('00000010') }), 0);
});
