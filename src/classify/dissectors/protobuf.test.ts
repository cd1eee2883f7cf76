import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isProtobufMessage, protobuf } from './protobuf.js';
import { dpiCounts, hex, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('protobuf: bare messages in the corpus (nDPI: 5; one holds two fields only)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('protobuf.pcap'), [protobuf]), { Protobuf: 4 });
});

// field 2 "bla", field 4 { 1: 1, 2: "test1" }, field 5 fixed32, then a tag whose value is in the next segment.
const MSG = hex('1203626c61 2209 0801 1205 7465737431 2d f3000000 0a');

test('protobuf: fields must run to the end, with three whole ones and some text', () => {
  assert.ok(isProtobufMessage(MSG, 0, MSG.length));
  assert.equal(verdictOf(protobuf, {}, [{ dir: 0, data: MSG }]), 'Protobuf');
  assert.equal(isProtobufMessage(MSG, 0, MSG.length - 2), false); // cut inside the fixed32
  const noText = hex('0801 1002 1803 2004');
  assert.equal(isProtobufMessage(noText, 0, noText.length), false);
  const wireType3 = hex('1203626c61 0b 0801 1002');
  assert.equal(isProtobufMessage(wireType3, 0, wireType3.length), false);
  const lengthPastEnd = hex('1203626c61 0801 1002 1a40 616263');
  assert.equal(isProtobufMessage(lengthPastEnd, 0, lengthPastEnd.length), false);
  // Only the client's first payload counts.
  assert.equal(verdictOf(protobuf, {}, [{ dir: 0, data: hex('ffff') }, { dir: 0, data: MSG }]), undefined);
});

test('protobuf: random payloads are never claimed', () => {
  assert.equal(randomClaims(protobuf, {}, 17, 4000), 0);
  assert.equal(randomClaims(protobuf, {}, 18, 4000, 40), 0);
});
