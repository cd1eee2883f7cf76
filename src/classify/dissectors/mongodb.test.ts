import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMongoMessage, mongodb } from './mongodb.js';
import { cat, classifyCapture, hex, nameOf, ndpiPcap, randomClaims, truncatedNames } from './testkit-c.js';

/** OP_MSG: `{isMaster: 1, $db: "admin"}` in a kind-0 section. */
const OP_MSG = hex('37000000 01000000 00000000 dd070000 00000000 00 22000000 1069734d617374657200 01000000 0224646200 06000000 61646d696e00 00');
/** OP_QUERY on admin.$cmd (what old drivers open with). */
const OP_QUERY = hex('3a000000 02000000 00000000 d4070000 00000000 61646d696e2e24636d6400 00000000 ffffffff 13000000 1069734d617374657200 01000000 00');
/** OP_REPLY with one document. */
const OP_REPLY = hex('34000000 03000000 02000000 01000000 08000000 0000000000000000 00000000 01000000 10000000 0869736d617374657200 01 00');

test('mongodb: messages of each kind, from either side', () => {
  for (const m of [OP_MSG, OP_QUERY, OP_REPLY]) assert.equal(isMongoMessage(m, 0, m.length), true);
  assert.equal(nameOf(mongodb, {}, [[0, OP_MSG]]), 'MongoDB');
  assert.equal(nameOf(mongodb, {}, [[0, OP_QUERY], [1, OP_REPLY]]), 'MongoDB');
  assert.equal(nameOf(mongodb, {}, [[1, OP_REPLY]]), 'MongoDB');
  // A large insert whose document runs past the first segment.
  const big = hex('00100000 05000000 00000000 dd070000 00000000 00 eb0f0000 0278000000');
  assert.equal(nameOf(mongodb, {}, [[0, big]]), 'MongoDB');
  // OP_COMPRESSED wrapping an OP_MSG with zlib (2).
  assert.equal(nameOf(mongodb, {}, [[0, hex('20000000 06000000 00000000 dc070000 dd070000 30000000 02 789c0300 0000 01')]]), 'MongoDB');
});

test('mongodb: a header alone is not enough', () => {
  const badFlags = Uint8Array.from(OP_MSG);
  badFlags[17] = 0x01; // flag bit 8: undefined
  const badKind = Uint8Array.from(OP_MSG);
  badKind[20] = 2;
  const replyFlags = Uint8Array.from(OP_REPLY);
  replyFlags[16] = 0x8f; // only the low four bits are response flags
  const noDot = hex('2c000000 02000000 00000000 d4070000 00000000 61646d696e00 00000000 ffffffff 05000000 00');
  const badOpcode = Uint8Array.from(OP_MSG);
  badOpcode[12] = 0xde;
  for (const m of [badFlags, badKind, replyFlags, noDot, badOpcode, cat(hex('10000000'), OP_MSG.subarray(4))]) assert.equal(nameOf(mongodb, {}, [[0, m]]), undefined);
  assert.deepEqual(truncatedNames(mongodb, {}, [], OP_MSG.subarray(0, 21)), new Set([undefined]));
});

test('mongodb: the TLS flow nDPI once took for MongoDB is not claimed', async () => {
  const flows = await classifyCapture(ndpiPcap('mongo_false_positive.pcapng'), [mongodb]);
  assert.deepEqual(flows.filter((f) => f.protocol === 'MongoDB'), []);
});

test('mongodb: random payloads are not claimed', () => {
  assert.equal(randomClaims(mongodb, {}), 0);
  assert.equal(randomClaims(mongodb, {}, { prefix: hex('40000000 01000000 00000000 dd070000') }), 0);
  assert.equal(randomClaims(mongodb, {}, { prefix: hex('40000000 01000000 00000000 01000000') }), 0);
  assert.equal(randomClaims(mongodb, {}, { prefix: hex('40000000 01000000 00000000 d4070000') }), 0);
});
