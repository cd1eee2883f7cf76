/**
 * DHCP: messages built here byte by byte (options, overload, split options, plain BOOTP);
 * truncation at every byte and lies at every option length (weirds, never a throw); the per-flow
 * state and the consumer, directly and through the engine; nDPI's captures through the real
 * engine, compared with nDPI's expected flows (DHCP found, `host`); tcpdump's captures crash-free.
 */
import { testFlowStart } from '../testing/flow-start.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LinkType } from '../capture/frame.js';
import type { Consumer, FlowStart, RecordFields } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import type { FlowRecord } from '../flow/record.js';
import { flowContractViolations } from '../testing/flow-contract.js';
import { ethIp, ipUdp } from '../testing/packet-builder.js';
import { DEFAULT_DHCP_LIMITS, type DhcpMessage, DhcpState, dhcpConsumer, dhcpMessageTypeName, parseDhcp } from './dhcp.js';
import { seededRandom } from '../testing/random.js';
import { endpointPairKey, runConsumerOnCapture } from '../testing/consumer-corpus.js';

// ---- byte builders ----------------------------------------------------------------------------

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const ip = (s: string): number[] => s.split('.').map(Number);
const opt = (code: number, v: readonly number[]): number[] => [code, v.length, ...v];
const field = (v: readonly number[], size: number): number[] => [...v, ...new Array<number>(size - v.length).fill(0)];

interface Bootp {
  op?: number;
  htype?: number;
  hlen?: number;
  xid?: number;
  secs?: number;
  flags?: number;
  ciaddr?: string;
  yiaddr?: string;
  siaddr?: string;
  giaddr?: string;
  chaddr?: number[];
  sname?: number[];
  file?: number[];
  cookie?: boolean;
  options?: number[];
}

/** A BOOTP/DHCP message: the 236-byte header, the magic cookie, the options as given. */
function bootp(o: Bootp = {}): Uint8Array {
  return Uint8Array.from([
    o.op ?? 1,
    o.htype ?? 1,
    o.hlen ?? 6,
    0,
    ...u32(o.xid ?? 0x3903f326),
    ...u16(o.secs ?? 3),
    ...u16(o.flags ?? 0x8000),
    ...ip(o.ciaddr ?? '0.0.0.0'),
    ...ip(o.yiaddr ?? '0.0.0.0'),
    ...ip(o.siaddr ?? '0.0.0.0'),
    ...ip(o.giaddr ?? '0.0.0.0'),
    ...field(o.chaddr ?? [0x00, 0x0c, 0x29, 0x1f, 0x74, 0x06], 16),
    ...field(o.sname ?? [], 64),
    ...field(o.file ?? [], 128),
    ...(o.cookie === false ? [] : [99, 130, 83, 99]),
    ...(o.options ?? []),
  ]);
}

const DISCOVER_OPTIONS = [
  ...opt(53, [1]),
  ...opt(61, [1, 0x00, 0x0c, 0x29, 0x1f, 0x74, 0x06]),
  ...opt(50, ip('192.168.1.4')),
  ...opt(57, u16(1500)),
  0, // a pad byte
  ...opt(12, ascii('Lucas-iMac')),
  ...opt(60, ascii('MSFT 5.0')),
  ...opt(81, [0, 0, 0, ...ascii('lucas.example')]),
  ...opt(55, [1, 121, 3, 6, 15, 119, 252]),
  255,
  0,
  0,
];
const DISCOVER = bootp({ options: DISCOVER_OPTIONS });
const ACK = bootp({
  op: 2,
  yiaddr: '192.168.1.4',
  siaddr: '192.168.1.1',
  flags: 0,
  options: [
    ...opt(53, [5]),
    ...opt(54, ip('192.168.1.1')),
    ...opt(51, u32(86400)),
    ...opt(58, u32(43200)),
    ...opt(59, u32(75600)),
    ...opt(1, ip('255.255.255.0')),
    ...opt(3, ip('192.168.1.1')),
    ...opt(6, [...ip('192.168.1.1'), ...ip('9.9.9.9')]),
    ...opt(15, ascii('home.arpa')),
    255,
  ],
});

function parse(b: Uint8Array, limits = DEFAULT_DHCP_LIMITS): { m: DhcpMessage | undefined; weirds: string[] } {
  const weirds: string[] = [];
  return { m: parseDhcp(b, 0, b.length, (n) => weirds.push(n), limits), weirds };
}

