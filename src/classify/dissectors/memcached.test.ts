import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBinaryHeader, isStorageCommand, isValueLine, isWeakText, memcached } from './memcached.js';
import { cat, hex, nameOf, randomClaims, text, truncatedNames } from './testkit-c.js';

/** A binary GET request for key "Hello" (the protocol documentation's example) and its response. */
const BINARY_GET = hex('80 00 0005 00 00 0000 00000005 00000000 0000000000000000 48656c6c6f');
const BINARY_RESPONSE = hex('81 00 0000 04 00 0000 00000009 00000000 0000000000000001 deadbeef 576f726c64');
/** The classifier's view of a TCP flow (the test kit defaults a `both` dissector to UDP). */
const TCP = { transport: 6 } as const;
/** The UDP frame header: request id 1, sequence 0, one datagram, reserved. */
const FRAME = hex('0001 0000 0001 0000');

test('memcached: a storage command or a VALUE answer names the flow alone', () => {
  for (const line of ['set k 0 0 5\r\n', 'add some:key 12 3600 100 noreply\r\n', 'cas k 0 -1 5 99\r\n', 'prepend k 0 0 1\r\n']) {
    assert.equal(isStorageCommand(text(line), 0, line.length), true, line);
  }
  assert.equal(nameOf(memcached, TCP, [[0, text('set session 0 900 5\r\nhello\r\n')]]), 'Memcached');
  assert.equal(isValueLine(text('VALUE k 0 5\r\n'), 0, 13), true);
  assert.equal(nameOf(memcached, TCP, [[0, text('get k\r\n')], [1, text('VALUE k 0 5 17\r\nhello\r\nEND\r\n')]]), 'Memcached');
  // Fields missing or not numbers, no line end, the wrong case.
  for (const bad of ['set k 0 0\r\n', 'set k 0 0 x\r\n', 'set k 0 0 5', 'SET k 0 0 5\r\n', 'set  0 0 5\r\n', 'cas k 0 0 5\r\n']) {
    assert.equal(nameOf(memcached, TCP, [[0, text(bad)]]), undefined, bad);
  }
  assert.deepEqual(truncatedNames(memcached, TCP, [], text('set k 0 0 5\r\n')), new Set([undefined]));
});

test('memcached: weak words count twice, from one side or both', () => {
  assert.equal(isWeakText(text('get k\r\n'), 0, 7), true);
  assert.equal(isWeakText(text('END\r\n'), 0, 5), true);
  assert.equal(nameOf(memcached, TCP, [[0, text('get k\r\n')], [1, text('END\r\n')]]), 'Memcached');
  assert.equal(nameOf(memcached, TCP, [[0, text('stats\r\n')], [1, text('STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n')]]), 'Memcached');
  assert.equal(nameOf(memcached, TCP, [[0, text('version\r\n')], [1, text('VERSION 1.6.21\r\n')]]), 'Memcached');
  // One weak word alone, or answered by something else.
  assert.equal(nameOf(memcached, TCP, [[0, text('get k\r\n')]]), undefined);
  assert.equal(nameOf(memcached, TCP, [[0, text('get k\r\n')], [1, text('HTTP/1.1 400 Bad Request\r\n')]]), undefined);
  assert.equal(nameOf(memcached, TCP, [[0, text('GET / HTTP/1.1\r\n\r\n')], [1, text('ERROR\r\n')]]), undefined);
});

test('memcached: binary headers must agree with themselves', () => {
  assert.equal(isBinaryHeader(BINARY_GET, 0, BINARY_GET.length), true);
  assert.equal(nameOf(memcached, TCP, [[0, BINARY_GET], [1, BINARY_RESPONSE]]), 'Memcached');
  assert.equal(nameOf(memcached, TCP, [[1, BINARY_RESPONSE]]), 'Memcached');
  // Two requests back to back; a value running past the segment.
  assert.equal(nameOf(memcached, TCP, [[0, cat(BINARY_GET, BINARY_GET)]]), 'Memcached');
  assert.equal(nameOf(memcached, TCP, [[0, hex('80 01 0001 08 00 0000 00100009 00000000 0000000000000000 0000000000000000 6b 7878')]]), 'Memcached');
  const badType = Uint8Array.from(BINARY_GET);
  badType[5] = 1;
  const badLengths = Uint8Array.from(BINARY_GET);
  badLengths[11] = 4; // body shorter than the key
  const trailing = cat(BINARY_GET, hex('ff'));
  for (const b of [badType, badLengths, trailing, BINARY_GET.subarray(0, 23)]) assert.equal(nameOf(memcached, TCP, [[0, b]]), undefined);
});

test('memcached: UDP datagrams carry the frame header', () => {
  const u = { transport: 17 } as const;
  assert.equal(nameOf(memcached, u, [[0, cat(FRAME, text('set k 0 0 1\r\nx\r\n'))]]), 'Memcached');
  assert.equal(nameOf(memcached, u, [[0, cat(FRAME, text('get k\r\n'))], [1, cat(FRAME, text('END\r\n'))]]), 'Memcached');
  assert.equal(nameOf(memcached, u, [[0, cat(FRAME, BINARY_GET)]]), 'Memcached');
  // No frame header, a zero datagram count, a reserved field in use.
  assert.equal(nameOf(memcached, u, [[0, text('set k 0 0 1\r\nx\r\n')]]), undefined);
  assert.equal(nameOf(memcached, u, [[0, cat(hex('0001 0000 0000 0000'), text('set k 0 0 1\r\n'))]]), undefined);
  assert.equal(nameOf(memcached, u, [[0, cat(hex('0001 0000 0001 0100'), text('set k 0 0 1\r\n'))]]), undefined);
});

test('memcached: random payloads are not claimed', () => {
  assert.equal(randomClaims(memcached, { transport: 6 }), 0);
  assert.equal(randomClaims(memcached, { transport: 17 }), 0);
  assert.equal(randomClaims(memcached, { transport: 6 }, { prefix: hex('80') }), 0);
  assert.equal(randomClaims(memcached, { transport: 6 }, { prefix: hex('81 00') }), 0);
  assert.equal(randomClaims(memcached, { transport: 17 }, { prefix: FRAME }), 0);
  assert.equal(randomClaims(memcached, { transport: 6 }, { prefix: text('set ') }), 0);
});
