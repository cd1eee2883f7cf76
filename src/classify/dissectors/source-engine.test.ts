import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceEngine } from './source-engine.js';
import { cat, dpiNames, hex, ndpiPcap, nameOf, randomClaims, text } from './testkit-c.js';

const INFO = cat(hex('ffffffff 54'), text('Source Engine Query\0'));

test('source engine: corpus A2S_INFO queries', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('source_engine.pcap'), [sourceEngine]), { Source_Engine: 17 });
});

test('source engine: A2S_INFO with or without a challenge, and its answer', () => {
  assert.equal(nameOf(sourceEngine, { serverPort: 27015 }, [[0, INFO]]), 'Source_Engine');
  assert.equal(nameOf(sourceEngine, {}, [[0, cat(INFO, hex('0a0b0c0d'))]]), 'Source_Engine');
  assert.equal(nameOf(sourceEngine, {}, [[0, cat(INFO, hex('0a0b'))]]), undefined);
  assert.equal(nameOf(sourceEngine, {}, [[0, cat(hex('ffffffff 54'), text('Source Engine Quer'))]]), undefined);
  const answer = cat(hex('ffffffff 49 11'), text('My server\0de_dust2\0csgo\0Counter-Strike\0'), hex('da02 0a 14 00 64 6c 00 01'));
  assert.equal(nameOf(sourceEngine, {}, [[1, answer]]), 'Source_Engine');
  assert.equal(nameOf(sourceEngine, {}, [[1, cat(hex('ffffffff 49 11'), text('My server\0de_dust2\0'))]]), undefined);
});

test('source engine: a challenge request counts only with its answer', () => {
  const players = hex('ffffffff 55 ffffffff');
  assert.equal(nameOf(sourceEngine, {}, [[0, players]]), undefined);
  assert.equal(nameOf(sourceEngine, {}, [[0, players], [1, hex('ffffffff 41 4a4b4c4d')]]), 'Source_Engine');
  assert.equal(nameOf(sourceEngine, {}, [[0, players], [1, hex('ffffffff 42 4a4b4c4d')]]), undefined);
  assert.equal(nameOf(sourceEngine, {}, [[1, hex('ffffffff 41 4a4b4c4d')]]), undefined);
});

test('source engine: random payloads are not claimed', () => {
  assert.equal(randomClaims(sourceEngine, { serverPort: 27015 }), 0);
  assert.equal(randomClaims(sourceEngine, { serverPort: 27015 }, { prefix: hex('ffffffff') }), 0);
});