const rng = seededRandom;

// ---- crafted ----------------------------------------------------------------------------------

describe('parseDhcp: crafted messages', () => {
  test('a DISCOVER: header and the client options', () => {
    const { m, weirds } = parse(DISCOVER);
    assert.deepEqual(weirds, []);
    assert.deepEqual(m, {
      op: 1,
      htype: 1,
      hops: 0,
      xid: 0x3903f326,
      secs: 3,
      broadcast: true,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: '00:0c:29:1f:74:06',
      cookie: true,
      options: [53, 61, 50, 57, 12, 60, 81, 55],
      msg_type: 1,
      msg_type_name: 'DISCOVER',
      host_name: 'Lucas-iMac',
      vendor_class: 'MSFT 5.0',
      param_list: '1,121,3,6,15,119,252',
      client_id: '01:00:0c:29:1f:74:06',
      requested_addr: '192.168.1.4',
      max_message_size: 1500,
      client_fqdn: 'lucas.example',
    });
  });

  test('an ACK: the server options', () => {
    const { m, weirds } = parse(ACK);
    assert.deepEqual(weirds, []);
    assert.equal(m?.op, 2);
    assert.equal(m?.msg_type_name, 'ACK');
    assert.equal(m?.yiaddr, '192.168.1.4');
    assert.equal(m?.server_id, '192.168.1.1');
    assert.equal(m?.lease_time, 86400);
    assert.equal(m?.renewal_time, 43200);
    assert.equal(m?.rebinding_time, 75600);
    assert.equal(m?.subnet_mask, '255.255.255.0');
    assert.deepEqual(m?.routers, ['192.168.1.1']);
    assert.deepEqual(m?.dns_servers, ['192.168.1.1', '9.9.9.9']);
    assert.equal(m?.domain, 'home.arpa');
    assert.equal(m?.broadcast, false);
  });

  test('option overload (52) goes on in file, then sname; a split option is joined (RFC 3396)', () => {
    const b = bootp({
      options: [...opt(53, [3]), ...opt(52, [3]), ...opt(12, ascii('host')), 255],
      file: [...opt(12, ascii('-name')), ...opt(55, [1, 3]), 255],
      sname: [...opt(60, ascii('vendor')), 255],
    });
    const { m, weirds } = parse(b);
    assert.deepEqual(weirds, []);
    assert.equal(m?.host_name, 'host-name');
    assert.equal(m?.param_list, '1,3');
    assert.equal(m?.vendor_class, 'vendor');
    assert.equal(m?.file, undefined);
    assert.equal(m?.sname, undefined);
    assert.deepEqual(m?.options, [53, 52, 12, 12, 55, 60]);
  });

  test('plain BOOTP: no cookie, sname and file as text; option 81 in DNS wire form', () => {
    let r = parse(bootp({ cookie: false, op: 2, sname: ascii('boot-server'), file: ascii('/tftpboot/pxelinux.0') }));
    assert.deepEqual(r.weirds, []);
    assert.equal(r.m?.cookie, false);
    assert.equal(r.m?.sname, 'boot-server');
    assert.equal(r.m?.file, '/tftpboot/pxelinux.0');
    assert.equal(r.m?.msg_type, undefined);
    r = parse(bootp({ options: [...opt(81, [4, 0, 0, 3, ...ascii('www'), 7, ...ascii('example'), 0]), 255] }));
    assert.equal(r.m?.client_fqdn, 'www.example');
  });

  test('text is escaped and cut: NUL ends it, other bytes as \\xHH, maxText', () => {
    const { m } = parse(bootp({ options: [...opt(12, [...ascii('a\x01b'), 0, 0x41]), ...opt(60, ascii('v'.repeat(200))), 255] }), {
      ...DEFAULT_DHCP_LIMITS,
      maxText: 50,
    });
    assert.equal(m?.host_name, 'a\\x01b');
    assert.equal(m?.vendor_class, 'v'.repeat(50));
  });

  test('weirds: bad op, long hlen, wrong fixed sizes, unassigned type, no end, too many options', () => {
    let r = parse(bootp({ op: 3 }));
    assert.equal(r.m, undefined);
    assert.deepEqual(r.weirds, ['dhcp_bad_op']);
    r = parse(bootp({ hlen: 40, options: [255] }));
    assert.deepEqual(r.weirds, ['dhcp_bad_hlen']);
    assert.equal(r.m?.chaddr.split(':').length, 16);
    r = parse(bootp({ options: [...opt(53, [1, 2]), ...opt(50, [1, 2, 3]), ...opt(3, [1, 2, 3, 4, 5]), 255] }));
    assert.deepEqual(r.weirds, ['dhcp_bad_option_length', 'dhcp_bad_option_length', 'dhcp_bad_option_length']);
    assert.equal(r.m?.msg_type, undefined);
    r = parse(bootp({ options: [...opt(53, [99]), 255] }));
    assert.deepEqual(r.weirds, ['dhcp_bad_message_type']);
    assert.equal(r.m?.msg_type, 99);
    assert.equal(r.m?.msg_type_name, undefined);
    r = parse(bootp({ options: opt(53, [1]) }));
    assert.deepEqual(r.weirds, ['dhcp_no_end']);
    r = parse(bootp({ options: [...Array.from({ length: 10 }, (_, i) => opt(200 + i, [i])).flat(), 255] }), { ...DEFAULT_DHCP_LIMITS, maxOptions: 4 });
    assert.deepEqual(r.weirds, ['dhcp_too_many_options']);
    assert.equal(r.m?.options.length, 4);
    r = parse(bootp({ options: [...opt(52, [7]), 255] }));
    assert.deepEqual(r.weirds, ['dhcp_bad_option_length']);
    assert.equal(dhcpMessageTypeName(8), 'INFORM');
  });

  test('truncated at every byte: under 236 not taken, then what fits; never a throw', () => {
    for (let n = 0; n <= DISCOVER.length; n++) {
      const weirds: string[] = [];
      const m = parseDhcp(DISCOVER, 0, n, (w) => weirds.push(w));
      if (n < 236) {
        assert.equal(m, undefined);
        assert.deepEqual(weirds, ['dhcp_truncated']);
        continue;
      }
      assert.ok(m !== undefined, `cut at ${n}`);
      for (const w of weirds) assert.ok(w === 'dhcp_truncated' || w === 'dhcp_no_end', `cut at ${n}: ${w}`);
      assert.equal(m.cookie, n >= 240);
      if (n >= DISCOVER.length - 2) assert.deepEqual(weirds, []);
    }
  });

  test('lies at every option length byte: never a throw, weirds are dhcp_ only', () => {
    let runs = 0;
    for (let o = 240; o < DISCOVER.length; ) {
      const code = DISCOVER[o]!;
      if (code === 0) {
        o++;
        continue;
      }
      if (code === 255) break;
      const real = DISCOVER[o + 1]!;
      for (const lie of [0, 1, real - 1, real + 1, real + 20, 255]) {
        if (lie < 0 || lie === real) continue;
        const b = DISCOVER.slice();
        b[o + 1] = lie;
        const { weirds } = parse(b);
        for (const w of weirds) assert.ok(w.startsWith('dhcp_'), w);
        runs++;
      }
      o += 2 + real;
    }
    assert.ok(runs > 40, `${runs}`);
  });

  test('random bytes and flips: never a throw', () => {
    const r = rng(3);
    for (let k = 0; k < 3000; k++) {
      const b = (k & 1 ? ACK : DISCOVER).slice();
      for (let j = 0; j < 1 + Math.floor(r() * 6); j++) b[236 + Math.floor(r() * (b.length - 236))] = Math.floor(r() * 256);
      const { weirds } = parse(b);
      for (const w of weirds) assert.ok(w.startsWith('dhcp_'), w);
    }
    for (let k = 0; k < 500; k++) {
      const b = Uint8Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256));
      parse(b);
    }
  });
});

