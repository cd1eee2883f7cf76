import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRespAggregate, isRespBulk, isRespInline, isRespReplyLine, resp } from './resp.js';
import { cat, dpiNames, nameOf, randomClaims, tcpdumpPcap, text, truncatedNames } from './testkit-c.js';

const SET = text('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');

test('resp: the tcpdump captures (redis-benchmark, an inline session, hostile inputs)', async () => {
  assert.deepEqual(await dpiNames(tcpdumpPcap('resp_1_benchmark.pcap'), [resp]), { RESP: 15 });
  assert.deepEqual(await dpiNames(tcpdumpPcap('resp_2_inline.pcap'), [resp]), { RESP: 1 });
  // resp_3: 17 malformed attacks; the three that are valid RESP are named, the rest left to the port.
  assert.deepEqual(await dpiNames(tcpdumpPcap('resp_3_malicious.pcap'), [resp]), { RESP: 3 });
  assert.deepEqual(await dpiNames(tcpdumpPcap('resp_4_infiniteloop.pcapng'), [resp]), {});
});

test('resp: an array of bulk strings from either side, split or not', () => {
  assert.equal(isRespAggregate(SET, 0, SET.length), true);
  assert.equal(nameOf(resp, {}, [[0, SET]]), 'RESP');
  // A large value runs past the first segment.
  const big = cat(text('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000\r\n'), new Uint8Array(1000).fill(0x78), text('\r\n'));
  assert.equal(nameOf(resp, {}, [[0, big.subarray(0, 536)], [0, big.subarray(536)]]), 'RESP');
  assert.equal(nameOf(resp, {}, [[1, text('$1000\r\n'), ], [1, new Uint8Array(1002)]]), undefined);
  assert.equal(nameOf(resp, {}, [[1, cat(text('$1000\r\n'), new Uint8Array(530))]]), 'RESP');
  // An array reply (KEYS), a RESP3 map (HELLO 3) and a push.
  assert.equal(nameOf(resp, {}, [[1, text('*2\r\n$1\r\na\r\n$1\r\nb\r\n')]]), 'RESP');
  assert.equal(nameOf(resp, {}, [[1, text('%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n')]]), 'RESP');
  assert.equal(nameOf(resp, {}, [[1, text('>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n')]]), 'RESP');
  // A bulk reply alone, exactly.
  assert.equal(isRespBulk(text('$5\r\nhello\r\n'), 0, 11), true);
  assert.equal(nameOf(resp, {}, [[1, text('$5\r\nhello\r\n')]]), 'RESP');
});

test('resp: counts and lengths must agree', () => {
  for (const bad of ['*0\r\n', '*3\r\n+OK\r\n', '*3\r\n$3\r\nSETX\r\n', '*x\r\n$3\r\nSET\r\n', '*3\n$3\nSET\n', '$5\r\nhell\r\n', '$5\r\nhello\r\nX', '*-1\r\n']) {
    assert.equal(nameOf(resp, {}, [[0, text(bad)]]), undefined, bad);
  }
  assert.deepEqual(truncatedNames(resp, {}, [], SET.subarray(0, 12)), new Set([undefined]));
});

test('resp: an inline command needs a reply line from the server', () => {
  assert.equal(isRespInline(text('PING\r\n'), 0, 6), true);
  assert.equal(isRespInline(text('set k 1\r\n'), 0, 9), true);
  assert.equal(nameOf(resp, {}, [[0, text('PING\r\n')]]), undefined);
  assert.equal(nameOf(resp, {}, [[0, text('PING\r\n')], [1, text('+PONG\r\n')]]), 'RESP');
  assert.equal(nameOf(resp, {}, [[0, text('get k\r\n')], [0, text('incr n\r\n')], [1, text('$-1\r\n:1\r\n')]]), 'RESP');
  assert.equal(nameOf(resp, {}, [[0, text('AUTH x\r\n')], [1, text('-ERR invalid password\r\n')]]), 'RESP');
  for (const line of ['+OK\r\n', '-ERR x\r\n', ':-12\r\n', '$-1\r\n', '*3\r\n', '_\r\n', '#t\r\n', ',1.5\r\n']) assert.equal(isRespReplyLine(text(line), 0, line.length), true, line);
  // Another text protocol: an HTTP request answered by HTTP, a server that speaks first.
  assert.equal(nameOf(resp, {}, [[0, text('GET / HTTP/1.1\r\n\r\n')], [1, text('HTTP/1.1 200 OK\r\n\r\n')]]), undefined);
  assert.equal(nameOf(resp, {}, [[1, text('+OK POP3 ready\r\n')], [0, text('QUIT\r\n')], [1, text('+OK bye\r\n')]]), undefined);
  assert.equal(nameOf(resp, {}, [[0, text('FROB x\r\n')], [1, text('+OK\r\n')]]), undefined);
  assert.equal(nameOf(resp, {}, [[0, text('PING\r\n')], [1, text('+PONG')]]), undefined);
});

test('resp: random payloads are not claimed', () => {
  assert.equal(randomClaims(resp, {}), 0);
  assert.equal(randomClaims(resp, {}, { prefix: text('*') }), 0);
  assert.equal(randomClaims(resp, {}, { prefix: text('*1\r\n$') }), 0);
  assert.equal(randomClaims(resp, {}, { prefix: text('$') }), 0);
  assert.equal(randomClaims(resp, {}, { prefix: text('PING\r\n') }), 0);
});
