/**
 * FTP: PORT/EPRT/PASV/EPSV parsing, a crafted control session (multi-line replies, PASS
 * never kept, transfers), bounds and malformed input; ftp.pcap through the real engine,
 * checked against tshark's `-Y ftp` reading.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import type { EventFields, FlowStart } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import { FtpState, ftpConsumer, parseFtpEprt, parseFtpEpsv, parseFtpPasv, parseFtpPort } from './ftp.js';
import { rtpConsumer } from './rtp.js';
import { sipConsumer } from './sip.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

describe('ftp data endpoints', () => {
  test('PORT h1,h2,h3,h4,p1,p2', () => {
    assert.deepEqual(parseFtpPort('192,168,1,2,7,138'), { address: '192.168.1.2', port: 7 * 256 + 138, command: 'PORT' });
    assert.equal(parseFtpPort('192,168,1,2,7'), undefined);
    assert.equal(parseFtpPort('192,168,1,300,7,1'), undefined);
    assert.equal(parseFtpPort('x192,168,1,2,7,1'), undefined);
  });
  test('227 reply, with and without parentheses', () => {
    assert.deepEqual(parseFtpPasv('Entering Passive Mode (90,130,70,73,100,85).'), { address: '90.130.70.73', port: 25685, command: 'PASV' });
    assert.deepEqual(parseFtpPasv('=10,0,0,1,4,1'), { address: '10.0.0.1', port: 1025, command: 'PASV' });
    assert.equal(parseFtpPasv('Entering Passive Mode'), undefined);
  });
  test('EPRT |1|…| and |2|…| (RFC 2428 §2)', () => {
    assert.deepEqual(parseFtpEprt('|1|132.235.1.2|6275|'), { address: '132.235.1.2', port: 6275, command: 'EPRT' });
    assert.deepEqual(parseFtpEprt('|2|1080::8:800:200C:417A|5282|'), { address: '1080::8:800:200C:417A', port: 5282, command: 'EPRT' });
    assert.deepEqual(parseFtpEprt('!1!10.1.1.1!21!'), { address: '10.1.1.1', port: 21, command: 'EPRT' });
    for (const bad of ['|3|x|1|', '|1|1.2.3|5|', '|1|1.2.3.4|70000|', '|1|1.2.3.4|', '', '||||']) assert.equal(parseFtpEprt(bad), undefined, bad);
  });
  test('229 reply (RFC 2428 §3)', () => {
    assert.deepEqual(parseFtpEpsv('Entering Extended Passive Mode (|||6446|)'), { port: 6446, command: 'EPSV' });
    assert.equal(parseFtpEpsv('Entering Extended Passive Mode (|||99999|)'), undefined);
    assert.equal(parseFtpEpsv('Entering Extended Passive Mode (||6446|)'), undefined);
  });
});

describe('ftp session', () => {
  const client = ['USER alice', 'PASS s3cret', 'SYST', 'PORT 10,0,0,5,4,1', 'RETR report.pdf', 'EPRT |1|10.0.0.5|2000|', 'STOR up load.txt', 'EPSV', 'PASV', 'LIST', 'QUIT', ''].join('\r\n');
  const server = [
    '220-Welcome',
    '220-  230 this line is text, not a reply',
    '220 ready',
    '331 Password required',
    '230 Logged in',
    '215 UNIX Type: L8',
    '200 PORT ok',
    '150 Opening',
    '226 Done',
    '200 EPRT ok',
    '150 Opening',
    '226 Done',
    '229 Entering Extended Passive Mode (|||6446|)',
    '227 Entering Passive Mode (10,0,0,9,200,10)',
    '150 Here comes the listing',
    '226 Done',
    '221 Bye',
    '',
  ].join('\r\n');

  test('user, password never kept, commands, files, replies, endpoints (byte by byte too)', () => {
    for (const step of [1000000, 1, 5]) {
      const weirds: string[] = [];
      const st = new FtpState((n) => weirds.push(n));
      const c = bytes(client);
      const s = bytes(server);
      for (let i = 0; i < c.length; i += step) st.stream(0, c, i, Math.min(c.length, i + step), 1_000_000);
      for (let i = 0; i < s.length; i += step) st.stream(1, s, i, Math.min(s.length, i + step), 2_000_000);
      assert.deepEqual(weirds, []);
      const [ev] = ftpConsumer.events!(st)!;
      assert.deepEqual(ev, {
        type: 'ftp',
        ts: 1,
        user: 'alice',
        password_sent: true,
        logged_in: true,
        commands: ['USER alice', 'PASS ****', 'SYST', 'PORT 10,0,0,5,4,1', 'RETR report.pdf', 'EPRT |1|10.0.0.5|2000|', 'STOR up load.txt', 'EPSV', 'PASV', 'LIST', 'QUIT'],
        replies: [220, 331, 230, 215, 200, 150, 226, 200, 150, 226, 229, 227, 150, 226, 221],
        files: ['report.pdf', 'up load.txt'],
        data_endpoints: [
          { address: '10.0.0.5', port: 1025, command: 'PORT' },
          { address: '10.0.0.5', port: 2000, command: 'EPRT' },
          { port: 6446, command: 'EPSV' },
          { address: '10.0.0.9', port: 51210, command: 'PASV' },
        ],
      });
      assert.ok(!JSON.stringify(ev).includes('s3cret'));
    }
  });
  test('malformed endpoints, long lines, non-reply lines: weirds, no throw; tables bounded', () => {
    const weirds: string[] = [];
    const st = new FtpState((n) => weirds.push(n), { maxLine: 64, maxCommands: 4, maxFiles: 2, maxReplies: 3, maxEndpoints: 1 });
    const c = bytes(`PORT 1,2,3\r\nEPRT |9|x|1|\r\nNOOP ${'x'.repeat(100)}\r\nRETR a\r\nRETR b\r\nRETR c\r\nPORT 1,2,3,4,0,1\r\nPORT 1,2,3,4,0,2\r\n`);
    st.stream(0, c, 0, c.length, 0);
    const s = bytes('hello\r\n227 no numbers\r\n229 (|||x|)\r\n200 a\r\n200 b\r\n');
    st.stream(1, s, 0, s.length, 0);
    assert.deepEqual(weirds, ['ftp_bad_port', 'ftp_bad_eprt', 'ftp_line_too_long', 'ftp_too_many_commands', 'ftp_bad_reply', 'ftp_bad_pasv', 'ftp_bad_epsv']);
    assert.equal(st.commands.length, 4);
    assert.deepEqual(st.files, ['a', 'b']);
    assert.equal(st.replies.length, 3);
    assert.equal(st.expectations.length, 1);
    for (let n = 0; n < 200; n++) {
      const b = Uint8Array.from({ length: n * 3 }, (_, i) => (i * 97 + n) & 0xff);
      st.stream((n & 1) as 0 | 1, b, 0, b.length, n);
      if (n % 17 === 0) st.gap((n & 1) as 0 | 1);
    }
  });
  test('a gap drops the partial line', () => {
    const st = new FtpState(() => {});
    const a = bytes('USER al');
    st.stream(0, a, 0, a.length, 0);
    st.gap(0);
    const b = bytes('ice\r\nUSER bob\r\n');
    st.stream(0, b, 0, b.length, 0);
    assert.equal(st.user, 'bob');
  });
  test('open: TCP to port 21 only (with or without events: data connections are announced)', () => {
    const s = { protocol: 6, events: true, serverPort: 21, clientPort: 50000, weird: () => {}, expect: () => {} } as unknown as FlowStart;
    assert.ok(ftpConsumer.open(s) instanceof FtpState);
    assert.ok(ftpConsumer.open({ ...s, events: false }) instanceof FtpState);
    assert.equal(ftpConsumer.open({ ...s, serverPort: 2121 }), undefined);
    assert.equal(ftpConsumer.open({ ...s, protocol: 17 }), undefined);
  });
});

describe('ftp corpus (tshark -Y ftp)', () => {
  const file = '/work/shared/corpus/ndpi/pcap/ftp.pcap';
  test('ftp.pcap: user, commands, files and PASV endpoints as tshark', { skip: !existsSync(file) }, async () => {
    const engine = new Engine({ consumers: [sipConsumer, rtpConsumer, ftpConsumer] });
    const evs: EventFields[] = [];
    engine.on('event', (ev: EventFields) => {
      if (ev.type === 'ftp') evs.push(ev);
    });
    await readCapture(file, engine);
    engine.finish();
    assert.equal(evs.length, 1);
    const ev = evs[0];
    assert.equal(ev.user, 'anonymous');
    assert.equal(ev.password_sent, true);
    assert.equal(ev.logged_in, true);
    // tshark -e ftp.request.command
    assert.deepEqual(
      (ev.commands as string[]).map((c) => c.split(' ')[0]),
      ['USER', 'PASS', 'PWD', 'FEAT', 'HELP', 'CLNT', 'PWD', 'PASV', 'LIST', 'TYPE', 'MLST', 'SIZE', 'MDTM', 'PASV', 'RETR', 'QUIT'],
    );
    assert.deepEqual(ev.files, ['1MB.zip']);
    // 227 (90,130,70,73,100,85) and (90,130,70,73,95,203); tshark's ftp.passive.port: 25685, 24523.
    assert.deepEqual(ev.data_endpoints, [
      { address: '90.130.70.73', port: 25685, command: 'PASV' },
      { address: '90.130.70.73', port: 24523, command: 'PASV' },
    ]);
    // tshark -e ftp.response.code (multi-line continuation lines are not replies).
    assert.deepEqual(ev.replies, [220, 331, 230, 257, 211, 214, 500, 257, 227, 150, 226, 200, 500, 213, 213, 227, 150, 226, 221]);
  });
});