// ---- state and consumer -----------------------------------------------------------------------

function flowStart(o: Partial<FlowStart> = {}): FlowStart {
  return testFlowStart({ flow: 1, protocol: 17, clientPort: 68, serverPort: 67, weird: () => undefined, events: false, ...o });
}

describe('DhcpState and dhcpConsumer', () => {
  test('done after both directions, after maxDatagrams, or after two non-DHCP datagrams', () => {
    let s = new DhcpState(() => undefined);
    s.datagram(0, DISCOVER, 0, DISCOVER.length);
    assert.ok(!s.done);
    s.datagram(1, ACK, 0, ACK.length);
    assert.ok(s.done);
    s = new DhcpState(() => undefined);
    for (let i = 0; i < DEFAULT_DHCP_LIMITS.maxDatagrams; i++) {
      assert.ok(!s.done);
      s.datagram(0, DISCOVER, 0, DISCOVER.length);
    }
    assert.ok(s.done);
    s = new DhcpState(() => undefined);
    const junk = new Uint8Array(10);
    s.datagram(0, junk, 0, junk.length);
    s.datagram(0, junk, 0, junk.length);
    assert.ok(s.done);
    assert.equal(s.info(), undefined);
  });

  test('messages past maxMessages are counted, not kept; info merges them', () => {
    const weirds: string[] = [];
    const s = new DhcpState((n) => weirds.push(n), { maxMessages: 1, maxDatagrams: 10 });
    s.datagram(0, DISCOVER, 0, DISCOVER.length);
    s.datagram(0, DISCOVER, 0, DISCOVER.length);
    assert.deepEqual(weirds, ['dhcp_too_many_messages']);
    assert.equal(s.messages.length, 1);
    const t = new DhcpState(() => undefined);
    t.datagram(0, DISCOVER, 0, DISCOVER.length);
    t.datagram(1, ACK, 0, ACK.length);
    const i = t.info()!;
    assert.deepEqual(i.msg_types, ['DISCOVER', 'ACK']);
    assert.equal(i.client_mac, '00:0c:29:1f:74:06');
    assert.equal(i.host_name, 'Lucas-iMac');
    assert.equal(i.param_list, '1,121,3,6,15,119,252');
    assert.equal(i.assigned_addr, '192.168.1.4');
    assert.equal(i.server_id, '192.168.1.1');
    assert.equal(i.lease_time, 86400);
    assert.equal(t.hostName(), 'lucas-imac');
  });

  test('host: the first request with a host name, lower-cased; replies are not asked', () => {
    const reply = bootp({ op: 2, options: [...opt(53, [5]), ...opt(12, ascii('FromServer')), 255] });
    const s = new DhcpState(() => undefined);
    s.datagram(1, reply, 0, reply.length);
    assert.equal(s.hostName(), undefined);
    const st = dhcpConsumer.open(flowStart())!;
    dhcpConsumer.datagram!(st, 0, DISCOVER, 0, DISCOVER.length, 0);
    const fields: RecordFields = {};
    dhcpConsumer.close!(st, fields);
    assert.deepEqual(fields, { host: 'lucas-imac' });
    const kept: RecordFields = { host: 'earlier' };
    dhcpConsumer.close!(st, kept);
    assert.equal(kept.host, 'earlier');
  });

  test('open: UDP with both ports in {67, 68} only', () => {
    assert.ok(dhcpConsumer.open(flowStart()) !== undefined);
    assert.ok(dhcpConsumer.open(flowStart({ clientPort: 67 })) !== undefined);
    assert.equal(dhcpConsumer.open(flowStart({ protocol: 6 })), undefined);
    assert.equal(dhcpConsumer.open(flowStart({ clientPort: 5000 })), undefined);
    assert.equal(dhcpConsumer.open(flowStart({ serverPort: 53 })), undefined);
  });

  test('through the engine: a broadcast DISCOVER gives host and a contract-clean record', () => {
    const engine = new Engine({ consumers: [dhcpConsumer as Consumer] });
    const recs: FlowRecord[] = [];
    engine.on('flow', (r) => recs.push(r));
    const f = ethIp(ipUdp({ src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67, payload: DISCOVER }));
    engine.frame(f, 0, f.length, f.length, 1_700_000_000_000_000, LinkType.Ethernet);
    engine.finish();
    assert.equal(recs.length, 1);
    assert.deepEqual(flowContractViolations(recs[0]), []);
    assert.equal(recs[0]!.host, 'lucas-imac');
    assert.equal(engine.summary().consumers?.errors, 0);
  });
});

