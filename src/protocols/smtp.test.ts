import assert from 'node:assert/strict';
import { testFlowStart } from '../testing/flow-start.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../capture/read-capture.js';
import type { Consumer, Dir, EventFields, FlowStart } from '../engine/consumer.js';
import { Engine, type EventRecord } from '../engine/engine.js';
import { imapConsumer } from './imap.js';
import { pop3Consumer } from './pop3.js';
import { SmtpParser, smtpConsumer, smtpEvents } from './smtp.js';

type Step = [Dir, string];

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ATT = Buffer.alloc(3000).map((_, i) => (i * 13) & 0xff);

const MESSAGE = [
  'From: Alice <alice@example.org>',
  'To: bob@example.com',
  'Subject: =?UTF-8?Q?Caf=C3=A9?= report',
  'Date: Mon, 23 Nov 2026 10:00:00 +0000',
  'Message-ID: <m1@example.org>',
  'Content-Type: multipart/mixed; boundary="BB"',
  '',
  '--BB',
  'Content-Type: text/plain',
  '',
  '.leading dot line',
  '..',
  '--BB',
  'Content-Type: application/zip',
  'Content-Disposition: attachment; filename="data.zip"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(ATT).toString('base64').replace(/(.{76})/g, '$1\r\n'),
  '--BB--',
  '',
].join('\r\n');

/** Dot-stuffing as a client does it. */
const stuff = (m: string): string => m.replace(/^\./gm, '..');

const DIALOGUE: Step[] = [
  [1, '220 mx.example.com ESMTP Postfix\r\n'],
  [0, 'EHLO client.example.org\r\n'],
  [1, '250-mx.example.com\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING\r\n'],
  [0, 'AUTH LOGIN\r\n'],
  [1, `334 ${b64('Username:')}\r\n`],
  [0, `${b64('alice')}\r\n`],
  [1, `334 ${b64('Password:')}\r\n`],
  [0, `${b64('secret')}\r\n`],
  [1, '235 2.7.0 Authentication successful\r\n'],
  // Pipelined envelope.
  [0, 'MAIL FROM:<alice@example.org> SIZE=5000\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n'],
  [1, '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 unknown\r\n354 End data with <CR><LF>.<CR><LF>\r\n'],
  [0, `${stuff(MESSAGE)}.\r\n`],
  [1, '250 2.0.0 Ok: queued as ABC123\r\n'],
  [0, 'MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.com>\r\nBDAT 42\r\nSubject: chunked\r\n\r\nhello there, in BDAT\r\nBDAT 0 LAST\r\n'],
  [1, '250 Ok\r\n250 Ok\r\n250 42 bytes\r\n250 Ok: queued as DEF\r\n'],
  [0, 'MAIL FROM:<x@example.org>\r\nRSET\r\n'],
  [1, '250 Ok\r\n250 Ok\r\n'],
  [0, 'QUIT\r\n'],
  [1, '221 Bye\r\n'],
];

/** Feeds steps to a fresh parser, each step cut at `cut` (if inside it). */
function run(steps: Step[], cutStep = -1, cut = 0, byteByByte = false): { events: EventFields[]; weirds: string[]; parser: SmtpParser } {
  const weirds: string[] = [];
  const p = new SmtpParser((n) => weirds.push(n));
  steps.forEach(([dir, s], i) => {
    const b = Buffer.from(s, 'latin1');
    if (byteByByte) for (let k = 0; k < b.length; k++) p.data(dir, b, k, k + 1, 1e6 * (i + 1));
    else if (i === cutStep) {
      p.data(dir, b, 0, cut, 1e6 * (i + 1));
      p.data(dir, b, cut, b.length, 1e6 * (i + 1));
    } else p.data(dir, b, 0, b.length, 1e6 * (i + 1));
  });
  return { events: smtpEvents(p), weirds, parser: p };
}

