// The consumer interface through the engine: who is asked, what is fed, what it costs, what a
// failing consumer does, and how fields reach the record (object and NDJSON forms alike).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import { FlowJsonEncoder } from '../export/flow-json-encoder.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import type { FlowRecord } from '../flow/record.js';
import type { Consumer, Dir, FlowStart } from './consumer.js';
import { Engine } from './engine.js';
import { LinkType } from '../capture/frame.js';
import { ethIp, ipTcp, ipUdp, TcpFlag, text } from '../testing/packet-builder.js';

const SAMPLE = 'samples/sample.pcap';

interface Collect {
  start: FlowStart;
  bytes: [string, string];
  datagrams: number;
  gaps: number;
}

function collector(name: string, want: (s: FlowStart) => boolean, opts: { doneAfter?: number } = {}): Consumer<Collect> & { opened: number } {
  const c = {
    name,
    opened: 0,
    open(start: FlowStart): Collect | undefined {
      c.opened++;
      return want(start) ? { start, bytes: ['', ''], datagrams: 0, gaps: 0 } : undefined;
    },
    stream(s: Collect, dir: Dir, b: Uint8Array, off: number, end: number) {
      s.bytes[dir] += Buffer.from(b.subarray(off, end)).toString('latin1');
    },
    gap(s: Collect) {
      s.gaps++;
    },
    datagram(s: Collect) {
      s.datagrams++;
    },
    done(s: Collect): boolean {
      return opts.doneAfter !== undefined && s.bytes[0].length + s.bytes[1].length >= opts.doneAfter;
    },
    close(s: Collect, fields: Record<string, unknown>) {
      if (s.bytes[0].startsWith('GET ')) fields.host = /Host: ([^\r\n]+)/.exec(s.bytes[0])?.[1];
      if (s.datagrams > 0) fields.tags = [`${name}:${s.datagrams}`];
    },
  };
  return c;
}

async function run(consumers: Consumer[]): Promise<{ recs: FlowRecord[]; json: string[]; engine: Engine }> {
  const engine = new Engine({ consumers });
  const recs: FlowRecord[] = [];
  const json: string[] = [];
  const enc = new FlowJsonEncoder();
  const row = new Float64Array(SNAPSHOT_FIELDS);
  engine.on('flow', (r) => recs.push(r));
  engine.on('flow-row', (t, f, reason, fields) => {
    snapshotFlow(t, f, reason, row, 0);
    enc.encode(row, 0, fields);
    json.push(new TextDecoder().decode(enc.take()));
  });
  await readCapture(SAMPLE, engine);
  engine.finish();
  return { recs, json, engine };
}

test('every new flow is offered once; followed flows get reassembled streams and datagrams', async () => {
  const http = collector('web', (s) => s.protocol === 6 && s.serverPort === 80);
  const udp = collector('udp', (s) => s.protocol === 17);
  const { recs, engine } = await run([http, udp]);
  assert.equal(http.opened, recs.length);
  assert.equal(udp.opened, recs.length);
  const web = recs.find((r) => r.server.port === 80)!;
  assert.equal(web.host, 'example.com');
  const dns = recs.find((r) => r.server.port === 53)!;
  assert.deepEqual(dns.tags, ['udp:2']);
  const s = engine.summary();
  assert.equal(s.consumers?.followedFlows, recs.filter((r) => r.protocol === 'UDP').length + 1);
  assert.ok((s.consumers?.reassembly.delivered ?? 0) > 0);
});

test('record fields are the same in the object and in the NDJSON encoder', async () => {
  const { recs, json } = await run([collector('web', (s) => s.serverPort === 80), collector('udp', (s) => s.protocol === 17)]);
  assert.equal(json.length, recs.length);
  for (let i = 0; i < recs.length; i++) assert.equal(json[i], `${JSON.stringify(recs[i])}\n`);
});

test('a consumer that is done is fed no more; a throwing consumer is counted and dropped, the others go on', async () => {
  const quick = collector('quick', (s) => s.serverPort === 80, { doneAfter: 1 });
  const bad: Consumer<number> = {
    name: 'bad',
    open: () => 1,
    stream() {
      throw new Error('boom');
    },
    datagram() {
      throw new Error('boom');
    },
  };
  const good = collector('good', (s) => s.serverPort === 80);
  const { recs, engine } = await run([quick, bad, good]);
  assert.ok(recs.find((r) => r.server.port === 80)?.host === 'example.com', 'the good consumer still saw the whole request');
  const weirds = engine.summary().weirds;
  assert.ok((weirds.bad_error ?? 0) >= 1);
  assert.ok((engine.summary().consumers?.errors ?? 0) >= 1);
});

test('without consumers the engine keeps no per-flow consumer state', async () => {
  const { engine } = await run([]);
  assert.equal(engine.summary().consumers, undefined);
});

test('fields a consumer leaves empty never reach the record (no null, "", [] or {})', async () => {
  const sloppy: Consumer<number> = {
    name: 'sloppy',
    open: (s) => (s.serverPort === 80 ? 1 : undefined),
    close(_s, fields) {
      fields.host = '';
      fields.http = { url: '/x', user_agent: '', server: null, extra: {} };
      fields.tags = ['', 'kept'];
      fields.dns = {};
    },
  };
  const { recs } = await run([sloppy]);
  const web = recs.find((r) => r.server.port === 80)!;
  assert.equal(web.host, undefined);
  assert.deepEqual(web.http, { url: '/x' });
  assert.deepEqual(web.tags, ['kept']);
  assert.equal(web.dns, undefined);
});

