import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { readCapture } from '../capture/read-capture.js';
import { PacketDecoder, PacketKind } from '../decode/decoder.js';
import { TcpFlag } from '../decode/tcp.js';
import { WeirdCounters } from '../decode/weirds.js';
import { ipv4Text, ipv6Text } from '../flow/ip-text.js';
import { type Dir, HTTP_WEIRDS, type HttpLimits, HttpParser, type HttpParserOptions, type HttpTransaction, hostWithoutPort, MAX_RECORD_URL, parseContentLength, probeHttp } from './http.js';

const te = new TextEncoder();
const td = new TextDecoder();
const bytes = (s: string): Uint8Array => te.encode(s);

function cat(...parts: Array<string | Uint8Array>): Uint8Array {
  const bs = parts.map((p) => (typeof p === 'string' ? bytes(p) : p));
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

type Step = [Dir, string | Uint8Array] | ['gap', Dir, number];

interface Run {
  p: HttpParser;
  weirds: string[];
  reported: HttpTransaction[];
  txs: readonly HttpTransaction[];
}

/** Feeds the steps (each direction's bytes as given), then ends the flow. */
function run(steps: Step[], limits?: Partial<HttpLimits>, opts: HttpParserOptions = {}, end = true): Run {
  const weirds: string[] = [];
  const reported: HttpTransaction[] = [];
  const p = new HttpParser((w) => weirds.push(w), limits, {
    ...opts,
    onTransaction: (tx) => {
      reported.push(tx);
      opts.onTransaction?.(tx);
    },
  });
  let ts = 1_000_000;
  for (const s of steps) {
    if (s[0] === 'gap') p.gap(s[1], s[2]);
    else {
      const b = typeof s[1] === 'string' ? bytes(s[1]) : s[1];
      p.data(s[0], b, 0, b.length, (ts += 1000));
    }
  }
  if (end) p.end();
  return { p, weirds, reported, txs: p.transactions };
}

/** Feeds each direction's bytes in pieces cut at `cuts` (offsets into the whole message). */
function feedCut(p: HttpParser, dir: Dir, b: Uint8Array, cuts: number[]): void {
  let o = 0;
  for (const c of [...cuts, b.length]) {
    // Pieces are views into a larger buffer: the parser must honour `off`/`end`.
    const pad = new Uint8Array(c - o + 6).fill(0x41);
    pad.set(b.subarray(o, c), 3);
    p.data(dir, pad, 3, 3 + c - o, 0);
    o = c;
  }
}

const GET = (path: string, host = 'example.com', extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: t/1\r\n${extra}\r\n`;
const OK = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${bytes(body).length}\r\n${extra}\r\n${body}`;

describe('probeHttp', () => {
  const yes = ['GET / HTTP/1.1\r\n', 'POST /x HTTP/1.0\r\nHost: a\r\n', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 404', 'OPTIONS * HTTP/1.1\n', 'GET /truncated-line-with-no-end'];
  const no = ['SSH-2.0-OpenSSH_8.9 Ubuntu\r\n', 'GET / SIP/2.0\r\n', 'get / HTTP/1.1\r\n', 'HTTP/2 200\r\n', '\x16\x03\x01\x02\x00', 'GETX / HTTP/1.1\r\n', 'NOTIFY sip:a SIP/2.0\r\n', 'GET', ''];
  for (const s of yes) test(`yes: ${JSON.stringify(s)}`, () => assert.ok(probeHttp(bytes(s), 0, bytes(s).length)));
  for (const s of no) test(`no: ${JSON.stringify(s)}`, () => assert.ok(!probeHttp(bytes(s), 0, bytes(s).length)));
  test('honours off and end', () => {
    const b = bytes('xxGET / HTTP/1.1\r\nyy');
    assert.ok(probeHttp(b, 2, b.length - 2));
    assert.ok(!probeHttp(b, 0, b.length));
    assert.ok(!probeHttp(b, 2, 4));
  });
});

describe('HttpParser: requests and responses', () => {
  test('pipelined GET x3, then three responses: matched in order, latency from the timestamps', () => {
    const r = run([
      [0, GET('/a') + GET('/b?q=1') + GET('/c', 'example.com:8080')],
      [1, OK('alpha') + OK('') + OK('gamma!')],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 3);
    assert.deepEqual(
      r.txs.map((t) => [t.method, t.url, t.status, t.responseBodyLength, t.host]),
      [
        ['GET', '/a', 200, 5, 'example.com'],
        ['GET', '/b?q=1', 200, 0, 'example.com'],
        ['GET', '/c', 200, 6, 'example.com:8080'],
      ],
    );
    const t = r.txs[0]!;
    assert.equal(t.version, 'HTTP/1.1');
    assert.equal(t.user_agent, 't/1');
    assert.equal(t.content_type, 'text/plain');
    assert.equal(t.reason, 'OK');
    assert.equal(t.requestTs, 1_001_000);
    assert.equal(t.responseTs, 1_002_000);
    assert.equal(t.latencyUs, 1000);
    assert.deepEqual(t.requestHeaders, [
      ['host', 'example.com'],
      ['user-agent', 't/1'],
    ]);
    assert.equal(r.reported.length, 3);
    assert.deepEqual(r.p.record(), { method: 'GET', url: 'example.com/a', host: 'example.com', status: 200, user_agent: 't/1', content_type: 'text/plain' });
  });

  test('interleaved request / response, keep-alive, POST body by Content-Length', () => {
    const r = run([
      [0, 'POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2'],
      [1, 'HTTP/1.1 201 Created\r\nServer: srv/2\r\nContent-Length: 2\r\n\r\nok'],
      [0, GET('/next', 'h')],
      [1, OK('x')],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 2);
    assert.equal(r.txs[0]!.requestBodyLength, 7);
    assert.equal(r.txs[0]!.request_content_type, 'application/x-www-form-urlencoded');
    assert.equal(r.txs[0]!.server, 'srv/2');
    assert.equal(r.txs[0]!.status, 201);
    assert.equal(r.txs[1]!.url, '/next');
    assert.equal(r.txs[1]!.status, 200);
  });

  test('HEAD, 204 and 304 answers carry no body even with a Content-Length', () => {
    const r = run([
      [0, `HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n${GET('/n', 'a')}${GET('/m', 'a')}${GET('/last', 'a')}`],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'],
      [1, 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n'],
      [1, 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'],
      [1, OK('tail')],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.deepEqual(
      r.txs.map((t) => [t.status, t.responseBodyLength]),
      [
        [200, 0],
        [204, 0],
        [304, 0],
        [200, 4],
      ],
    );
  });

  test('Expect: 100-continue: interim 100, then the body, then the final answer', () => {
    const r = run([
      [0, 'PUT /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'],
      [1, 'HTTP/1.1 100 Continue\r\n\r\n'],
      [0, 'hello'],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
      [0, GET('/after', 'a')],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 2);
    const t = r.txs[0]!;
    assert.deepEqual(t.informational, [100]);
    assert.equal(t.status, 200);
    assert.equal(t.requestBodyLength, 5);
    // ndpiReader reports the first status line seen: 100.
    assert.equal(r.p.record()!.status, 100);
  });

  test('response delimited by the connection close (no length), completed by end()', () => {
    const r = run([
      [0, 'GET / HTTP/1.0\r\n\r\n'],
      [1, 'HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html>'],
      [1, 'more</html>'],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs[0]!.responseBodyLength, 17);
    assert.equal(r.reported.length, 1);
    assert.equal(r.p.record()!.content_type, 'text/html');
    assert.equal(r.txs[0]!.content_type, 'text/html; charset=UTF-8');
  });

  test('LF-only line ends, obs-fold, header names in any case, blank lines between messages', () => {
    const r = run([
      [0, '\r\nGET /lf HTTP/1.1\nhOsT: lf.example\nUSER-AGENT: folded\n  agent/2\n\tand more\n\n\n\r\nGET /two HTTP/1.1\nHost: x\n\n'],
      [1, 'HTTP/1.1 200 OK\ncontent-length: 3\n\nabc'],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 2);
    assert.equal(r.txs[0]!.host, 'lf.example');
    assert.equal(r.txs[0]!.user_agent, 'folded agent/2 and more');
    assert.equal(r.txs[0]!.responseBodyLength, 3);
  });

  test('request-target forms in the record: absolute, authority, asterisk; 255-character cap', () => {
    const abs = run([[0, 'GET http://proxy.example/x HTTP/1.1\r\nHost: proxy.example\r\n\r\n']]);
    assert.equal(abs.p.record()!.url, 'http://proxy.example/x');
    const star = run([[0, 'OPTIONS * HTTP/1.1\r\nHost: h:81\r\n\r\n']]);
    assert.deepEqual(star.p.record(), { method: 'OPTIONS', url: '*', host: 'h' });
    const long = `/${'a'.repeat(400)}`;
    const l = run([[0, GET(long, 'h.example')]]);
    assert.equal(l.txs[0]!.url, long);
    assert.equal((l.p.record()!.url as string).length, MAX_RECORD_URL);
    const noHost = run([[0, 'GET /nohost HTTP/1.0\r\n\r\n']]);
    assert.deepEqual(noHost.p.record(), { method: 'GET', url: '/nohost' });
    const spaces = run([[0, 'GET /a b c HTTP/1.1\r\nHost: s\r\n\r\n']]);
    assert.equal(spaces.txs[0]!.url, '/a b c');
  });

  test('hostWithoutPort, parseContentLength', () => {
    assert.equal(hostWithoutPort('a.example:8080'), 'a.example');
    assert.equal(hostWithoutPort('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(hostWithoutPort('2001:db8::1'), '2001:db8::1');
    assert.equal(hostWithoutPort(' '), undefined);
    assert.equal(parseContentLength('12'), 12);
    assert.equal(parseContentLength('12, 12'), 12);
    assert.equal(parseContentLength('12, 13'), -1);
    assert.equal(parseContentLength('-1'), -1);
    assert.equal(parseContentLength('0x10'), -1);
    assert.equal(parseContentLength('9999999999999999'), -1);
  });

  test('directions reversed by the caller: a response first in direction 0', () => {
    const r = run([
      [1, GET('/rev', 'r.example')],
      [0, OK('yo')],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 1);
    assert.equal(r.txs[0]!.status, 200);
    assert.equal(r.p.record()!.url, 'r.example/rev');
  });

  test('one-sided: responses only, then the record has their status', () => {
    const r = run([[1, `${OK('a')}HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n`]]);
    assert.deepEqual(r.weirds, ['http_unmatched_response', 'http_unmatched_response']);
    assert.deepEqual(r.p.record(), { status: 200, content_type: 'text/plain' });
    assert.equal(new HttpParser(() => {}).record(), undefined);
  });

  test('a response seen before its request: the record takes the first transaction with a request', () => {
    const r = run([
      [1, OK('early')],
      [0, GET('/late', 'l.example')],
    ]);
    assert.equal(r.p.record()!.url, 'l.example/late');
  });
});

describe('HttpParser: chunked transfer coding', () => {
  const chunked = cat(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n',
    '5;name=val;x="q"\r\nhello\r\n',
    '1A \r\nabcdefghijklmnopqrstuvwxyz\r\n',
    '0\r\nX-Trailer: t1\r\nX-Other: t2\r\n\r\n',
    OK('next'),
  );
  const req = bytes(GET('/c1') + GET('/c2'));

  function check(p: HttpParser, weirds: string[]): void {
    p.end();
    assert.deepEqual(weirds, []);
    const [a, b] = p.transactions;
    assert.equal(a!.responseBodyLength, 31);
    assert.deepEqual(a!.responseHeaders.slice(-2), [
      ['x-trailer', 't1'],
      ['x-other', 't2'],
    ]);
    assert.deepEqual(td.decode(a!.responseBody), 'helloabcdefghijklmnopqrstuvwxyz');
    assert.equal(b!.status, 200);
    assert.equal(b!.responseBodyLength, 4);
  }

  test('whole, and split at every byte boundary', () => {
    for (let k = 0; k <= chunked.length; k++) {
      const weirds: string[] = [];
      const p = new HttpParser((w) => weirds.push(w), { maxBodyBytes: 1000 });
      feedCut(p, 0, req, []);
      feedCut(p, 1, chunked, k === 0 || k === chunked.length ? [] : [k]);
      check(p, weirds);
    }
  });

  test('byte by byte', () => {
    const weirds: string[] = [];
    const p = new HttpParser((w) => weirds.push(w), { maxBodyBytes: 1000 });
    feedCut(
      p,
      0,
      req,
      Array.from({ length: req.length - 1 }, (_, i) => i + 1),
    );
    feedCut(
      p,
      1,
      chunked,
      Array.from({ length: chunked.length - 1 }, (_, i) => i + 1),
    );
    check(p, weirds);
  });

  test('chunked request body, LF-only chunk lines', () => {
    const r = run([[0, `POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\nabc\n0\n\n${GET('/2', 'a')}`]]);
    assert.deepEqual(r.weirds, []);
    assert.equal(r.txs.length, 2);
    assert.equal(r.txs[0]!.requestBodyLength, 3);
  });

  test('bad chunk size: weird, then resync on the next response', () => {
    const r = run([
      [0, GET('/a') + GET('/b')],
      [1, `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\ngarbage\r\n${OK('b')}`],
    ]);
    assert.deepEqual(r.weirds, ['http_bad_chunk_size']);
    assert.equal(r.txs[1]!.status, 200);
    assert.equal(r.txs[1]!.responseBodyLength, 1);
    const huge = run([
      [0, GET('/a')],
      [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n'],
    ]);
    assert.deepEqual(huge.weirds, ['http_bad_chunk_size']);
  });
});

describe('HttpParser: content codings (captured bodies)', () => {
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200);
  const plain = bytes(text);

  async function decoded(encoding: string, body: Uint8Array, chunkedBody = false, limits: Partial<HttpLimits> = { maxBodyBytes: 1 << 20 }): Promise<Run> {
    let framed: Uint8Array;
    if (chunkedBody) {
      const half = body.length >> 1;
      framed = cat(
        `HTTP/1.1 200 OK\r\nContent-Encoding: ${encoding}\r\nTransfer-Encoding: chunked\r\n\r\n`,
        `${half.toString(16)}\r\n`,
        body.subarray(0, half),
        `\r\n${(body.length - half).toString(16)}\r\n`,
        body.subarray(half),
        '\r\n0\r\n\r\n',
      );
    } else framed = cat(`HTTP/1.1 200 OK\r\nContent-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    const weirds: string[] = [];
    const reported: HttpTransaction[] = [];
    const p = new HttpParser((w) => weirds.push(w), limits, { captureBodies: true, onTransaction: (t) => reported.push(t) });
    feedCut(p, 0, bytes(GET('/z')), []);
    feedCut(p, 1, framed, [7, framed.length >> 1, framed.length - 3]);
    await p.settled();
    return { p, weirds, reported, txs: p.transactions };
  }

  for (const [enc, body, ch] of [
    ['gzip', gzipSync(plain), false],
    ['gzip', gzipSync(plain), true],
    ['deflate', deflateSync(plain), false],
    ['deflate', deflateRawSync(plain), true],
    ['br', brotliCompressSync(plain), false],
    ['deflate, br', brotliCompressSync(deflateSync(plain)), true],
  ] as Array<[string, Uint8Array, boolean]>) {
    test(`${enc}${ch ? ' (chunked)' : ''}: decoded, reported once after decoding`, async () => {
      const r = await decoded(enc, body, ch);
      assert.deepEqual(r.weirds, []);
      const t = r.txs[0]!;
      assert.equal(t.contentEncoding, enc);
      assert.equal(t.responseBodyLength, body.length);
      assert.equal(td.decode(t.responseBody), text);
      assert.equal(t.decompressionAborted, undefined);
      assert.equal(r.reported.length, 1);
    });
  }

  test('bodies are not kept unless captured; identity kept up to maxBodyBytes', async () => {
    const off = run([[0, GET('/')], [1, OK('abcdef', 'Content-Encoding: gzip\r\n')]]);
    assert.equal(off.txs[0]!.responseBody, undefined);
    const capped = run([[0, GET('/')], [1, OK('abcdef')]], { maxBodyBytes: 4 });
    assert.equal(td.decode(capped.txs[0]!.responseBody), 'abcd');
    const unknown = run([[0, GET('/')], [1, OK('abcdef', 'Content-Encoding: zstd\r\n')]], {}, { captureBodies: true });
    assert.equal(td.decode(unknown.txs[0]!.responseBody), 'abcdef');
    assert.equal(unknown.txs[0]!.contentEncoding, 'zstd');
  });

  test('gzip bomb (50 MB of zeros): stopped by the ratio, weird http_decompression_bomb', async () => {
    const bomb = gzipSync(new Uint8Array(50_000_000), { level: 9 });
    const r = await decoded('gzip', bomb, false, { maxBodyBytes: 64 << 20 });
    assert.deepEqual(r.weirds, ['http_decompression_bomb']);
    const t = r.txs[0]!;
    assert.equal(t.decompressionAborted, 'ratio');
    assert.ok(t.responseBody!.length < 1 << 20);
    assert.equal(t.responseBodyLength, bomb.length);
    assert.equal(r.reported.length, 1);
    const bySize = await decoded('gzip', bomb, true, { maxBodyBytes: 64 << 20, maxDecompressionRatio: 1e9, maxDecompressedBytes: 2 << 20 });
    assert.deepEqual(bySize.weirds, ['http_decompression_bomb']);
    assert.equal(bySize.txs[0]!.decompressionAborted, 'size');
    assert.equal(bySize.txs[0]!.responseBody!.length, 2 << 20);
  });

  test('corrupt coding: weird http_decompression_error', async () => {
    const bad = new Uint8Array(gzipSync(plain));
    bad[0] = 0;
    const r = await decoded('gzip', bad);
    assert.deepEqual(r.weirds, ['http_decompression_error']);
    assert.equal(r.txs[0]!.decompressionAborted, 'error');
  });
});

describe('HttpParser: tunnels and upgrades', () => {
  test('CONNECT answered 200: tunnel, parsing stops', () => {
    const r = run([
      [0, 'CONNECT secure.example:443 HTTP/1.1\r\nHost: secure.example:443\r\n\r\n'],
      [1, 'HTTP/1.1 200 Connection established\r\n\r\n'],
      [0, new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x10, 1, 2, 3])],
      [1, new Uint8Array([0x16, 0x03, 0x03, 0, 0])],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.ok(r.p.done);
    assert.equal(r.txs[0]!.connect, true);
    assert.deepEqual(r.p.record(), { method: 'CONNECT', url: 'secure.example:443', host: 'secure.example', status: 200 });
    assert.equal(r.reported.length, 1);
  });

  test('CONNECT refused (407): no tunnel, HTTP goes on', () => {
    const r = run([
      [0, 'CONNECT s:443 HTTP/1.1\r\n\r\n'],
      [1, 'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'],
      [0, GET('/')],
    ]);
    assert.ok(!r.p.done);
    assert.equal(r.txs.length, 2);
    assert.equal(r.txs[0]!.connect, undefined);
    assert.equal(r.p.record()!.host, 's');
  });

  test('Upgrade: websocket answered 101: parsing stops, frames ignored', () => {
    const r = run([
      [0, 'GET /ws HTTP/1.1\r\nHost: w.example:443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
      [1, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello'],
      [0, new Uint8Array([0x81, 0x85, 1, 2, 3, 4, 5, 6, 7, 8, 9])],
    ]);
    assert.deepEqual(r.weirds, []);
    assert.ok(r.p.done);
    assert.equal(r.txs[0]!.upgrade, 'websocket');
    assert.deepEqual(r.p.record(), { method: 'GET', url: 'w.example:443/ws', host: 'w.example', status: 101 });
  });

  test('h2c upgrade noted', () => {
    const r = run([
      [0, 'GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n'],
      [1, 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'],
    ]);
    assert.equal(r.txs[0]!.upgrade, 'h2c');
  });
});

describe('HttpParser: anomalies, limits, gaps', () => {
  test('garbage where a request line should be: weird, resync on the next request', () => {
    const r = run([
      [0, `\x00\x01\x02binary junk\r\nmore junk GET / HTTP/1.1\r\n${GET('/real')}`],
      [1, `not a status line\r\n${OK('x')}`],
    ]);
    assert.deepEqual(r.weirds, ['http_bad_request_line', 'http_bad_status_line']);
    assert.equal(r.txs.length, 1);
    assert.equal(r.txs[0]!.url, '/real');
    assert.equal(r.txs[0]!.status, 200);
  });

  test('request line without version, status line without a 3-digit code', () => {
    assert.deepEqual(run([[0, 'GET /\r\n\r\n']]).weirds, ['http_bad_request_line']);
    assert.deepEqual(run([[0, GET('/')], [1, 'HTTP/1.1 2000 OK\r\n\r\n']]).weirds, ['http_bad_status_line']);
    assert.deepEqual(run([[0, 'G\x01T / HTTP/1.1\r\n\r\n']]).weirds, ['http_bad_request_line']);
  });

  test('header too long: weird, the lines read make the request, then resync', () => {
    const big = `GET /big HTTP/1.1\r\nHost: big.example\r\nX-Pad: ${'p'.repeat(5000)}\r\n\r\n`;
    const r = run([[0, big + GET('/after')]], { maxHeaderBytes: 1024 });
    assert.deepEqual(r.weirds, ['http_header_too_long']);
    assert.deepEqual(
      r.txs.map((t) => [t.url, t.host]),
      [
        ['/big', 'big.example'],
        ['/after', 'example.com'],
      ],
    );
  });

  test('too many headers: the first maxHeaders kept, framing headers still honoured', () => {
    const many = Array.from({ length: 20 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const r = run([[0, `POST / HTTP/1.1\r\n${many}Content-Length: 3\r\n\r\nabc${GET('/2')}`]], { maxHeaders: 10 });
    assert.deepEqual(r.weirds, ['http_too_many_headers']);
    assert.equal(r.txs[0]!.requestHeaders.length, 10);
    assert.equal(r.txs[0]!.requestBodyLength, 3);
    assert.equal(r.txs[1]!.url, '/2');
  });

  test('header line without colon: weird, skipped', () => {
    const r = run([[0, 'GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n']]);
    assert.deepEqual(r.weirds, ['http_bad_header_line']);
    assert.equal(r.txs[0]!.host, 'h');
  });

  test('bad Content-Length: weird, then resync', () => {
    const r = run([[0, `POST / HTTP/1.1\r\nContent-Length: 12abc\r\n\r\nbody bytes\r\n${GET('/ok')}`]]);
    assert.deepEqual(r.weirds, ['http_bad_content_length']);
    assert.equal(r.txs.length, 2);
    const conflict = run([[0, 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']]);
    assert.deepEqual(conflict.weirds, ['http_bad_content_length']);
  });

  test('length lies: short Content-Length leaves bytes that resync; long one swallows the next request', () => {
    const short = run([[0, `POST /s HTTP/1.1\r\nContent-Length: 2\r\n\r\nabcdef\r\n${GET('/n')}`]]);
    assert.deepEqual(short.weirds, ['http_bad_request_line']);
    assert.deepEqual(
      short.txs.map((t) => t.url),
      ['/s', '/n'],
    );
    const long = run([[0, `POST /l HTTP/1.1\r\nContent-Length: 100\r\n\r\nab${GET('/n')}`]]);
    assert.deepEqual(long.weirds, ['http_message_truncated']);
    assert.equal(long.txs.length, 1);
  });

  test('gap inside a body of known length: the body goes on; then a new request parses', () => {
    const r = run([
      [0, GET('/1')],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'],
      ['gap', 1, 80],
      [1, '0123456789'],
      [0, GET('/2')],
      [1, OK('two')],
    ]);
    assert.deepEqual(r.weirds, ['http_content_gap']);
    assert.deepEqual(
      r.txs.map((t) => [t.url, t.status, t.responseBodyLength]),
      [
        ['/1', 200, 100],
        ['/2', 200, 3],
      ],
    );
  });

  test('gap larger than the body, or in a head: resync at the next request / status line', () => {
    const r = run([
      [0, GET('/1')],
      [1, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01'],
      ['gap', 1, 500],
      [0, 'GET /lost HTTP/1.1\r\nHo'],
      ['gap', 0, 30],
      [0, `st: x\r\n\r\n${GET('/3')}`],
      [1, `tail of something\r\n${OK('ok')}`],
    ]);
    assert.deepEqual(r.weirds, ['http_content_gap', 'http_content_gap']);
    assert.deepEqual(
      r.txs.map((t) => [t.url, t.status]),
      [
        ['/1', 200],
        ['/3', 200],
      ],
    );
  });

  test('gap in a chunk: skipped when within it', () => {
    const r = run([
      [0, GET('/c')],
      [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123'],
      ['gap', 1, 8],
      [1, 'abcd\r\n0\r\n\r\n'],
    ]);
    assert.deepEqual(r.weirds, ['http_content_gap']);
    assert.equal(r.txs[0]!.responseBodyLength, 16);
    assert.equal(r.reported.length, 1);
  });

  test('maxTransactions: the parser stops, weird once', () => {
    const r = run([[0, GET('/1') + GET('/2') + GET('/3') + GET('/4')]], { maxTransactions: 2 });
    assert.deepEqual(r.weirds, ['http_too_many_transactions']);
    assert.equal(r.txs.length, 2);
    assert.ok(r.p.done);
    assert.equal(r.reported.length, 2);
  });

  test('truncated at every byte: never throws, known weirds only, each transaction reported once', () => {
    const reqs = bytes(`${GET('/t1')}POST /t2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody`);
    const resp = bytes(`${OK('first')}HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n`);
    for (const [side, whole] of [
      [0, reqs],
      [1, resp],
    ] as Array<[Dir, Uint8Array]>) {
      for (let k = 0; k <= whole.length; k++) {
        const weirds: string[] = [];
        let reports = 0;
        const p = new HttpParser((w) => weirds.push(w), { maxBodyBytes: 100 }, { onTransaction: () => reports++ });
        if (side === 0) feedCut(p, 0, whole.subarray(0, k), []);
        else {
          feedCut(p, 0, reqs, []);
          feedCut(p, 1, whole.subarray(0, k), []);
        }
        p.end();
        p.end();
        for (const w of weirds) assert.ok((HTTP_WEIRDS as readonly string[]).includes(w), w);
        assert.ok(weirds.every((w) => w === 'http_message_truncated' || w === 'http_unmatched_response'), `${k}: ${weirds}`);
        assert.equal(reports, p.transactions.length);
        assert.ok(p.transactions.length <= 2);
      }
    }
  });

  test('random corruption and random cuts: never throws, bounded, known weirds only', () => {
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const reqs = bytes(`${GET('/r1')}POST /r2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n${GET('/r3')}`);
    const resp = bytes(`${OK('first', 'Content-Encoding: gzip\r\n')}HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\nHTTP/1.1 304 NM\r\n\r\n`);
    for (let iter = 0, iters = Number(process.env.SONDA_FUZZ_ITERS ?? 1500); iter < iters; iter++) {
      const a = new Uint8Array(reqs);
      const b = new Uint8Array(resp);
      for (let m = rnd(6); m > 0; m--) a[rnd(a.length)] = rnd(256);
      for (let m = rnd(6); m > 0; m--) b[rnd(b.length)] = rnd(256);
      const weirds: string[] = [];
      const p = new HttpParser((w) => weirds.push(w), { maxHeaderBytes: 40 + rnd(200), maxHeaders: 1 + rnd(5), maxTransactions: 1 + rnd(4), maxBodyBytes: rnd(2) * 64 }, { captureBodies: rnd(2) === 0 });
      let oa = 0;
      let ob = 0;
      while (oa < a.length || ob < b.length) {
        if (rnd(9) === 0) p.gap(rnd(2) as Dir, 1 + rnd(20));
        if (oa < a.length && (rnd(2) === 0 || ob >= b.length)) {
          const n = 1 + rnd(30);
          p.data(0, a, oa, Math.min(a.length, oa + n), iter);
          oa += n;
        } else {
          const n = 1 + rnd(30);
          p.data(1, b, ob, Math.min(b.length, ob + n), iter);
          ob += n;
        }
      }
      p.end();
      p.record();
      for (const w of weirds) assert.ok((HTTP_WEIRDS as readonly string[]).includes(w) && w !== 'http_internal_error', w);
    }
  });
});

// ---- real captures -------------------------------------------------------------------------------

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

interface Seg {
  seq: number;
  data: Uint8Array;
  /** Sequence space the segment covers (more than `data` when the capture cut it). */
  len: number;
  ts: number;
}

/** One direction's byte stream: in-order delivery, retransmitted bytes dropped, holes → gap(). */
class DirStream {
  next: number | undefined;
  pending: Seg[] = [];
}

interface TestFlow {
  parser: HttpParser;
  streams: [DirStream, DirStream];
  clientIsA: boolean;
}

function addrText(b: Uint8Array, o: number, v: number): string {
  const w = (i: number): number => ((b[o + i]! << 24) | (b[o + i + 1]! << 16) | (b[o + i + 2]! << 8) | b[o + i + 3]!) >>> 0;
  return v === 4 ? ipv4Text(w(0)) : ipv6Text(w(0), w(4), w(8), w(12));
}

function put(f: TestFlow, d: Dir, st: DirStream, s: Seg, skip: number): void {
  if (skip >= s.len) return;
  if (skip < s.data.length) f.parser.data(d, s.data, skip, s.data.length, s.ts);
  const lost = s.len - Math.max(skip, s.data.length);
  if (lost > 0) f.parser.gap(d, lost);
  st.next = (st.next! + s.len - skip) | 0;
}

/** Delivers what is in order; `force` declares a gap up to the earliest held segment. */
function drain(f: TestFlow, d: Dir, st: DirStream, force: boolean): void {
  while (st.pending.length > 0) {
    const next = st.next!;
    st.pending.sort((x, y) => ((x.seq - next) | 0) - ((y.seq - next) | 0));
    const s = st.pending[0]!;
    const diff = (s.seq - next) | 0;
    if (diff > 0 && !force) return;
    st.pending.shift();
    if (diff > 0) {
      f.parser.gap(d, diff);
      st.next = s.seq;
    }
    put(f, d, st, s, -((s.seq - st.next!) | 0));
  }
}

/**
 * The TCP flows of a capture, keyed by the unordered endpoint pair, each direction's payload
 * ordered by sequence number and fed to an HttpParser, the two directions interleaved in
 * capture order. The client is the first packet's sender (a SYN-ACK's receiver).
 */
async function httpOfCapture(path: string, weird: (w: string) => void = () => {}): Promise<Map<string, TestFlow>> {
  const dec = new PacketDecoder(new WeirdCounters());
  const flows = new Map<string, TestFlow>();
  await readCapture(path, {
    frame(data, offset, caplen, wireLen, tsUs, linkType) {
      if (dec.decode(data, offset, caplen, wireLen, linkType, tsUs) !== PacketKind.Ip || dec.l4Proto !== 6 || !dec.tcpValid) return;
      const src = `${addrText(dec.keyBuf, dec.srcOffset, dec.ipVersion)}|${dec.srcPort}`;
      const dst = `${addrText(dec.keyBuf, dec.dstOffset, dec.ipVersion)}|${dec.dstPort}`;
      const fwd = src <= dst;
      const key = fwd ? `${src}|${dst}` : `${dst}|${src}`;
      const flags = dec.tcpFlags;
      let f = flows.get(key);
      if (f === undefined) {
        const synAck = (flags & (TcpFlag.Syn | TcpFlag.Ack)) === (TcpFlag.Syn | TcpFlag.Ack);
        f = { parser: new HttpParser(weird, {}, { captureBodies: true }), streams: [new DirStream(), new DirStream()], clientIsA: fwd !== synAck };
        flows.set(key, f);
      }
      const d: Dir = fwd === f.clientIsA ? 0 : 1;
      const st = f.streams[d];
      if (flags & TcpFlag.Syn) {
        st.next = (dec.tcpSeq + 1) | 0;
        st.pending = [];
        return;
      }
      const len = dec.payloadLength;
      if (len <= 0) return;
      const pe = Math.max(dec.payloadOffset, Math.min(dec.payloadEnd, dec.payloadOffset + len));
      // nDPI's "ACK with payload" heuristic: a bare ACK whose few bytes are all zero is padding
      // counted in the IP length, not stream data.
      if (flags === TcpFlag.Ack && len <= 8 && dec.keyBuf.subarray(dec.payloadOffset, pe).every((x) => x === 0)) return;
      const seg: Seg = { seq: dec.tcpSeq | 0, data: dec.keyBuf.slice(dec.payloadOffset, pe), len, ts: tsUs };
      st.next ??= seg.seq;
      const diff = (seg.seq - st.next) | 0;
      if (diff > 0) st.pending.push(seg);
      else {
        put(f, d, st, seg, -diff);
        drain(f, d, st, false);
      }
      if (st.pending.length > 64) drain(f, d, st, true);
    },
  });
  for (const f of flows.values()) {
    drain(f, 0, f.streams[0], true);
    drain(f, 1, f.streams[1], true);
    f.parser.end();
  }
  return flows;
}

/** The scorer's URL equality (shared/tools/score-flows.mjs): scheme ignored, "/path" + flow host = "host/path". */
function urlAgrees(expected: string, got: unknown, gotHost: unknown): boolean {
  if (typeof got !== 'string') return false;
  if (got === expected) return true;
  const split = (u: string): { host: string; path: string } => {
    const s = u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const i = s.indexOf('/');
    return i < 0 ? { host: s.toLowerCase(), path: '' } : { host: s.slice(0, i).toLowerCase(), path: s.slice(i) };
  };
  const e = split(expected);
  const r = split(got);
  if (e.path !== r.path) return false;
  const h = r.host || (typeof gotHost === 'string' ? gotHost.toLowerCase() : '');
  return e.host === '' || h === '' || e.host === h;
}

interface ExpectedFlow {
  protocol: string;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  app?: { master?: string };
  host?: string;
  http?: { url?: string; status?: number; user_agent?: string };
}

test('http: nDPI corpus flows agree with the expected url, status, user_agent and host', async () => {
  const dir = `${CORPUS}ndpi`;
  const score: Record<string, { ok: number; n: number; misses: string[] }> = {};
  for (const k of ['url', 'status', 'user_agent', 'host']) score[k] = { ok: 0, n: 0, misses: [] };
  let captures = 0;
  for (const name of readdirSync(`${dir}/expected`).sort()) {
    const exp = (JSON.parse(readFileSync(`${dir}/expected/${name}`, 'utf8')) as { flows: ExpectedFlow[] }).flows;
    // HTTP flows only: the `http` fields nDPI sets on RTSP, FastCGI, Xiaomi … flows come from other dissectors.
    const want = exp.filter((f) => f.protocol === 'TCP' && f.http !== undefined && /^HTTP/.test(f.app?.master ?? ''));
    if (want.length === 0) continue;
    captures++;
    const flows = await httpOfCapture(`${dir}/pcap/${name.replace(/\.json$/, '')}`);
    for (const e of want) {
      const c = `${e.client.ip}|${e.client.port}`;
      const s = `${e.server.ip}|${e.server.port}`;
      const rec = (flows.get(`${c}|${s}`) ?? flows.get(`${s}|${c}`))?.parser.record() ?? {};
      const judge = (k: string, expected: unknown, ok: boolean): void => {
        if (expected === undefined) return;
        score[k]!.n++;
        if (ok) score[k]!.ok++;
        else score[k]!.misses.push(`${name} ${c}: ${JSON.stringify(expected)} got ${JSON.stringify(rec[k])}`);
      };
      const h = e.http!;
      judge('url', h.url, h.url !== undefined && urlAgrees(h.url, rec.url, rec.host));
      judge('status', h.status, rec.status === h.status);
      judge('user_agent', h.user_agent, rec.user_agent === h.user_agent);
      judge('host', e.host, typeof rec.host === 'string' && rec.host.toLowerCase() === e.host?.toLowerCase());
    }
  }
  const line = Object.entries(score)
    .map(([k, v]) => `${k} ${v.ok}/${v.n} = ${(v.ok / v.n).toFixed(4)}`)
    .join(', ');
  console.log(`http corpus (${captures} captures): ${line}`);
  for (const v of Object.values(score)) for (const m of v.misses) console.log(`  miss ${m.slice(0, 200)}`);
  assert.ok(captures >= 35, `${captures} captures`);
  // Achieved: url 133/134, status 113/114, user_agent 127/128, host 135/135. The three misses
  // are ndpiReader's behaviour, not parse errors: in http_asymmetric.pcapng (one direction
  // captured per flow) nDPI keeps dissecting and reports the *last* request's url (favicon.ico)
  // and the last response's status (404), where the record holds the first; in
  // http_ua_splitted_in_two_pkts.pcapng nDPI reports the User-Agent cut at the segment end
  // ("Mozil"), where the reassembled stream has it whole.
  assert.ok(score.url!.ok / score.url!.n >= 0.99, line);
  assert.ok(score.status!.ok / score.status!.n >= 0.99, line);
  assert.ok(score.user_agent!.ok / score.user_agent!.n >= 0.99, line);
  assert.ok(score.host!.ok / score.host!.n >= 0.99, line);
});

test('http: every TCP stream of the tcpdump captures (HTTP or not) parses without an internal error', async () => {
  const dir = `${CORPUS}tcpdump`;
  const seen = new Map<string, number>();
  let flows = 0;
  for (const name of readdirSync(dir).sort()) {
    const got = await httpOfCapture(`${dir}/${name}`, (w) => seen.set(w, (seen.get(w) ?? 0) + 1)).catch((e: unknown) => {
      // Files the reader refuses (not a capture at all) are the reader's business.
      if ((e as { code?: string }).code?.startsWith('SONDA_E_')) return new Map<string, TestFlow>();
      throw e;
    });
    for (const f of got.values()) await f.parser.settled();
    flows += got.size;
  }
  assert.ok(flows > 100, `${flows} flows`);
  assert.equal(seen.get('http_internal_error'), undefined);
  for (const w of seen.keys()) assert.ok((HTTP_WEIRDS as readonly string[]).includes(w), w);
});
