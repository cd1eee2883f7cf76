import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../testing/random.js';
import { ByteSink, DEFAULT_MIME_LIMITS, DotReader, decodeBase64, decodeEncodedWords, LineSplitter, parseMime, parseParams } from './mime.js';

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const crlf = (lines: string[]): string => lines.join('\r\n');

/** A weird counter. */
function weirds(): { fn: (n: string) => void; seen: Record<string, number> } {
  const seen: Record<string, number> = {};
  return { fn: (n) => (seen[n] = (seen[n] ?? 0) + 1), seen };
}

const ATTACHMENT = Buffer.alloc(1000, 0).map((_, i) => (i * 7) & 0xff);
const ATTACHMENT_B64 = Buffer.from(ATTACHMENT).toString('base64').replace(/(.{76})/g, '$1\r\n');

export const MULTIPART = crlf([
  'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>',
  'To: Bob <bob@example.com>,',
  '  Carol <carol@example.com>',
  'Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?Q?_aus_K=C3=B6ln?=',
  '  and more',
  'Date: Mon, 23 Nov 2026 12:00:00 +0000',
  'Message-ID: <abc@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello K=C3=B6ln, soft=',
  ' break',
  '--inner',
  'Content-Type: text/html',
  '',
  '<p>Hello</p>',
  '--inner--',
  '--outer',
  'Content-Type: application/octet-stream; name="wrong.bin"',
  'Content-Disposition: attachment; filename="report.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  ATTACHMENT_B64,
  '--outer',
  'Content-Type: application/pdf',
  'Content-Disposition: attachment;',
  " filename*=UTF-8''%E2%82%AC%20invoice.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0=',
  '--outer--',
  'epilogue',
  '',
]);

describe('mime: headers', () => {
  test('unfolding and RFC 2047 encoded-words', () => {
    const w = weirds();
    const m = parseMime(enc(MULTIPART), w.fn);
    assert.equal(m.subject, 'Grüße aus Köln and more');
    assert.equal(m.from, 'Jürgen <j@example.org>');
    assert.equal(m.to, 'Bob <bob@example.com>, Carol <carol@example.com>');
    assert.equal(m.date, 'Mon, 23 Nov 2026 12:00:00 +0000');
    assert.equal(m.message_id, '<abc@example.org>');
    assert.deepEqual(w.seen, {});
  });
  test('encoded-words: adjacent words join, unknown charset falls back', () => {
    assert.equal(decodeEncodedWords('=?utf-8?q?a?= =?utf-8?q?b?= c'), 'ab c');
    assert.equal(decodeEncodedWords('=?x-unknown?B?aGk=?='), 'hi');
    assert.equal(decodeEncodedWords('plain'), 'plain');
  });
  test('parameters: quoted, RFC 2231 extended and continuations', () => {
    assert.equal(parseParams('attachment; filename="a \\"b\\".txt"').params.get('filename'), 'a "b".txt');
    assert.equal(parseParams("attachment; filename*=iso-8859-1'en'%E4.txt").params.get('filename'), 'ä.txt');
    assert.equal(parseParams('attachment; filename*0="long"; filename*1="name.txt"').params.get('filename'), 'longname.txt');
    const ct = parseParams('Multipart/Mixed;boundary=abc');
    assert.equal(ct.value, 'multipart/mixed');
    assert.equal(ct.params.get('boundary'), 'abc');
  });
});

describe('mime: bodies', () => {
  test('nested multipart, base64 attachment filename and decoded size, text kept', () => {
    const w = weirds();
    const m = parseMime(enc(MULTIPART), w.fn);
    assert.deepEqual(m.parts, [
      { content_type: 'text/plain', encoding: 'quoted-printable', size: Buffer.byteLength('Hello Köln, soft break') },
      { content_type: 'text/html', size: '<p>Hello</p>'.length },
      { content_type: 'application/octet-stream', filename: 'report.bin', encoding: 'base64', size: 1000 },
      { content_type: 'application/pdf', filename: '€ invoice.pdf', encoding: 'base64', size: 5 },
    ]);
    assert.equal(m.text, 'Hello Köln, soft break');
    assert.deepEqual(w.seen, {});
  });
  test('LF-only line ends read the same', () => {
    const m = parseMime(enc(MULTIPART.replace(/\r\n/g, '\n')), () => undefined);
    assert.deepEqual(
      m.parts.map((p) => [p.filename, p.size]),
      [
        [undefined, Buffer.byteLength('Hello Köln, soft break')],
        [undefined, 12],
        ['report.bin', 1000],
        ['€ invoice.pdf', 5],
      ],
    );
  });
  test('a single-part message is one part (text/plain by default)', () => {
    const m = parseMime(enc('Subject: hi\r\n\r\nbody\r\n'), () => undefined);
    assert.deepEqual(m.parts, [{ content_type: 'text/plain', size: 6 }]);
    assert.equal(m.text, 'body\r\n');
  });
  test('base64 decoding counts bytes and flags bad input', () => {
    const r = decodeBase64(enc('aGVsbG8='), 0, 8);
    assert.deepEqual([Buffer.from(r.bytes).toString(), r.size, r.bad], ['hello', 5, false]);
    assert.equal(decodeBase64(enc('aGV*sbG8='), 0, 9).bad, true);
    assert.equal(decodeBase64(enc('aGVsbG8=x'), 0, 9).bad, true);
  });
});

