/**
 * Engine = decoder + flow tracker + records. Frames go in through `frame()`, records come out
 * through `on('flow')`; every record produced here is checked against the flow-record
 * contract (../shared/spec/flow-record.md) by `checkContract` below.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import type { FlowRecord } from '../flow/record.js';
import {
  EtherType,
  ethernet,
  ethIp,
  fragmentIpv4,
  gre,
  hex,
  icmpv6Echo,
  IpProto,
  ipPacket,
  ipTcp,
  ipUdp,
  ipv6Addr,
  TcpFlag,
} from '../testing/packet-builder.js';
import { Engine, type EngineOptions } from './engine.js';

// ---- contract checker -----------------------------------------------------------------------

/** Top-level fields in the contract's order. */
const FIELD_ORDER = ['type', 'flow_id', 'first_seen', 'last_seen', 'ip_version', 'protocol', 'vlan', 'client', 'server', 'tunnel', 'app', 'risks', 'tags', 'process', 'host', 'http', 'tls', 'dns', 'tcp', 'end_reason'];
const ENDPOINT_FIELDS = ['ip', 'port', 'packets', 'bytes', 'payload_bytes', 'pkt_len', 'iat_ms', 'ttl'];
const TCP_FIELDS = ['client_flags', 'server_flags', 'retransmissions', 'out_of_order', 'rtt_ms'];
const TUNNELS = ['GRE', 'GTP', 'VXLAN', 'IPIP', '6in4', '4in6', '6in6', 'Geneve', 'Teredo', 'CAPWAP'];
const PORTED = ['TCP', 'UDP', 'SCTP'];