test('more consumers than fit a bit mask (40): each is fed, retired and closed on its own', async () => {
  const all = Array.from({ length: 40 }, (_, i) => collector(`c${i}`, (s) => s.serverPort === 80, i % 2 === 0 ? { doneAfter: 1 } : {}));
  const { recs } = await run(all);
  assert.equal(recs.find((r) => r.server.port === 80)?.host, 'example.com', 'a consumer past bit 31 saw the whole request');
  for (const c of all) assert.ok(c.opened > 0, `${c.name} was asked`);
});

test("openAt 'payload': asked at a flow's first payload, not before; false from stream/datagram lets the flow go", () => {
  const opened: Array<{ serverPort: number; tsUs: number; packetPort: number }> = [];
  let closed = 0;
  const lazy: Consumer<{ started: boolean }> = {
    name: 'lazy',
    openAt: 'payload',
    open(s) {
      opened.push({ serverPort: s.serverPort, tsUs: s.tsUs, packetPort: s.packet.dstPort });
      return { started: false };
    },
    stream(st, _dir, b, off) {
      if (!st.started && b[off] !== 0x47) return false; // not "G": not ours
      st.started = true;
    },
    datagram: () => false,
    close(_st, fields) {
      closed++;
      fields.tags = ['lazy'];
    },
  };
  const engine = new Engine({ consumers: [lazy as Consumer] });
  const recs: FlowRecord[] = [];
  engine.on('flow', (r) => recs.push(r));
  const T = 1_700_000_000_000_000;
  const send = (ts: number, ip: Uint8Array) => {
    const f = ethIp(ip);
    engine.frame(f, 0, f.length, f.length, ts, LinkType.Ethernet);
  };
  const { SYN, ACK, PSH } = TcpFlag;
  const c = '10.0.0.1';
  const sv = '10.0.0.2';
  // A handshake that never carries a byte: never asked.
  send(T, ipTcp({ src: c, dst: sv, sport: 40001, dport: 25, flags: SYN, seq: 10 }));
  send(T + 1, ipTcp({ src: sv, dst: c, sport: 25, dport: 40001, flags: SYN | ACK, seq: 99, ack: 11 }));
  // A request after the handshake: asked at the request, with the flow's first packet time.
  send(T + 10, ipTcp({ src: c, dst: sv, sport: 40002, dport: 80, flags: SYN, seq: 10 }));
  send(T + 11, ipTcp({ src: sv, dst: c, sport: 80, dport: 40002, flags: SYN | ACK, seq: 99, ack: 11 }));
  send(T + 12, ipTcp({ src: c, dst: sv, sport: 40002, dport: 80, flags: ACK, seq: 11, ack: 100 }));
  send(T + 13, ipTcp({ src: c, dst: sv, sport: 40002, dport: 80, flags: ACK | PSH, seq: 11, ack: 100, payload: text('GET / HTTP/1.1\r\n\r\n') }));
  send(T + 14, ipTcp({ src: c, dst: sv, sport: 40002, dport: 80, flags: ACK | PSH, seq: 29, ack: 100, payload: text('more') }));
  // Another protocol, and a datagram: asked once each, then let go.
  send(T + 20, ipTcp({ src: c, dst: sv, sport: 40003, dport: 8080, flags: ACK | PSH, seq: 1, ack: 1, payload: text('HELLO') }));
  send(T + 21, ipTcp({ src: c, dst: sv, sport: 40003, dport: 8080, flags: ACK | PSH, seq: 6, ack: 1, payload: text('AGAIN') }));
  send(T + 30, ipUdp({ src: c, dst: sv, sport: 40004, dport: 9999, payload: text('x') }));
  send(T + 31, ipUdp({ src: c, dst: sv, sport: 40004, dport: 9999, payload: text('y') }));
  engine.finish();
  assert.deepEqual(
    opened.map((o) => o.serverPort),
    [80, 8080, 9999],
  );
  assert.equal(opened[0]!.tsUs, T + 10, "tsUs is the flow's first packet time");
  assert.equal(opened[0]!.packetPort, 80, 'packet is the one that brought the payload');
  assert.equal(closed, 1, 'flows let go are not closed');
  assert.deepEqual(
    recs.filter((r) => r.tags !== undefined).map((r) => r.server.port),
    [80],
  );
  assert.equal(recs.length, 4);
});

test('mayOpen false at the first packet: a consumer that opens at the payload is never asked, and the flow is not kept waiting', () => {
  const asked: number[] = [];
  const tcpOnly: Consumer<true> = {
    name: 'tcp-only',
    openAt: 'payload',
    mayOpen: (s) => s.protocol === 6,
    open(s) {
      asked.push(s.protocol);
      return true;
    },
    stream: () => undefined,
  };
  const engine = new Engine({ consumers: [tcpOnly as Consumer] });
  const T = 1_700_000_000_000_000;
  const send = (ts: number, ip: Uint8Array) => {
    const f = ethIp(ip);
    engine.frame(f, 0, f.length, f.length, ts, LinkType.Ethernet);
  };
  send(T, ipUdp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 9999, payload: text('x') }));
  send(T + 1, ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40001, dport: 80, flags: TcpFlag.ACK | TcpFlag.PSH, seq: 1, ack: 1, payload: text('GET') }));
  engine.finish();
  assert.deepEqual(asked, [6]);
  assert.equal(engine.summary().consumers?.followedFlows, 1, 'the UDP flow was not followed');
});
