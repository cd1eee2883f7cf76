/**
 * SIP: crafted INVITE with SDP (UDP and TCP framing), compact headers, From/To forms, the
 * SDP reader, malformed input (weirds, never a throw); corpus captures through the real
 * engine, checked against tshark's reading of the same messages.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import type { EventFields, FlowStart } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import { ftpConsumer } from './ftp.js';
import { rtpConsumer } from './rtp.js';
import { parseSdp, parseSipAddress, parseSipMessage, probeSip, SipState, sipConsumer } from './sip.js';

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 97 101',
  'a=rtpmap:97 iLBC/8000',
  'a=rtpmap:101 telephone-event/8000',
  'm=video 51372 RTP/AVP 31',
  'c=IN IP4 192.0.2.102/127',
  '',
].join('\r\n');

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: "Alice A." <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'User-Agent: Softphone/1.0',
  'Content-Type: application/sdp',
  `Content-Length: ${SDP.length}`,
  '',
  SDP,
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  't: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'f: sip:alice@atlanta.example.com;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Server: PBX 2',
  'l: 0',
  '',
  '',
].join('\r\n');

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

function state(onPort = true): { st: SipState; weirds: string[] } {
  const weirds: string[] = [];
  return { st: new SipState((n) => weirds.push(n), onPort), weirds };
}

describe('sdp', () => {
  test('session and media connection addresses, rtpmap and static codecs', () => {
    const sdp = parseSdp(SDP);
    assert.equal(sdp.address, '192.0.2.101');
    assert.deepEqual(sdp.media, [
      { media: 'audio', address: '192.0.2.101', port: 49170, proto: 'RTP/AVP', formats: ['0', '8', '97', '101'], codecs: ['PCMU/8000', 'PCMA/8000', 'iLBC/8000', 'telephone-event/8000'] },
      { media: 'video', address: '192.0.2.102', port: 51372, proto: 'RTP/AVP', formats: ['31'], codecs: ['H261/90000'] },
    ]);
  });
  test('bad lines are weirds; media is capped', () => {
    const weirds: string[] = [];
    const many = Array.from({ length: 20 }, (_, i) => `m=audio ${1000 + i} RTP/AVP 0`).join('\n');
    const sdp = parseSdp(`c=IN\nm=audio x RTP/AVP 0\ngarbage\n${many}`, { maxMedia: 8 }, (n) => weirds.push(n));
    assert.equal(sdp.media.length, 8);
    assert.equal(sdp.address, undefined);
    assert.ok(weirds.includes('sip_bad_sdp'));
    assert.ok(weirds.includes('sip_too_many_media'));
  });
});

describe('sip message', () => {
  test('From/To forms', () => {
    assert.deepEqual(parseSipAddress('"Alice \\"A\\"" <sip:a@x>;tag=1'), { display: 'Alice "A"', uri: 'sip:a@x' });
    assert.deepEqual(parseSipAddress('Bob <sips:b@y:5061>'), { display: 'Bob', uri: 'sips:b@y:5061' });
    assert.deepEqual(parseSipAddress('sip:c@z;tag=2'), { uri: 'sip:c@z' });
  });
  test('probe: request and status lines', () => {
    assert.equal(probeSip(bytes(INVITE), 0, INVITE.length), true);
    assert.equal(probeSip(bytes(OK), 0, OK.length), true);
    assert.equal(probeSip(bytes('GET / HTTP/1.1\r\n'), 0, 16), false);
    assert.equal(probeSip(bytes('INVITE sip:x SIP/2.0'), 0, 20), false); // line not complete
  });
  test('INVITE with SDP over UDP: fields, media and expectations', () => {
    const { st, weirds } = state();
    const b = bytes(INVITE);
    st.datagram(0, b, 0, b.length, 1_000_000);
    const o = bytes(OK);
    st.datagram(1, o, 0, o.length, 2_500_000);
    assert.deepEqual(weirds, []);
    const evs = sipConsumer.events!(st)!;
    assert.deepEqual(evs[0], {
      type: 'sip',
      ts: 1,
      method: 'INVITE',
      uri: 'sip:bob@biloxi.example.com',
      call_id: 'a84b4c76e66710@pc33.atlanta.example.com',
      from: { display: 'Alice A.', uri: 'sip:alice@atlanta.example.com' },
      to: { display: 'Bob', uri: 'sip:bob@biloxi.example.com' },
      cseq: '314159 INVITE',
      user_agent: 'Softphone/1.0',
      media: [
        { media: 'audio', address: '192.0.2.101', port: 49170, codecs: ['PCMU/8000', 'PCMA/8000', 'iLBC/8000', 'telephone-event/8000'] },
        { media: 'video', address: '192.0.2.102', port: 51372, codecs: ['H261/90000'] },
      ],
    });
    // Compact headers in the response; Server stands in for User-Agent.
    assert.deepEqual(evs[1], {
      type: 'sip',
      ts: 2.5,
      status: 200,
      reason: 'OK',
      call_id: 'a84b4c76e66710@pc33.atlanta.example.com',
      from: { uri: 'sip:alice@atlanta.example.com' },
      to: { display: 'Bob', uri: 'sip:bob@biloxi.example.com' },
      cseq: '314159 INVITE',
      user_agent: 'PBX 2',
    });
    assert.deepEqual(st.expectations, [
      { address: '192.0.2.101', port: 49170, call_id: 'a84b4c76e66710@pc33.atlanta.example.com', media: 'audio' },
      { address: '192.0.2.102', port: 51372, call_id: 'a84b4c76e66710@pc33.atlanta.example.com', media: 'video' },
    ]);
  });
  test('TCP: Content-Length framing across every split point', () => {
    const all = bytes(`${INVITE}\r\n${OK}${INVITE}`);
    for (let cut = 1; cut < all.length; cut += 7) {
      const { st, weirds } = state();
      st.stream(0, all, 0, cut, 0);
      st.stream(0, all, cut, all.length, 0);
      assert.deepEqual(
        st.messages.map((m) => m.method ?? m.status),
        ['INVITE', 200, 'INVITE'],
        `cut ${cut}`,
      );
      assert.equal(st.messages[2].sdp?.media.length, 2);
      assert.deepEqual(weirds, []);
    }
  });
  test('TCP: an oversize message is dropped and the stream resyncs', () => {
    const weirds: string[] = [];
    const st = new SipState((n) => weirds.push(n), true, { maxMessages: 64, maxMessageBytes: 600, maxMedia: 8, maxExpectations: 8 });
    const big = bytes(`INVITE sip:x SIP/2.0\r\nCall-ID: 1\r\nX: ${'a'.repeat(700)}\r\n\r\n`);
    st.stream(0, big, 0, big.length, 0);
    const ok = bytes(OK);
    st.stream(0, ok, 0, ok.length, 0);
    assert.deepEqual(weirds, ['sip_message_too_large']);
    assert.deepEqual(
      st.messages.map((m) => m.status),
      [200],
    );
  });
  test('malformed: bad start line, missing Call-ID, bad Content-Length, garbage — weirds, no throw', () => {
    const weirds: string[] = [];
    const w = (n: string) => weirds.push(n);
    assert.equal(parseSipMessage('HELLO THERE\r\n\r\n', 0, 0, w), undefined);
    const m = parseSipMessage('OPTIONS sip:x SIP/2.0\r\nContent-Length: zz\r\n\r\n', 0, 0, w);
    assert.equal(m?.method, 'OPTIONS');
    assert.deepEqual(weirds, ['sip_malformed_start_line', 'sip_missing_call_id', 'sip_bad_content_length']);
    const { st } = state();
    for (let n = 0; n < 300; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff);
      st.datagram(0, b, 0, b.length, n);
      st.stream(1, b, 0, b.length, n);
    }
    const inv = bytes(INVITE);
    for (let n = 0; n < inv.length; n += 13) st.datagram(0, inv, 0, n, 0);
  });
  test('messages are capped', () => {
    const weirds: string[] = [];
    const st = new SipState((n) => weirds.push(n), true, { maxMessages: 3, maxMessageBytes: 65536, maxMedia: 8, maxExpectations: 8 });
    const o = bytes(OK);
    for (let i = 0; i < 10; i++) st.datagram(1, o, 0, o.length, i);
    assert.equal(st.messages.length, 3);
    assert.equal(st.done, true);
    assert.deepEqual(weirds, ['sip_too_many_messages']);
  });
  test('media only (no event listener): SDP bodies still announce media; nothing is kept; the cap still ends the flow', () => {
    const weirds: string[] = [];
    const st = new SipState((n) => weirds.push(n), true, { maxMessages: 4, maxMessageBytes: 65536, maxMedia: 8, maxExpectations: 8 });
    st.mediaOnly = true;
    const announced: number[] = [];
    st.onMedia = (e) => announced.push(e.port);
    const o = bytes(OK);
    const inv = bytes(INVITE);
    st.datagram(1, o, 0, o.length, 0);
    st.datagram(0, inv, 0, inv.length, 1);
    assert.deepEqual(announced, [49170, 51372]);
    assert.equal(st.messages.length, 0);
    st.datagram(1, o, 0, o.length, 2);
    st.datagram(1, o, 0, o.length, 3);
    assert.equal(st.done, false);
    st.datagram(1, o, 0, o.length, 4);
    assert.equal(st.done, true);
    assert.deepEqual(weirds, ['sip_too_many_messages']);
    assert.equal(sipConsumer.open({ protocol: 17, events: false, serverPort: 5060, clientPort: 5060, weird: () => {} } as unknown as FlowStart)?.mediaOnly, true);
  });
  test('off the SIP ports a non-SIP first payload ends the flow; on them keep-alives are skipped', () => {
    const hello = bytes('hello\0\0\0\0');
    const off = state(false).st;
    off.datagram(0, hello, 0, hello.length, 0);
    assert.equal(off.done, true);
    const on = state(true).st;
    on.datagram(0, hello, 0, hello.length, 0);
    const o = bytes(OK);
    on.datagram(1, o, 0, o.length, 1);
    assert.equal(on.messages.length, 1);
  });
  test('open: UDP/TCP only; other ports than SIP only with events', () => {
    const s = { protocol: 17, events: true, serverPort: 5060, clientPort: 5060, weird: () => {} } as unknown as FlowStart;
    assert.ok(sipConsumer.open(s) instanceof SipState);
    assert.ok(sipConsumer.open({ ...s, events: false }) instanceof SipState, 'SIP port: followed for media announcements');
    assert.equal(sipConsumer.open({ ...s, events: false, serverPort: 7000, clientPort: 7001 }), undefined);
    assert.ok(sipConsumer.open({ ...s, serverPort: 7000, clientPort: 7001 }) instanceof SipState);
    assert.equal(sipConsumer.open({ ...s, protocol: 1 }), undefined);
  });
});

const CORPUS = '/work/shared/corpus';

async function sipEvents(file: string): Promise<EventFields[]> {
  const engine = new Engine({ consumers: [sipConsumer, rtpConsumer, ftpConsumer] });
  const out: EventFields[] = [];
  engine.on('event', (ev: EventFields) => {
    if (ev.type === 'sip') out.push(ev);
  });
  await readCapture(file, engine);
  engine.finish();
  return out;
}

describe('sip corpus (tshark -Y sip)', () => {
  const fax = `${CORPUS}/ndpi/pcap/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap`;
  test('FAX call: 92 messages by method/status and call ids as tshark', { skip: !existsSync(fax) }, async () => {
    const evs = await sipEvents(fax);
    const count = new Map<string, number>();
    for (const e of evs) {
      const k = String(e.method ?? e.status);
      count.set(k, (count.get(k) ?? 0) + 1);
    }
    // tshark -Y sip -T fields -e sip.Method -e sip.Status-Code | sort | uniq -c
    assert.deepEqual(Object.fromEntries([...count].sort()), { 100: 16, 180: 4, 200: 24, 488: 4, ACK: 16, BYE: 4, INVITE: 16, OPTIONS: 8 });
    assert.deepEqual([...new Set(evs.map((e) => e.call_id))].sort().slice(0, 2), ['00e9d4a500e9d48-0015-0001-0000-0000@10.35.40.25', 'SD4909701-9ff11bf72eb4a347c92974d8fbbc2668-ao8o3i1']);
    // tshark: first INVITE's SDP c=IN IP4 10.23.1.52, m=audio 16756 RTP/AVP 8 103 102.
    const inv = evs.find((e) => e.method === 'INVITE' && String(e.call_id).startsWith('00e9')) as { media: Array<Record<string, unknown>> } | undefined;
    assert.ok(inv);
    assert.equal(inv.media[0].address, '10.23.1.52');
    assert.equal(inv.media[0].port, 16756);
    assert.equal((inv.media[0].codecs as string[])[0], 'PCMA/8000');
    assert.ok(evs.some((e) => e.user_agent === 'Arcor/Arcor-1.02.005t2'));
  });
  const hello = `${CORPUS}/ndpi/pcap/sip_hello.pcapng`;
  test('sip_hello: REGISTER/401/200 after "hello" keep-alives, as tshark', { skip: !existsSync(hello) }, async () => {
    const evs = await sipEvents(hello);
    assert.deepEqual(
      evs.map((e) => e.method ?? e.status),
      ['REGISTER', 401, 'REGISTER', 200, 'REGISTER', 401, 'REGISTER', 200],
    );
    assert.ok(evs.every((e) => e.call_id === 'c15740-ae78e54-13c4-38-3e10ffda-38'));
  });
  const http = `${CORPUS}/ndpi/pcap/http_on_sip_port.pcap`;
  test('HTTP on the SIP port is not SIP', { skip: !existsSync(http) }, async () => {
    assert.equal((await sipEvents(http)).length, 0);
  });
});