describe('mime: malformed input never throws', () => {
  test('endless headers', () => {
    const w = weirds();
    const big = enc(`Subject: x\r\n${'X-Junk: aaaaaaaaaaaaaaaaaaaa\r\n'.repeat(10000)}`);
    const m = parseMime(big, w.fn);
    assert.equal(w.seen.mime_header_too_long, 1);
    assert.equal(w.seen.mime_too_many_headers, 1);
    assert.equal(m.subject, 'x');
    assert.equal(m.headers.length, DEFAULT_MIME_LIMITS.maxHeaders);
    const w2 = weirds();
    parseMime(enc(`Subject: ${'a'.repeat(200000)}`), w2.fn);
    assert.equal(w2.seen.mime_header_too_long, 1);
  });
  test('missing boundary end, missing boundary, no delimiter', () => {
    const w = weirds();
    const m = parseMime(enc('Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo='), w.fn);
    assert.equal(w.seen.mime_missing_boundary_end, 1);
    assert.deepEqual(
      m.parts.map((p) => [p.content_type, p.size]),
      [
        ['text/plain', 2],
        ['image/png', 8],
      ],
    );
    const w2 = weirds();
    assert.equal(parseMime(enc('Content-Type: multipart/mixed\r\n\r\nx'), w2.fn).parts.length, 1);
    assert.equal(w2.seen.mime_no_boundary, 1);
    const w3 = weirds();
    assert.equal(parseMime(enc('Content-Type: multipart/mixed; boundary=q\r\n\r\nx'), w3.fn).parts.length, 0);
    assert.equal(w3.seen.mime_boundary_not_found, 1);
  });
  test('bad base64 and bad quoted-printable', () => {
    const w = weirds();
    const m = parseMime(enc('Content-Transfer-Encoding: base64\r\n\r\n!!!!aGVsbG8=\r\n'), w.fn);
    assert.equal(w.seen.mime_bad_base64, 1);
    assert.equal(m.parts[0]!.size, 5);
    const w2 = weirds();
    parseMime(enc('Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ\r\n'), w2.fn);
    assert.equal(w2.seen.mime_bad_quoted_printable, 1);
  });
  test('deep nesting and many parts are bounded', () => {
    let body = 'leaf';
    for (let d = 0; d < 20; d++) body = `Content-Type: multipart/mixed; boundary=b${d}\r\n\r\n--b${d}\r\n${body}\r\n--b${d}--\r\n`;
    const w = weirds();
    parseMime(enc(body), w.fn);
    assert.equal(w.seen.mime_too_deep, 1);
    const many = `Content-Type: multipart/mixed; boundary=z\r\n\r\n${'--z\r\n\r\nx\r\n'.repeat(500)}--z--\r\n`;
    const w2 = weirds();
    assert.equal(parseMime(enc(many), w2.fn).parts.length, DEFAULT_MIME_LIMITS.maxParts);
    assert.equal(w2.seen.mime_too_many_parts, 1);
  });
  test('random bytes and cut messages', () => {
    const rnd = seededRandom(7);
    const src = enc(MULTIPART);
    for (let i = 0; i < 300; i++) {
      const b = Uint8Array.from(src);
      for (let k = 0; k < 20; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      parseMime(b.subarray(0, Math.floor(rnd() * b.length)), () => undefined);
    }
    for (let n = 0; n < src.length; n += 7) parseMime(src.subarray(0, n), () => undefined, DEFAULT_MIME_LIMITS, true);
  });
});

describe('mime: stream helpers', () => {
  test('LineSplitter joins lines across chunks and cuts long ones', () => {
    const sp = new LineSplitter(8);
    const got: Array<[string, boolean]> = [];
    const data = enc('ab\r\ncdefghijklmn\r\nx\n');
    for (let i = 0; i < data.length; i++) {
      let off = i;
      while (off < i + 1) {
        off = sp.feed(data, off, i + 1);
        if (sp.line !== null) got.push([sp.line, sp.tooLong]);
      }
    }
    assert.deepEqual(got, [
      ['ab', false],
      ['cdefghij', true],
      ['x', false],
    ]);
  });
  test('DotReader unstuffs and stops at the dot line, split anywhere', () => {
    const data = enc('a\r\n..b\r\n.\r\nrest');
    for (let cut = 0; cut <= 10; cut++) {
      const sink = new ByteSink(100);
      const r = new DotReader(sink);
      const a = r.feed(data, 0, cut);
      const b = a.ended ? a : r.feed(data, cut, data.length);
      assert.equal(b.ended, true);
      assert.equal(b.off, 11);
      assert.equal(Buffer.from(sink.bytes()).toString(), 'a\r\n.b\r\n');
    }
  });
  test('ByteSink keeps up to its cap and counts the rest', () => {
    const s = new ByteSink(4);
    s.push(enc('abcdef'), 0, 6);
    assert.equal(Buffer.from(s.bytes()).toString(), 'abcd');
    assert.equal(s.total, 6);
    assert.equal(s.truncated, true);
  });
});
