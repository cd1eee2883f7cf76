import assert from 'node:assert/strict';
import { testFlowStart } from '../testing/flow-start.js';
import { describe, test } from 'node:test';
import type { Dir, EventFields, FlowStart } from '../engine/consumer.js';
import { ImapParser, imapArgs, imapConsumer, imapEvents } from './imap.js';

type Step = [Dir, string];

const ATT = Buffer.alloc(1500).map((_, i) => (i * 17) & 0xff);
const MESSAGE = [
  'From: =?UTF-8?B?w4lsb2lzZQ==?= <eloise@example.fr>',
  'To: frank@example.com',
  'Subject: Photos',
  'Message-ID: <i1@example.fr>',
  'Content-Type: multipart/mixed; boundary="--=_b"',
  '',
  '----=_b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'see attached',
  '----=_b',
  'Content-Type: image/jpeg',
  'Content-Disposition: attachment; filename="beach.jpg"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(ATT).toString('base64').replace(/(.{76})/g, '$1\r\n'),
  '----=_b--',
  '',
].join('\r\n');
const HEADER = 'Subject: Only the header\r\nFrom: g@example.com\r\n\r\n';
const APPENDED = 'Subject: Draft\r\n\r\nhi\r\n';

const DIALOGUE: Step[] = [
  [1, '* OK [CAPABILITY IMAP4rev1 STARTTLS LITERAL+] Dovecot ready.\r\n'],
  [0, 'a1 LOGIN {5}\r\n'],
  [1, '+ OK\r\n'],
  [0, 'frank "pa ss\\"word"\r\n'],
  [1, 'a1 OK Logged in\r\n'],
  [0, 'a2 SELECT INBOX\r\n'],
  [1, '* 3 EXISTS\r\n* FLAGS (\\Seen)\r\na2 OK [READ-WRITE] done\r\n'],
  [0, 'a3 FETCH 1 (UID BODY.PEEK[])\r\n'],
  [1, `* 1 FETCH (UID 42 BODY[] {${Buffer.byteLength(MESSAGE)}}\r\n${MESSAGE})\r\na3 OK Fetch completed\r\n`],
  [0, 'a4 UID FETCH 43 (BODY.PEEK[HEADER] FLAGS)\r\n'],
  [1, `* 2 FETCH (BODY[HEADER] {${HEADER.length}}\r\n${HEADER} FLAGS (\\Seen) UID 43)\r\na4 OK done\r\n`],
  [0, `a5 APPEND Drafts (\\Draft) {${APPENDED.length}+}\r\n${APPENDED}\r\n`],
  [1, 'a5 OK [APPENDUID 1 7] Append completed\r\n'],
  [0, 'a6 LOGOUT\r\n'],
  [1, '* BYE\r\na6 OK Logout completed\r\n'],
];

function run(steps: Step[], cutStep = -1, cut = 0): { events: EventFields[]; weirds: string[]; parser: ImapParser } {
  const weirds: string[] = [];
  const p = new ImapParser((n) => weirds.push(n));
  steps.forEach(([dir, s], i) => {
    const b = Buffer.from(s, 'latin1');
    if (i === cutStep) {
      p.data(dir, b, 0, cut, 1e6 * (i + 1));
      p.data(dir, b, cut, b.length, 1e6 * (i + 1));
    } else p.data(dir, b, 0, b.length, 1e6 * (i + 1));
  });
  return { events: imapEvents(p), weirds, parser: p };
}

describe('imap: dialogue', () => {
  test('LOGIN with a literal, FETCH BODY[] and BODY[HEADER] literals, APPEND, LOGOUT', () => {
    const { events, weirds, parser } = run(DIALOGUE);
    assert.deepEqual(weirds, []);
    assert.equal(parser.logout, true);
    assert.equal(events.length, 3);
    const [a, b, c] = events as [EventFields, EventFields, EventFields];
    assert.equal(a.type, 'imap');
    assert.equal(a.user, 'frank');
    assert.equal(a.auth_success, true);
    assert.equal(a.command, 'FETCH');
    assert.equal(a.seq, 1);
    assert.equal(a.uid, 42);
    assert.equal(a.subject, 'Photos');
    assert.equal(a.from, 'Éloise <eloise@example.fr>');
    assert.deepEqual(a.parts, [
      { content_type: 'text/plain', size: 'see attached'.length },
      { content_type: 'image/jpeg', filename: 'beach.jpg', encoding: 'base64', size: 1500 },
    ]);
    assert.equal(b.seq, 2);
    assert.equal(b.uid, 43);
    assert.equal(b.header_only, true);
    assert.equal(b.subject, 'Only the header');
    assert.equal(c.command, 'APPEND');
    assert.equal(c.mailbox, 'Drafts');
    assert.equal(c.subject, 'Draft');
  });

  test('split at every byte boundary gives the same events', () => {
    const whole = JSON.stringify(run(DIALOGUE).events);
    DIALOGUE.forEach(([, s], i) => {
      for (let cut = 1; cut < s.length; cut++) {
        const r = run(DIALOGUE, i, cut);
        assert.equal(JSON.stringify(r.events), whole, `step ${i} cut ${cut}`);
        assert.deepEqual(r.weirds, []);
      }
    });
  });

  test('STARTTLS accepted: done', () => {
    const { events, parser } = run([
      [1, '* OK IMAP4rev1 ready\r\n'],
      [0, 'x STARTTLS\r\n'],
      [1, 'x OK Begin TLS negotiation now\r\n'],
      [0, '\x16\x03\x01\x00\x05hello'],
    ]);
    assert.equal(parser.done, true);
    assert.deepEqual(events, [{ type: 'imap', starttls: true, greeting: 'OK IMAP4rev1 ready' }]);
  });

  test('AUTHENTICATE PLAIN names the user', () => {
    const plain = Buffer.from('\0gina\0pw').toString('base64');
    assert.equal(run([[0, `t1 AUTHENTICATE PLAIN\r\n${plain}\r\n`]]).parser.user, 'gina');
    assert.equal(run([[0, `t1 AUTHENTICATE PLAIN ${plain}\r\n`]]).parser.user, 'gina');
  });

  test('malformed: huge literal, bad responses, cut message: no throw, weirds counted', () => {
    const r = run([
      [1, '* OK IMAP4 ready\r\nnonsense\r\nzz OK unknown tag\r\n* 1 FETCH (BODY[] {99999999999999999999}\r\nxxxxxxxx'],
      [0, 'a LOGIN bob pw\r\n'],
    ]);
    assert.ok(r.weirds.includes('imap_huge_literal'));
    assert.ok(r.weirds.includes('imap_bad_response'));
    assert.ok(r.weirds.includes('imap_unmatched_response'));
    assert.equal(r.parser.user, 'bob');
    const cut = run([[1, '* 5 FETCH (BODY[] {500}\r\nSubject: cut short\r\n\r\nbody']]);
    assert.ok(cut.weirds.includes('mime_message_truncated'));
    assert.equal(cut.events[0]!.subject, 'cut short');
    assert.deepEqual(imapArgs('a LOGIN "x y" z'), ['a', 'LOGIN', 'x y', 'z']);
  });

  test('consumer: open only when events are listened to', () => {
    const start = (events: boolean): FlowStart => (testFlowStart({ flow: 0, protocol: 6, clientPort: 40000, serverPort: 143, weird: () => undefined, events }));
    assert.equal(imapConsumer.open(start(false)), undefined);
    assert.notEqual(imapConsumer.open(start(true)), undefined);
  });
});