describe('smtp: dialogue', () => {
  test('envelope, AUTH LOGIN user, pipelined replies, dot-unstuffing, attachment, BDAT, RSET', () => {
    const { events, weirds, parser } = run(DIALOGUE);
    assert.deepEqual(weirds, []);
    assert.equal(parser.quit, true);
    assert.equal(events.length, 3);
    const [a, b, c] = events as [EventFields, EventFields, EventFields];
    assert.equal(a.type, 'smtp');
    assert.equal(a.helo, 'client.example.org');
    assert.equal(a.user, 'alice');
    assert.equal(a.auth_mech, 'LOGIN');
    assert.equal(a.auth_success, true);
    assert.equal(a.mail_from, 'alice@example.org');
    assert.deepEqual(a.rcpt_to, ['bob@example.com', 'nobody@example.com']);
    assert.deepEqual(a.rcpt_status, [250, 550]);
    assert.equal(a.mail_status, 250);
    assert.equal(a.data_status, 354);
    assert.equal(a.status, 250);
    assert.equal(a.reply, '2.0.0 Ok: queued as ABC123');
    assert.equal(a.subject, 'Café report');
    assert.equal(a.from, 'Alice <alice@example.org>');
    assert.equal(a.to, 'bob@example.com');
    assert.equal(a.date, 'Mon, 23 Nov 2026 10:00:00 +0000');
    assert.equal(a.message_id, '<m1@example.org>');
    assert.deepEqual(a.parts, [
      { content_type: 'text/plain', size: '.leading dot line\r\n..'.length },
      { content_type: 'application/zip', filename: 'data.zip', encoding: 'base64', size: 3000 },
    ]);
    assert.equal(a.message_bytes, Buffer.byteLength(MESSAGE));
    assert.equal(a.ts, 10);
    assert.equal(a.body_text, '.leading dot line\r\n..', 'the decoded text body, dot-unstuffed, reaches consumers');
    assert.equal(b.subject, 'chunked');
    assert.deepEqual(b.rcpt_to, ['carol@example.com']);
    assert.equal(b.status, 250);
    assert.equal(b.message_bytes, 42);
    assert.deepEqual(b.parts, [{ content_type: 'text/plain', size: 22 }]);
    assert.equal(c.mail_from, 'x@example.org');
    assert.equal(c.status, undefined);
  });

  test('split at every byte boundary gives the same events', () => {
    const whole = JSON.stringify(run(DIALOGUE).events);
    let runs = 0;
    DIALOGUE.forEach(([, s], i) => {
      for (let cut = 1; cut < s.length; cut++) {
        const r = run(DIALOGUE, i, cut);
        assert.equal(JSON.stringify(r.events), whole, `step ${i} cut ${cut}`);
        assert.deepEqual(r.weirds, []);
        runs++;
      }
    });
    assert.ok(runs > 4000);
    assert.equal(JSON.stringify(run(DIALOGUE, -1, 0, true).events), whole);
  });

  test('STARTTLS: done after the 220, nothing parsed after it', () => {
    const { events, parser } = run([
      [1, '220 mx ESMTP\r\n'],
      [0, 'EHLO me\r\n'],
      [1, '250-mx\r\n250 STARTTLS\r\n'],
      [0, 'STARTTLS\r\n'],
      [1, '220 2.0.0 Ready to start TLS\r\n'],
      [0, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03MAIL FROM:<x@y>\r\n'],
    ]);
    assert.equal(parser.done, true);
    assert.deepEqual(events, [{ type: 'smtp', helo: 'me', starttls: true, greeting: 'mx ESMTP' }]);
  });

  test('STARTTLS refused: the dialogue goes on', () => {
    const { events, parser } = run([
      [0, 'EHLO me\r\nSTARTTLS\r\n'],
      [1, '220 mx ESMTP\r\n250 mx\r\n454 TLS not available\r\n'],
      [0, 'MAIL FROM:<a@b>\r\n'],
    ]);
    assert.equal(parser.tls, false);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.mail_from, 'a@b');
  });

  test('AUTH PLAIN with and without an initial response', () => {
    const plain = b64('\0bob\0pw');
    assert.equal(run([[0, `EHLO x\r\nAUTH PLAIN ${plain}\r\n`]]).parser.user, 'bob');
    assert.equal(run([[0, `EHLO x\r\nAUTH PLAIN\r\n${b64('admin\0bob\0pw')}\r\n`]]).parser.user, 'admin');
    const r = run([
      [0, `AUTH PLAIN ${plain}\r\n`],
      [1, '220 x ESMTP\r\n535 5.7.8 bad\r\n'],
    ]);
    assert.deepEqual(r.events, [{ type: 'smtp', user: 'bob', auth_mech: 'PLAIN', auth_success: false, greeting: 'x ESMTP' }]);
  });

  test('malformed input: no throw, weirds counted', () => {
    const long = run([
      [1, `220 x ESMTP\r\n${'garbage'.repeat(2000)}\r\nnot a reply\r\n250 unmatched\r\n`],
      [0, `${'X'.repeat(10000)}\r\nFROB\r\nBDAT nope\r\n`],
    ]);
    assert.ok(long.weirds.includes('smtp_line_too_long'));
    assert.ok(long.weirds.includes('smtp_bad_reply'));
    assert.ok(long.weirds.includes('smtp_unknown_command'));
    assert.ok(long.weirds.includes('smtp_bad_bdat'));
    // A DATA that never ends: the message is kept as far as it went.
    const cut = run([[0, 'MAIL FROM:<a@b>\r\nDATA\r\nSubject: cut\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nx\r\n']]);
    assert.equal(cut.events[0]!.subject, 'cut');
    assert.ok(cut.weirds.includes('mime_message_truncated'));
    // Random bytes.
    let seed = 1;
    const bytes = Buffer.alloc(5000).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    const p = new SmtpParser(() => undefined);
    for (let i = 0; i < bytes.length; i += 97) p.data((i & 1) as Dir, bytes, i, Math.min(bytes.length, i + 97));
    smtpEvents(p);
  });

  test('DATA or AUTH refused: the client goes on with commands', () => {
    const r = run([
      [0, 'EHLO c\r\nAUTH CRAM-MD5\r\n'],
      [1, '220 s ESMTP\r\n250 s\r\n504 5.5.4 unrecognized\r\n'],
      [0, 'MAIL FROM:<a@b>\r\nDATA\r\n'],
      [1, '250 ok\r\n554 no valid recipients\r\n'],
      [0, 'RSET\r\nMAIL FROM:<c@d>\r\nQUIT\r\n'],
      [1, '250 ok\r\n250 ok\r\n221 bye\r\n'],
    ]);
    assert.deepEqual(
      r.events.map((e) => [e.mail_from, e.data_status, e.auth_success]),
      [
        ['a@b', 554, false],
        ['c@d', undefined, false],
      ],
    );
    assert.equal(r.parser.quit, true);
  });

  test('a gap inside DATA: the message is kept, marked truncated, the dialogue goes on', () => {
    const weirds: string[] = [];
    const p = new SmtpParser((n) => weirds.push(n));
    const feed = (dir: Dir, s: string): void => p.data(dir, Buffer.from(s), 0, Buffer.byteLength(s));
    feed(0, 'MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: gappy\r\n\r\nfirst\r\n');
    p.gap(0);
    feed(0, 'more\r\n.\r\nQUIT\r\n');
    feed(1, '220 x ESMTP\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n');
    const ev = smtpEvents(p);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.subject, 'gappy');
    assert.equal(ev[0]!.status, 250);
    assert.deepEqual(weirds.sort(), ['mime_message_truncated', 'smtp_content_gap']);
    assert.equal(p.quit, true);
  });

  test('consumer: open only when events are listened to', () => {
    const start = (events: boolean, serverPort = 25): FlowStart => testFlowStart({ protocol: 6, clientPort: 40000, serverPort, events });
    assert.equal(smtpConsumer.open(start(false)), undefined);
    const st = smtpConsumer.open(start(true, 8025))!;
    const b = Buffer.from('220 mail.example ESMTP ready\r\n');
    smtpConsumer.stream!(st, 1, b, 0, b.length, 0);
    assert.notEqual(st.parser, null);
    const other = smtpConsumer.open(start(true, 8080))!;
    const h = Buffer.from('GET / HTTP/1.1\r\n');
    smtpConsumer.stream!(other, 0, h, 0, h.length, 0);
    assert.equal(smtpConsumer.done!(other), true);
    assert.equal(smtpConsumer.events!(other), undefined);
  });
});