/** RFC 5952 form, computed independently of src/flow/ip-text.ts. */
function canonicalV6(ip: string): string {
  const b = ipv6Addr(ip);
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
  }
  const hx = g.map((x) => x.toString(16));
  return best < 0 ? hx.join(':') : `${hx.slice(0, best).join(':')}::${hx.slice(best + bestLen).join(':')}`;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function checkValuesPresent(v: unknown, path: string): void {
  assert.notEqual(v, null, `${path} is null`);
  assert.notEqual(v, '', `${path} is "" (unknown must be absent)`);
  assert.notEqual(v, undefined, `${path} is present but undefined`);
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${path} is not finite`);
  if (Array.isArray(v)) for (const [i, x] of v.entries()) checkValuesPresent(x, `${path}[${i}]`);
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) checkValuesPresent(x, `${path}.${k}`);
}

function checkDistribution(d: unknown, path: string): void {
  assert.equal(typeof d, 'object', path);
  const o = d as Record<string, number>;
  assert.deepEqual(Object.keys(o), ['min', 'avg', 'max', 'stddev'], path);
  assert.ok(o.min! <= o.avg! && o.avg! <= o.max!, `${path}: min <= avg <= max`);
  assert.ok(o.stddev! >= 0, `${path}.stddev`);
  for (const k of ['min', 'avg', 'max', 'stddev']) assert.equal(Number(o[k]!.toFixed(3)), o[k], `${path}.${k} has 3 decimals at most`);
}

function checkEndpoint(e: unknown, path: string, rec: FlowRecord): void {
  assert.equal(typeof e, 'object', path);
  const o = e as Record<string, unknown>;
  const keys = Object.keys(o);
  assert.deepEqual(
    keys.filter((k) => !ENDPOINT_FIELDS.includes(k)),
    [],
    `${path}: fields outside the contract`,
  );
  assert.equal(typeof o.ip, 'string', `${path}.ip`);
  const ip = o.ip as string;
  if (rec.ip_version === 4) assert.match(ip, /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, `${path}.ip`);
  else assert.equal(ip, canonicalV6(ip), `${path}.ip is RFC 5952`);
  assert.ok(isCount(o.port) && o.port <= 65535, `${path}.port`);
  if (!PORTED.includes(rec.protocol)) assert.equal(o.port, 0, `${path}.port is 0 for ${rec.protocol}`);
  for (const k of ['packets', 'bytes', 'payload_bytes']) assert.ok(isCount(o[k]), `${path}.${k} is a count`);
  if (o.packets === 0) {
    for (const k of ['pkt_len', 'iat_ms', 'ttl']) assert.equal(o[k], undefined, `${path}.${k} without packets`);
    assert.equal(o.bytes, 0);
  }
  if (o.pkt_len !== undefined) checkDistribution(o.pkt_len, `${path}.pkt_len`);
  if (o.iat_ms !== undefined) checkDistribution(o.iat_ms, `${path}.iat_ms`);
  if (o.ttl !== undefined) {
    const t = o.ttl as Record<string, number>;
    assert.deepEqual(Object.keys(t), ['min', 'max'], `${path}.ttl`);
    assert.ok(isCount(t.min) && isCount(t.max) && t.min <= t.max && t.max <= 255, `${path}.ttl range`);
  }
}

/** Asserts that one record follows the flow-record contract. */
function checkContract(rec: FlowRecord): void {
  const r = rec as unknown as Record<string, unknown>;
  const keys = Object.keys(r);
  assert.deepEqual(
    keys.filter((k) => !FIELD_ORDER.includes(k)),
    [],
    'fields outside the contract',
  );
  assert.deepEqual(
    keys,
    FIELD_ORDER.filter((k) => keys.includes(k)),
    'fields in the contract order',
  );
  checkValuesPresent(r, 'record');
  assert.equal(r.type, 'flow');
  assert.ok(typeof r.flow_id === 'string' && r.flow_id.length > 0, 'flow_id');
  for (const k of ['first_seen', 'last_seen'] as const) {
    const v = rec[k];
    assert.ok(typeof v === 'number' && v > 0, k);
    assert.equal(Number(v.toFixed(6)), v, `${k} has microsecond precision`);
  }
  assert.ok(rec.first_seen <= rec.last_seen, 'first_seen <= last_seen');
  assert.ok(rec.ip_version === 4 || rec.ip_version === 6, 'ip_version');
  assert.ok(typeof rec.protocol === 'string' && /^([A-Za-z][A-Za-z0-9]*|\d{1,3})$/.test(rec.protocol), 'protocol');
  if ('vlan' in r) assert.ok(isCount(r.vlan) && r.vlan <= 4095, 'vlan');
  checkEndpoint(r.client, 'client', rec);
  checkEndpoint(r.server, 'server', rec);
  assert.ok(rec.client.packets + rec.server.packets > 0, 'a flow has packets');
  if ('tunnel' in r) assert.ok(TUNNELS.includes(r.tunnel as string), `tunnel ${String(r.tunnel)}`);
  if ('tcp' in r) {
    assert.equal(rec.protocol, 'TCP', 'tcp object only on TCP flows');
    const t = r.tcp as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(t).filter((k) => !TCP_FIELDS.includes(k)),
      [],
      'tcp fields outside the contract',
    );
    for (const k of ['client_flags', 'server_flags']) if (k in t) assert.match(t[k] as string, /^S?A?P?F?R?U?E?C?$/, `tcp.${k}`);
    assert.ok(isCount(t.retransmissions) && isCount(t.out_of_order), 'tcp counters');
    if ('rtt_ms' in t) assert.ok(typeof t.rtt_ms === 'number' && t.rtt_ms >= 0, 'tcp.rtt_ms');
  }
  assert.ok(['idle', 'active', 'fin', 'rst', 'eof'].includes(rec.end_reason), `end_reason ${rec.end_reason}`);
  // A record is plain JSON data.
  assert.deepEqual(JSON.parse(JSON.stringify(rec)), rec);
}

// ---- harness --------------------------------------------------------------------------------

const T = 1_700_000_000_123_456; // µs
const MS = 1000;
const S = 1_000_000;

class Run {
  readonly engine: Engine;
  readonly records: FlowRecord[] = [];
  constructor(options: EngineOptions = {}) {
    this.engine = new Engine(options);
    this.engine.on('flow', (r) => {
      checkContract(r);
      this.records.push(r);
    });
  }
  send(ts: number, frame: Uint8Array, wireLen = frame.length, linkType: number = LinkType.Ethernet): this {
    this.engine.frame(frame, 0, frame.length, wireLen, ts, linkType);
    return this;
  }
  finish(): FlowRecord[] {
    this.engine.finish();
    const ids = this.records.map((r) => r.flow_id);
    assert.equal(new Set(ids).size, ids.length, 'flow ids unique within the run');
    return this.records;
  }
}

const C = '10.0.0.1';
const SV = '10.0.0.2';
const tcpF = (src: string, dst: string, sport: number, dport: number, flags: number, seq = 0, ack = 0, payload = 0, ttl = 64): Uint8Array =>
  ethIp(ipTcp({ src, dst, sport, dport, flags, seq, ack, payload: new Uint8Array(payload), ip: { ttl } }));
const udpF = (src: string, dst: string, sport: number, dport: number, payload = 0, ttl = 64): Uint8Array =>
  ethIp(ipUdp({ src, dst, sport, dport, payload: new Uint8Array(payload), ip: { ttl } }));
const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

// ---- tests ------------------------------------------------------------------------------------

describe('Engine: records', () => {
  test('UDP: both directions merge; exact counters and distributions', () => {
    const run = new Run();
    run.send(T, udpF(C, SV, 40000, 53, 10, 64)); // 52 bytes
    run.send(T + 500, udpF(SV, C, 53, 40000, 20, 128)); // 62
    run.send(T + 1 * MS, udpF(C, SV, 40000, 53, 30, 60)); // 72
    run.send(T + 3 * MS, udpF(C, SV, 40000, 53, 50, 62)); // 92
    const [rec, ...rest] = run.finish();
    assert.deepEqual(rest, []);
    assert.deepEqual(rec, {
      type: 'flow',
      flow_id: '1',
      first_seen: 1700000000.123456,
      last_seen: 1700000000.126456,
      ip_version: 4,
      protocol: 'UDP',
      client: {
        ip: C,
        port: 40000,
        packets: 3,
        bytes: 216,
        payload_bytes: 90,
        pkt_len: { min: 52, avg: 72, max: 92, stddev: 16.33 },
        iat_ms: { min: 1, avg: 1.5, max: 2, stddev: 0.5 },
        ttl: { min: 60, max: 64 },
      },
      server: {
        ip: SV,
        port: 53,
        packets: 1,
        bytes: 62,
        payload_bytes: 20,
        pkt_len: { min: 62, avg: 62, max: 62, stddev: 0 },
        ttl: { min: 128, max: 128 },
      },
      end_reason: 'eof',
    });
  });

  test('the client is the first sender, whichever address sorts first', () => {
    const run = new Run();
    run.send(T, udpF('10.9.9.9', '10.0.0.1', 5000, 6000));
    run.send(T + 1, udpF('10.0.0.1', '10.9.9.9', 6000, 5000));
    const [rec] = run.finish();
    assert.equal(rec!.client.ip, '10.9.9.9');
    assert.equal(rec!.client.port, 5000);
    assert.equal(rec!.server.ip, '10.0.0.1');
    assert.equal(rec!.server.port, 6000);
    assert.equal(rec!.client.packets, 1);
    assert.equal(rec!.server.packets, 1);
  });

  test('one-way flow: the silent side has zero counters and no distributions', () => {
    const run = new Run();
    run.send(T, udpF(C, SV, 1, 2, 4));
    const [rec] = run.finish();
    assert.deepEqual(rec!.server, { ip: SV, port: 2, packets: 0, bytes: 0, payload_bytes: 0 });
    assert.equal(rec!.client.iat_ms, undefined);
  });

  test('bytes are wire lengths (libpcap len), payload from the headers, with a short snaplen', () => {
    const run = new Run();
    const f = tcpF(C, SV, 40000, 80, ACK | PSH, 1, 1, 1460);
    run.send(T, f.subarray(0, 54), 1514);
    const [rec] = run.finish();
    assert.equal(rec!.client.bytes, 1514);
    assert.equal(rec!.client.payload_bytes, 1460);
    assert.deepEqual(rec!.client.pkt_len, { min: 1514, avg: 1514, max: 1514, stddev: 0 });
    const s = run.engine.summary();
    assert.equal(s.bytes, 1514);
    assert.equal(s.capturedBytes, 54);
  });

  test('TCP session: flags, handshake RTT, per-direction counts; FIN both ways → "fin"', () => {
    const run = new Run();
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1000));
    run.send(T + 10 * MS, tcpF(SV, C, 80, 40000, SYN | ACK, 5000, 1001));
    run.send(T + 12 * MS, tcpF(C, SV, 40000, 80, ACK, 1001, 5001));
    run.send(T + 13 * MS, tcpF(C, SV, 40000, 80, PSH | ACK, 1001, 5001, 100));
    run.send(T + 20 * MS, tcpF(SV, C, 80, 40000, ACK, 5001, 1101));
    run.send(T + 30 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 1101, 5001));
    run.send(T + 31 * MS, tcpF(SV, C, 80, 40000, FIN | ACK, 5001, 1102));
    run.send(T + 32 * MS, tcpF(C, SV, 40000, 80, ACK, 1102, 5002));
    const [rec, ...rest] = run.finish();
    assert.deepEqual(rest, []);
    assert.equal(rec!.protocol, 'TCP');
    assert.deepEqual(rec!.tcp, { client_flags: 'SAPF', server_flags: 'SAF', retransmissions: 0, out_of_order: 0, rtt_ms: 12 });
    assert.equal(rec!.client.ip, C);
    assert.equal(rec!.client.port, 40000);
    assert.equal(rec!.client.packets, 5);
    assert.equal(rec!.server.packets, 3);
    assert.equal(rec!.client.payload_bytes, 100);
    assert.equal(rec!.server.payload_bytes, 0);
    assert.equal(rec!.client.bytes, 4 * 54 + 154);
    assert.equal(rec!.end_reason, 'fin');
  });

  test('a flow whose first packet is a SYN-ACK has the SYN-ACK\'s receiver as client', () => {
    const run = new Run();
    run.send(T, tcpF(SV, C, 80, 40000, SYN | ACK, 5000, 1001));
    run.send(T + 1 * MS, tcpF(C, SV, 40000, 80, ACK, 1001, 5001));
    const [rec] = run.finish();
    assert.equal(rec!.client.ip, C);
    assert.equal(rec!.client.port, 40000);
    assert.equal(rec!.server.ip, SV);
    assert.equal(rec!.server.port, 80);
    assert.equal(rec!.server.packets, 1);
    assert.equal(rec!.client.packets, 1);
    assert.equal(rec!.tcp?.server_flags, 'SA');
    assert.equal(rec!.tcp?.client_flags, 'A');
    assert.equal(rec!.tcp?.rtt_ms, undefined);
  });

  test('SYN-ACK first, from the lower or the higher address', () => {
    for (const [srv, cli] of [
      ['10.0.0.1', '10.0.0.200'],
      ['10.0.0.200', '10.0.0.1'],
    ] as const) {
      const run = new Run();
      run.send(T, tcpF(srv, cli, 443, 50000, SYN | ACK, 1, 1));
      run.send(T + 1, tcpF(srv, cli, 443, 50000, ACK | PSH, 2, 1, 10));
      run.send(T + 2, tcpF(cli, srv, 50000, 443, ACK, 1, 12));
      const [rec] = run.finish();
      assert.deepEqual([rec!.client.ip, rec!.client.port, rec!.client.packets], [cli, 50000, 1], srv);
      assert.deepEqual([rec!.server.ip, rec!.server.port, rec!.server.packets, rec!.server.payload_bytes], [srv, 443, 2, 10], srv);
    }
  });

  test('SYN-ACK only: the client sent nothing, and its flags are absent, not ""', () => {
    const run = new Run();
    run.send(T, tcpF(SV, C, 443, 50000, SYN | ACK, 1, 1));
    const [rec] = run.finish();
    assert.equal(rec!.client.ip, C);
    assert.equal(rec!.client.packets, 0);
    assert.equal(rec!.tcp?.server_flags, 'SA');
  });

  test('SYN scan: one-sided flows pass the contract', () => {
    const run = new Run();
    for (let p = 1; p <= 5; p++) run.send(T + p, tcpF(C, SV, 55555, p, SYN, 7));
    const recs = run.finish();
    assert.equal(recs.length, 5);
    for (const r of recs) assert.equal(r.tcp?.client_flags, 'S');
  });

  test('FIN both ways → "fin" only after tcpCloseTimeout (on the packet clock)', () => {
    const run = new Run({ flows: { tcpCloseTimeout: 5 } });
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1));
    run.send(T + 1 * MS, tcpF(SV, C, 80, 40000, SYN | ACK, 9, 2));
    run.send(T + 2 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 2, 10));
    run.send(T + 3 * MS, tcpF(SV, C, 80, 40000, FIN | ACK, 10, 3));
    run.send(T + 1 * S, udpF('10.5.5.5', '10.6.6.6', 1, 2)); // clock: +1 s
    assert.equal(run.records.length, 0);
    run.send(T + 6 * S, udpF('10.5.5.5', '10.6.6.6', 1, 2)); // clock: +6 s > close timeout
    assert.equal(run.records.length, 1);
    assert.equal(run.records[0]!.end_reason, 'fin');
    assert.equal(run.records[0]!.protocol, 'TCP');
    assert.equal(run.records[0]!.last_seen, (T + 3 * MS) / 1e6);
    const all = run.finish();
    assert.deepEqual(
      all.map((r) => [r.protocol, r.end_reason]),
      [
        ['TCP', 'fin'],
        ['UDP', 'eof'],
      ],
    );
  });

  test('only one FIN: still open at the end → "eof"', () => {
    const run = new Run({ flows: { tcpCloseTimeout: 1 } });
    run.send(T, tcpF(C, SV, 40000, 80, ACK, 1, 1, 10));
    run.send(T + 1 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 11, 1));
    run.send(T + 10 * S, udpF('10.5.5.5', '10.6.6.6', 1, 2));
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => r.end_reason),
      ['eof', 'eof'],
    );
  });

  test('RST → "rst", after the close timeout or at the end', () => {
    let run = new Run({ flows: { tcpCloseTimeout: 2 } });
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1));
    run.send(T + 1 * MS, tcpF(SV, C, 80, 40000, RST | ACK, 0, 2));
    run.send(T + 3 * S, udpF('10.5.5.5', '10.6.6.6', 1, 2));
    assert.equal(run.records.length, 1);
    assert.equal(run.records[0]!.end_reason, 'rst');
    assert.equal(run.records[0]!.tcp?.server_flags, 'AR');
    run = new Run();
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1));
    run.send(T + 1 * MS, tcpF(C, SV, 40000, 80, RST, 2));
    assert.deepEqual(
      run.finish().map((r) => r.end_reason),
      ['rst'],
    );
  });

  test('port reuse: a new SYN after the close ends the old flow → two records', () => {
    const run = new Run();
    const handshake = (t0: number, isn: number) => {
      run.send(t0, tcpF(C, SV, 40000, 80, SYN, isn));
      run.send(t0 + 1 * MS, tcpF(SV, C, 80, 40000, SYN | ACK, 7000, isn + 1));
      run.send(t0 + 2 * MS, tcpF(C, SV, 40000, 80, ACK, isn + 1, 7001));
    };
    handshake(T, 100);
    run.send(T + 3 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 101, 7001));
    run.send(T + 4 * MS, tcpF(SV, C, 80, 40000, FIN | ACK, 7001, 102));
    run.send(T + 5 * MS, tcpF(C, SV, 40000, 80, ACK, 102, 7002));
    handshake(T + 1 * S, 900000);
    assert.equal(run.records.length, 1, 'the old flow ends when the new SYN arrives');
    assert.equal(run.records[0]!.end_reason, 'fin');
    assert.equal(run.records[0]!.client.packets, 4);
    const recs = run.finish();
    assert.equal(recs.length, 2);
    assert.notEqual(recs[0]!.flow_id, recs[1]!.flow_id);
    assert.equal(recs[1]!.end_reason, 'eof');
    assert.equal(recs[1]!.first_seen, (T + 1 * S) / 1e6);
    assert.equal(recs[1]!.client.packets, 2);
    assert.equal(recs[1]!.tcp?.rtt_ms, 2);
    assert.equal(run.engine.summary().flows.portReuse, 1);
    // After an RST too.
    const r2 = new Run();
    r2.send(T, tcpF(C, SV, 1, 2, SYN, 1));
    r2.send(T + 1, tcpF(SV, C, 2, 1, RST | ACK, 0, 2));
    r2.send(T + 2, tcpF(C, SV, 1, 2, SYN, 50));
    assert.deepEqual(
      r2.finish().map((r) => r.end_reason),
      ['rst', 'eof'],
    );
  });

  test('idle timeout → "idle"; a later packet starts a new flow', () => {
    const run = new Run({ flows: { idleTimeout: 10 } });
    run.send(T, udpF(C, SV, 1000, 2000));
    run.send(T + 2 * S, udpF(SV, C, 2000, 1000));
    run.send(T + 13 * S, udpF(SV, C, 2000, 1000));
    assert.equal(run.records.length, 1);
    assert.equal(run.records[0]!.end_reason, 'idle');
    assert.equal(run.records[0]!.last_seen, (T + 2 * S) / 1e6);
    const recs = run.finish();
    assert.equal(recs.length, 2);
    assert.equal(recs[1]!.end_reason, 'eof');
    assert.equal(recs[1]!.first_seen, (T + 13 * S) / 1e6);
    assert.equal(recs[1]!.client.ip, SV, 'the new flow\'s client is its first sender');
    const s = run.engine.summary();
    assert.equal(s.flows.created, 2);
    assert.equal(s.flows.ended, 2);
    assert.equal(s.flows.evicted, 0);
  });

  test('active timeout → "active"; the next packet starts a new flow', () => {
    const run = new Run({ flows: { activeTimeout: 5, idleTimeout: 600 } });
    for (const k of [0, 2, 4, 6, 8]) run.send(T + k * S, udpF(k === 6 ? SV : C, k === 6 ? C : SV, k === 6 ? 53 : 40000, k === 6 ? 40000 : 53));
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => [r.end_reason, r.client.packets + r.server.packets, r.client.ip]),
      [
        ['active', 3, C],
        ['eof', 2, SV],
      ],
    );
    assert.equal(recs[0]!.last_seen, (T + 4 * S) / 1e6);
  });

  test('--max-flows: the least recently seen flow is evicted as "idle" and counted', () => {
    const run = new Run({ flows: { maxFlows: 2 } });
    run.send(T, udpF(C, SV, 1, 1));
    run.send(T + 1, udpF(C, SV, 2, 2));
    run.send(T + 2, udpF(C, SV, 1, 1)); // flow 1 is now the most recent
    run.send(T + 3, udpF(C, SV, 3, 3)); // evicts flow 2
    assert.equal(run.records.length, 1);
    assert.equal(run.records[0]!.client.port, 2);
    assert.equal(run.records[0]!.end_reason, 'idle');
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => [r.client.port, r.end_reason]),
      [
        [2, 'idle'],
        [1, 'eof'],
        [3, 'eof'],
      ],
    );
    const s = run.engine.summary();
    assert.equal(s.flows.evicted, 1);
    assert.equal(s.flows.created, 3);
  });

  test('end of input ends every flow with "eof"; finish() is idempotent', () => {
    const run = new Run();
    run.send(T, udpF(C, SV, 1, 2));
    run.send(T, udpF(C, SV, 3, 4));
    run.engine.finish();
    run.engine.finish();
    assert.deepEqual(
      run.records.map((r) => r.end_reason),
      ['eof', 'eof'],
    );
  });

  test('same 5-tuple in two VLANs (and untagged) = separate flows with their vlan', () => {
    const run = new Run();
    const ip = ipUdp({ src: C, dst: SV, sport: 5, dport: 6 });
    run.send(T, ethernet({ etherType: EtherType.IPv4, vlans: [10], payload: ip }));
    run.send(T + 1, ethernet({ etherType: EtherType.IPv4, vlans: [20], payload: ip }));
    run.send(T + 2, ethIp(ip));
    run.send(T + 3, ethernet({ etherType: EtherType.IPv4, vlans: [{ vid: 10, tpid: 0x88a8 }, 99], payload: ip }));
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => [r.vlan, r.client.packets]),
      [
        [20, 1],
        [undefined, 1],
        [10, 2], // seen last, so it ends last
      ],
    );
    assert.equal('vlan' in recs[1]!, false);
  });

  test('IPv6 addresses are printed in RFC 5952 form', () => {
    const run = new Run();
    const a = '2001:0db8:0000:0000:0000:0000:0000:0001';
    const b = '2001:DB8:0:0:1:0:0:1';
    run.send(T, ethIp(ipUdp({ src: a, dst: b, sport: 1, dport: 2 })));
    run.send(T + 1, ethIp(ipPacket('fe80::0204:61ff:fe9d:f156', 'ff02::1', IpProto.ICMPv6, icmpv6Echo({ src: 'fe80::204:61ff:fe9d:f156', dst: 'ff02::1', id: 1, seq: 1 }))));
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => [r.ip_version, r.protocol, r.client.ip, r.server.ip, r.client.port]),
      [
        [6, 'UDP', '2001:db8::1', '2001:db8::1:0:0:1', 1],
        [6, 'ICMPv6', 'fe80::204:61ff:fe9d:f156', 'ff02::1', 0],
      ],
    );
  });

  test('first_seen / last_seen in seconds with microsecond precision', () => {
    const run = new Run();
    run.send(1_234_567_890_000_001, udpF(C, SV, 1, 2));
    run.send(1_234_567_890_999_999, udpF(C, SV, 1, 2));
    const [rec] = run.finish();
    assert.equal(rec!.first_seen, 1234567890.000001);
    assert.equal(rec!.last_seen, 1234567890.999999);
    assert.equal(rec!.client.iat_ms?.min, 999.998);
  });

  test('retransmission vs out-of-order; keep-alives count as neither', () => {
    const run = new Run();
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1000));
    run.send(T + 10 * MS, tcpF(SV, C, 80, 40000, SYN | ACK, 5000, 1001));
    run.send(T + 12 * MS, tcpF(C, SV, 40000, 80, ACK, 1001, 5001)); // RTT 12 ms
    const t1 = T + 20 * MS;
    run.send(t1, tcpF(C, SV, 40000, 80, ACK | PSH, 1001, 5001, 100));
    run.send(t1 + 1 * MS, tcpF(C, SV, 40000, 80, ACK | PSH, 1101, 5001, 100));
    run.send(t1 + 100 * MS, tcpF(C, SV, 40000, 80, ACK | PSH, 1001, 5001, 100)); // resent long after: retransmission
    run.send(t1 + 200 * MS, tcpF(C, SV, 40000, 80, ACK | PSH, 1301, 5001, 100)); // 1201 skipped
    run.send(t1 + 201 * MS, tcpF(C, SV, 40000, 80, ACK | PSH, 1201, 5001, 100)); // the gap, 1 ms later: out of order
    run.send(t1 + 5 * S, tcpF(C, SV, 40000, 80, ACK, 1400, 5001, 1)); // keep-alive (seq = next - 1, 1 byte)
    run.send(t1 + 6 * S, tcpF(C, SV, 40000, 80, ACK, 1400, 5001, 0)); // keep-alive without data
    const [rec] = run.finish();
    assert.equal(rec!.tcp?.retransmissions, 1);
    assert.equal(rec!.tcp?.out_of_order, 1);
    assert.equal(rec!.tcp?.rtt_ms, 12);
    assert.equal(rec!.client.payload_bytes, 501);
  });

  test('retransmitted SYN and FIN count as retransmissions, not keep-alives', () => {
    // Wireshark's keep-alive: <= 1 byte at next - 1 *without SYN, FIN or RST*.
    let run = new Run();
    run.send(T, tcpF(C, SV, 40000, 80, SYN, 1000));
    run.send(T + 1 * S, tcpF(C, SV, 40000, 80, SYN, 1000));
    run.send(T + 3 * S, tcpF(C, SV, 40000, 80, SYN, 1000));
    let [rec] = run.finish();
    assert.equal(rec!.client.packets, 3);
    assert.equal(rec!.tcp?.retransmissions, 2);
    run = new Run();
    run.send(T, tcpF(C, SV, 40000, 80, ACK | PSH, 1000, 1, 10));
    run.send(T + 1 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 1010, 1));
    run.send(T + 500 * MS, tcpF(C, SV, 40000, 80, FIN | ACK, 1010, 1));
    [rec] = run.finish();
    assert.equal(rec!.tcp?.retransmissions, 1);
  });

  test('sequence numbers wrapping past 2^32 are in order', () => {
    const run = new Run();
    const isn = 0xffffff00;
    run.send(T, tcpF(C, SV, 1, 2, ACK | PSH, isn, 1, 200));
    run.send(T + 10 * MS, tcpF(C, SV, 1, 2, ACK | PSH, (isn + 200) >>> 0, 1, 200));
    run.send(T + 20 * MS, tcpF(C, SV, 1, 2, ACK | PSH, (isn + 400) >>> 0, 1, 200));
    const [rec] = run.finish();
    assert.equal(rec!.tcp?.retransmissions, 0);
    assert.equal(rec!.tcp?.out_of_order, 0);
  });

  test('tunnelled flow: inner 5-tuple, tunnel name; the outer GRE endpoints make no flow', () => {
    const run = new Run();
    const inner = ipTcp({ src: '192.168.0.1', dst: '192.168.0.2', sport: 33000, dport: 22, flags: SYN });
    run.send(T, ethIp(ipPacket('10.0.0.1', '10.0.0.2', IpProto.GRE, gre({ protocol: 0x0800, key: 1, payload: inner }))));
    const [rec, ...rest] = run.finish();
    assert.deepEqual(rest, []);
    assert.equal(rec!.tunnel, 'GRE');
    assert.equal(rec!.client.ip, '192.168.0.1');
    assert.equal(rec!.server.port, 22);
    assert.equal(rec!.ip_version, 4);
  });

  test('fragmented datagram: one flow packet per fragment, wire bytes summed; summary counts', () => {
    const run = new Run();
    const whole = ipUdp({ src: C, dst: SV, sport: 7000, dport: 7001, payload: new Uint8Array(100), ip: { id: 77 } });
    const frags = fragmentIpv4(whole, 48).map((f) => ethIp(f)); // 82, 82, 46 bytes
    for (const [i, f] of frags.entries()) run.send(T + i * MS, f);
    run.send(T + 10 * MS, udpF(SV, C, 7001, 7000, 4));
    const [rec] = run.finish();
    assert.equal(rec!.client.packets, 3);
    assert.equal(rec!.client.bytes, 210);
    assert.equal(rec!.client.payload_bytes, 100);
    assert.equal(rec!.first_seen, T / 1e6);
    assert.equal(rec!.client.iat_ms, undefined, 'one arrival: no inter-arrival sample');
    assert.ok(rec!.client.pkt_len!.min <= 70 && rec!.client.pkt_len!.max >= 70);
    const s = run.engine.summary();
    assert.equal(s.packets, 4);
    assert.equal(s.fragments, 3);
    assert.equal(s.ipPackets, 4);
    assert.equal(s.defrag.reassembled, 1);
  });

  test('fragments that never complete still count in a flow at the end of input', () => {
    const run = new Run();
    const whole = ipUdp({ src: C, dst: SV, sport: 7000, dport: 7001, payload: new Uint8Array(100), ip: { id: 78 } });
    const [first, second] = fragmentIpv4(whole, 48).map((f) => ethIp(f));
    run.send(T, first!);
    const other = ipUdp({ src: C, dst: SV, sport: 7000, dport: 7001, payload: new Uint8Array(100), ip: { id: 79 } });
    run.send(T + 1, ethIp(fragmentIpv4(other, 48)[1]!));
    assert.ok(second);
    const recs = run.finish();
    assert.deepEqual(
      recs.map((r) => [r.client.port, r.server.port, r.client.packets, r.client.bytes]),
      [
        [7000, 7001, 1, 82],
        [0, 0, 1, 82],
      ],
    );
    assert.equal(run.engine.summary().weirds.fragment_timeout, 2);
    assert.equal(run.engine.summary().ipPackets, 2);
  });

  test('fragments that time out mid-capture are accounted when a later frame arrives', () => {
    const run = new Run({ defrag: { timeoutUs: 1 * S } });
    const whole = ipUdp({ src: C, dst: SV, sport: 7000, dport: 7001, payload: new Uint8Array(100), ip: { id: 80 } });
    run.send(T, ethIp(fragmentIpv4(whole, 48)[0]!));
    run.send(T + 2 * S, udpF(C, SV, 7000, 7001, 10));
    const [rec] = run.finish();
    assert.equal(rec!.client.packets, 2);
    assert.equal(rec!.first_seen, T / 1e6);
    assert.equal(run.engine.summary().defrag.timedOut, 1);
  });

  test('summary: frames, non-IP, invalid, weirds, time span', () => {
    const run = new Run();
    run.send(T, udpF(C, SV, 1, 2));
    run.send(T + 5, ethernet({ etherType: EtherType.ARP, payload: hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002') }));
    run.send(T + 7, hex('0200 0000 0002'));
    run.send(T + 9, udpF(C, SV, 1, 2), 70, 147);
    const s = run.engine.summary();
    assert.equal(s.packets, 4);
    assert.equal(s.ipPackets, 1);
    assert.equal(s.nonIpPackets, 2);
    assert.equal(s.invalidPackets, 1);
    assert.equal(s.firstTsUs, T);
    assert.equal(s.lastTsUs, T + 9);
    assert.deepEqual(s.weirds, { truncated_link_header: 1, unknown_link_type: 1 });
    assert.ok(s.flowStateBytesPerFlow > 0);
  });

  test("'flow-row' listeners see every ended flow with its reason, before the slot is freed", () => {
    const run = new Run({ flows: { maxFlows: 2, idleTimeout: 10 } });
    const rows: [number, number, number][] = [];
    run.engine.on('flow-row', (t, f, reason) => rows.push([t.packets[2 * f]!, t.serial[f]!, reason]));
    run.send(T, udpF(C, SV, 1, 1));
    run.send(T + 1, udpF(C, SV, 2, 2));
    run.send(T + 2, udpF(C, SV, 3, 3)); // evicts port 1 (idle)
    run.send(T + 20 * S, udpF(C, SV, 3, 3)); // ends ports 2 and 3 (idle), starts a new flow
    const recs = run.finish();
    assert.deepEqual(
      rows.map(([p, serial]) => [p, String(serial)]),
      recs.map((r) => [r.client.packets, r.flow_id]),
    );
    assert.deepEqual(
      recs.map((r) => r.end_reason),
      ['idle', 'idle', 'idle', 'eof'],
    );
    assert.deepEqual(
      rows.map((r) => r[2]),
      [0, 0, 0, 4],
    );
    const s = run.engine.summary();
    assert.equal(s.flows.ended, recs.length);
    assert.equal(s.flows.created, recs.length);
    assert.equal(s.flows.evicted, 1);
  });

  test('flowIdPrefix keeps ids unique across engines', () => {
    const run = new Run({ flowIdPrefix: 'w3-' });
    run.send(T, udpF(C, SV, 1, 2));
    run.send(T, udpF(C, SV, 3, 4));
    assert.deepEqual(
      run.finish().map((r) => r.flow_id),
      ['w3-1', 'w3-2'],
    );
  });

  test('other link types feed the same flows', () => {
    const run = new Run();
    const ip = ipUdp({ src: C, dst: SV, sport: 1, dport: 2 });
    run.send(T, ip, ip.length, LinkType.Raw);
    run.send(T + 1, ethIp(ipUdp({ src: SV, dst: C, sport: 2, dport: 1 })));
    const [rec, ...rest] = run.finish();
    assert.deepEqual(rest, []);
    assert.equal(rec!.client.packets + rec!.server.packets, 2);
  });
});

describe('Engine: determinism', () => {
  test('the same frames twice give identical records and summaries', () => {
    const frames: [number, Uint8Array][] = [];
    let ts = T;
    for (let i = 0; i < 300; i++) {
      ts += 1 + ((i * 7919) % 5000);
      const c = `10.0.${i % 7}.${1 + (i % 11)}`;
      const port = 1024 + (i % 13);
      if (i % 3 === 0) frames.push([ts, udpF(c, SV, port, 53, i % 50)]);
      else if (i % 3 === 1) frames.push([ts, tcpF(c, SV, port, 443, i % 9 === 1 ? SYN : ACK | PSH, i * 100, 1, i % 40)]);
      else frames.push([ts, tcpF(SV, c, 443, port, i % 9 === 2 ? SYN | ACK : ACK, i * 50, 1, i % 30)]);
    }
    const whole = ipUdp({ src: C, dst: SV, sport: 9, dport: 9, payload: new Uint8Array(300), ip: { id: 5 } });
    for (const f of fragmentIpv4(whole, 64)) frames.push([(ts += 10), ethIp(f)]);
    const once = () => {
      const run = new Run({ flows: { maxFlows: 50, idleTimeout: 1 } });
      for (const [t, f] of frames) run.send(t, f);
      const recs = run.finish();
      return { recs, summary: run.engine.summary() };
    };
    const a = once();
    const b = once();
    assert.ok(a.recs.length > 50);
    assert.deepEqual(a.recs, b.recs);
    assert.deepEqual(a.summary, b.summary);
    assert.equal(JSON.stringify(a.recs), JSON.stringify(b.recs));
  });
});