// ---- corpus -----------------------------------------------------------------------------------

const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const NDPI = join(CORPUS, 'ndpi');

interface ExpectedFlow {
  protocol: string;
  vlan?: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  app?: { protocol: string; master: string; app: string };
  host?: string;
}

const flowKey = endpointPairKey;

const runCapture = (file: string) => runConsumerOnCapture(dhcpConsumer, file);

describe('dhcpConsumer: nDPI corpus through the engine', () => {
  test('DHCP flows found and their host agree with nDPI; no DHCP where nDPI saw none', async () => {
    const score = { detect: [0, 0], host: [0, 0] };
    const notes: string[] = [];
    const weirds: Record<string, number> = {};
    let extra = 0;
    let errors = 0;
    let v6 = 0;
    for (const jf of readdirSync(join(NDPI, 'expected')).sort()) {
      const exp = JSON.parse(readFileSync(join(NDPI, 'expected', jf), 'utf8')) as { pcap: string; flows: ExpectedFlow[] };
      const run = await runCapture(join(NDPI, 'pcap', exp.pcap));
      errors += run.errors;
      for (const [k, v] of Object.entries(run.weirds)) if (k.startsWith('dhcp_')) weirds[k] = (weirds[k] ?? 0) + v;
      for (const f of exp.flows) {
        if (f.protocol !== 'UDP') continue;
        const ours = run.flows.get(flowKey(f.protocol, f.vlan, f.client, f.server));
        const info = ours?.st?.info();
        const tag = `${exp.pcap} ${f.client.ip}:${f.client.port}-${f.server.ip}:${f.server.port}`;
        if (f.app?.protocol === 'DHCPV6') {
          v6++; // DHCPv6 (RFC 8415) is another protocol: not this parser's
          continue;
        }
        if (f.app?.protocol !== 'DHCP') {
          if (info !== undefined) {
            extra++;
            notes.push(`${tag}: DHCP found, nDPI says ${f.app?.protocol}`);
          }
          continue;
        }
        score.detect[1]!++;
        if (info !== undefined) score.detect[0]!++;
        else notes.push(`${tag}: not found`);
        if (f.host !== undefined || ours?.rec.host !== undefined) {
          score.host[1]!++;
          if (f.host === ours?.rec.host) score.host[0]!++;
          else notes.push(`${tag}: host expected ${f.host} got ${ours?.rec.host} (options ${info?.messages[0]?.options})`);
        }
      }
    }
    console.log(
      `dhcp corpus: detect ${score.detect[0]}/${score.detect[1]}, host ${score.host[0]}/${score.host[1]}, ${extra} DHCP where nDPI saw none, ${v6} DHCPv6 flows skipped; weirds ${JSON.stringify(weirds)}${notes.map((n) => `\n  ${n}`).join('')}`,
    );
    assert.equal(errors, 0);
    // Achieved: detect 13/13, host 9/10. The one miss: teams.pcap's DISCOVER from pi3.ntop.org
    // carries Rapid Commit (option 80, length 0) before its host name; nDPI stops reading
    // options at a zero length, we read on (RFC 2132 allows it) and report "pi3.ntop.org".
    assert.ok(score.detect[1]! >= 13 && score.detect[0] === score.detect[1], `detect ${score.detect}`);
    assert.ok(score.host[1]! >= 10 && score.host[0]! >= score.host[1]! - 1, `host ${score.host}`);
    assert.equal(extra, 0);
  });

  test('every tcpdump capture through the engine: no consumer error', async () => {
    const dir = join(CORPUS, 'tcpdump');
    let errors = 0;
    let parsed = 0;
    for (const f of readdirSync(dir).sort()) {
      const run = await runCapture(join(dir, f));
      errors += run.errors;
      for (const v of run.flows.values()) if (v.st?.info() !== undefined) parsed++;
    }
    assert.equal(errors, 0);
    assert.ok(parsed >= 10, `${parsed} DHCP flows`);
  });

  test("tcpdump's dhcp-mud.pcap: a relayed REQUEST/ACK (ports 67 to 67)", async () => {
    const run = await runCapture(join(CORPUS, 'tcpdump', 'dhcp-mud.pcap'));
    const d = [...run.flows.values()].filter((f) => f.st?.info() !== undefined);
    assert.equal(d.length, 1);
    const i = d[0]!.st!.info()!;
    assert.deepEqual(i.msg_types, ['REQUEST', 'ACK']);
    assert.equal(i.host_name, 'raspberrypi');
    assert.equal(i.param_list, '1,121,33,3,6,12,15,28,42,51,54,58,59,100,101,119');
    assert.equal(i.assigned_addr, '62.12.173.123');
    assert.equal(d[0]!.rec.host, 'raspberrypi');
  });
});