// ---- corpus -----------------------------------------------------------------------------------

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const MAIL_CONSUMERS = [smtpConsumer, pop3Consumer, imapConsumer] as Consumer[];

/** Runs a capture through the engine with the mail consumers. */
export async function mailEvents(file: string, consumers: Consumer[] = MAIL_CONSUMERS): Promise<{ events: EventRecord[]; errors: number; weirds: Record<string, number> }> {
  const engine = new Engine({ consumers });
  const events: EventRecord[] = [];
  engine.on('event', (ev) => events.push(ev));
  await readCapture(file, engine).catch(() => undefined); // unreadable files are the reader's business
  engine.finish();
  const s = engine.summary();
  return { events, errors: s.consumers?.errors ?? 0, weirds: s.weirds };
}

describe('smtp: corpus through the engine', () => {
  test('ndpi smtp-starttls.pcap: two sessions, EHLO names, STARTTLS accepted', async () => {
    // tshark -r smtp-starttls.pcap -Y smtp -T fields -e tcp.stream -e smtp.req.command -e smtp.req.parameter -e smtp.response.code
    const { events, errors } = await mailEvents(join(CORPUS, 'ndpi/pcap/smtp-starttls.pcap'), [smtpConsumer as Consumer]);
    assert.equal(errors, 0);
    assert.deepEqual(
      events.map((e) => [e.type, e.helo, e.starttls, e.greeting]),
      [
        ['smtp', 'xxxxxxxxxxxxx.xxx.com', true, 'mx.google.com ESMTP s4si9696358qcc.63 - gsmtp'],
        ['smtp', '[IPv6:2003:de:2016:125:fc36:8317:4e86:cb72]', true, 'jw-vm08-int-dns.webernetz.net ESMTP Postfix (Ubuntu)'],
      ],
    );
  });

  test('every nDPI and tcpdump capture: no consumer error, no internal error', { timeout: 600_000 }, async () => {
    const files: string[] = [];
    for (const dir of ['ndpi/pcap', 'tcpdump']) {
      const d = join(CORPUS, dir);
      for (const f of readdirSync(d)) if (/\.(pcap|pcapng|cap)$/i.test(f)) files.push(join(d, f));
    }
    let mail = 0;
    for (const f of files) {
      const r = await mailEvents(f);
      assert.equal(r.errors, 0, f);
      for (const k of Object.keys(r.weirds)) assert.ok(!k.endsWith('_internal_error'), `${f}: ${k}`);
      mail += r.events.length;
    }
    console.log(`mail corpus: ${files.length} captures, ${mail} smtp/pop3/imap events`);
  });
});
