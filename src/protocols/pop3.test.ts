import assert from 'node:assert/strict';
import { testFlowStart } from '../testing/flow-start.js';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../capture/read-capture.js';
import type { Consumer, Dir, EventFields, FlowStart } from '../engine/consumer.js';
import { Engine, type EventRecord } from '../engine/engine.js';
import { Pop3Parser, pop3Consumer, pop3Events } from './pop3.js';

type Step = [Dir, string];

const ATT = Buffer.alloc(2000).map((_, i) => (i * 31) & 0xff);
const MESSAGE = [
  'From: Carol <carol@example.net>',
  'To: dave@example.com',
  'Subject: Minutes',
  'Message-ID: <p1@example.net>',
  'Content-Type: multipart/mixed; boundary=zz',
  '',
  '--zz',
  '',
  '.a dot line',
  '--zz',
  'Content-Type: text/csv; name="numbers.csv"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from(ATT).toString('base64').replace(/(.{76})/g, '$1\r\n'),
  '--zz--',
  '',
].join('\r\n');
const stuff = (m: string): string => m.replace(/^\./gm, '..');

const DIALOGUE: Step[] = [
  [1, '+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n'],
  [0, 'CAPA\r\n'],
  [1, '+OK Capability list follows\r\nUSER\r\nSTLS\r\n.\r\n'],
  [0, 'USER dave\r\nPASS secret\r\n'],
  [1, '+OK\r\n+OK logged in\r\n'],
  [0, 'LIST\r\nRETR 1\r\nTOP 2 0\r\n'],
  [1, `+OK 2 messages\r\n1 ${MESSAGE.length}\r\n2 40\r\n.\r\n+OK message follows\r\n${stuff(MESSAGE)}.\r\n+OK top\r\nSubject: second\r\n\r\n.\r\n`],
  [0, 'DELE 1\r\nQUIT\r\n'],
  [1, '+OK deleted\r\n+OK bye\r\n'],
];

function run(steps: Step[], cutStep = -1, cut = 0): { events: EventFields[]; weirds: string[]; parser: Pop3Parser } {
  const weirds: string[] = [];
  const p = new Pop3Parser((n) => weirds.push(n));
  steps.forEach(([dir, s], i) => {
    const b = Buffer.from(s, 'latin1');
    if (i === cutStep) {
      p.data(dir, b, 0, cut, 1e6 * (i + 1));
      p.data(dir, b, cut, b.length, 1e6 * (i + 1));
    } else p.data(dir, b, 0, b.length, 1e6 * (i + 1));
  });
  return { events: pop3Events(p), weirds, parser: p };
}

describe('pop3: dialogue', () => {
  test('USER, RETR with attachment, TOP, multi-line answers skipped', () => {
    const { events, weirds, parser } = run(DIALOGUE);
    assert.deepEqual(weirds, []);
    assert.equal(parser.quit, true);
    assert.equal(events.length, 2);
    const [a, b] = events as [EventFields, EventFields];
    assert.equal(a.type, 'pop3');
    assert.equal(a.user, 'dave');
    assert.equal(a.auth_success, true);
    assert.equal(a.command, 'RETR');
    assert.equal(a.msg, 1);
    assert.equal(a.subject, 'Minutes');
    assert.equal(a.from, 'Carol <carol@example.net>');
    assert.equal(a.to, 'dave@example.com');
    assert.equal(a.message_id, '<p1@example.net>');
    assert.deepEqual(a.parts, [
      { content_type: 'text/plain', size: '.a dot line'.length },
      { content_type: 'text/csv', filename: 'numbers.csv', encoding: 'base64', size: 2000 },
    ]);
    assert.equal(a.message_bytes, Buffer.byteLength(MESSAGE));
    assert.equal(b.command, 'TOP');
    assert.equal(b.subject, 'second');
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

  test('STLS accepted: done, one session event', () => {
    const { events, parser } = run([
      [1, '+OK ready\r\n'],
      [0, 'STLS\r\n'],
      [1, '+OK Begin TLS\r\n'],
      [0, '\x16\x03\x01\x00\x05hello'],
    ]);
    assert.equal(parser.done, true);
    assert.deepEqual(events, [{ type: 'pop3', starttls: true, greeting: 'ready' }]);
  });

  test('AUTH PLAIN continuation and APOP name the user', () => {
    const plain = Buffer.from('\0erin\0pw').toString('base64');
    assert.equal(run([[0, `AUTH PLAIN\r\n${plain}\r\n`]]).parser.user, 'erin');
    assert.equal(run([[0, 'APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n']]).parser.user, 'mrose');
  });

  test('malformed: no throw, weirds counted', () => {
    const r = run([
      [1, '+OK hi\r\nwhat is this\r\n'],
      [0, `RETR 1\r\n${'y'.repeat(9000)}\r\n`],
      [1, '+OK\r\nSubject: never ends\r\n\r\nbody'],
    ]);
    assert.ok(r.weirds.includes('pop3_bad_reply'));
    assert.ok(r.weirds.includes('pop3_line_too_long'));
    assert.ok(r.weirds.includes('mime_message_truncated'));
    assert.equal(r.events[0]!.subject, 'never ends');
  });

  test('consumer: open only when events are listened to', () => {
    const start = (events: boolean): FlowStart => (testFlowStart({ flow: 0, protocol: 6, clientPort: 40000, serverPort: 110, weird: () => undefined, events }));
    assert.equal(pop3Consumer.open(start(false)), undefined);
    assert.notEqual(pop3Consumer.open(start(true)), undefined);
  });
});

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

async function events(file: string): Promise<{ events: EventRecord[]; errors: number }> {
  const engine = new Engine({ consumers: [pop3Consumer as Consumer] });
  const out: EventRecord[] = [];
  engine.on('event', (ev) => out.push(ev));
  await readCapture(file, engine);
  engine.finish();
  return { events: out, errors: engine.summary().consumers?.errors ?? 0 };
}

describe('pop3: corpus through the engine', () => {
  test('ndpi pop3_stls.pcap: greeting, refused AUTH, STLS accepted', async () => {
    // tshark -r pop3_stls.pcap -Y pop: +OK lavad, AUTH → -ERR, CAPA, STLS → +OK Ready to start TLS negotiation.
    const r = await events(join(CORPUS, 'ndpi/pcap/pop3_stls.pcap'));
    assert.equal(r.errors, 0);
    assert.equal(r.events.length, 1);
    const { flow_id: _f, ts: _t, ...ev } = r.events[0]!;
    assert.deepEqual(ev, { type: 'pop3', starttls: true, greeting: 'lavad' });
  });
  test('ndpi pops.pcapng (POP3 over TLS on 995): nothing', async () => {
    const r = await events(join(CORPUS, 'ndpi/pcap/pops.pcapng'));
    assert.equal(r.errors, 0);
    assert.equal(r.events.length, 0);
  });
});
