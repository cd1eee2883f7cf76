import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import { PacketDecoder, PacketKind } from '../decode/decoder.js';
import { WeirdCounters } from '../decode/weirds.js';
import { ipv4Text, ipv6Text } from '../flow/ip-text.js';
import { compileFilter } from './index.js';

const v4 = (a: number): Uint32Array => Uint32Array.of(a, 0, 0, 0);

test('gate: built from the top-level and-chain of plain primitives only', () => {
  const g = compileFilter('host 203.0.113.7 and tcp port 10000').flowGate!;
  assert.equal(g(6, 4, 40000, 10000, v4(0xcb007107), v4(0x0a000001)), true);
  assert.equal(g(6, 4, 40000, 10000, v4(0x0a000002), v4(0x0a000001)), false, 'other hosts');
  assert.equal(g(17, 4, 40000, 10000, v4(0xcb007107), v4(0x0a000001)), false, 'udp');
  assert.equal(g(6, 4, 40000, 443, v4(0xcb007107), v4(0x0a000001)), false, 'other port');
  const six = compileFilter('ip6 host 2001:db8::1 and udp').flowGate!;
  assert.equal(six(17, 6, 1, 2, Uint32Array.of(0x20010db8, 0, 0, 1), Uint32Array.of(0, 0, 0, 2)), true);
  assert.equal(six(17, 4, 1, 2, v4(1), v4(2)), false);
  const port = compileFilter('src port 53').flowGate!;
  assert.equal(port(17, 4, 1234, 53, v4(1), v4(2)), true, 'a src port is checked at either end');
  assert.equal(port(1, 4, 0, 0, v4(1), v4(2)), false, 'icmp has no ports');
  // Nothing the gate can read at the top: no gate.
  for (const e of ['', 'tcp or udp', 'not host 10.0.0.1', 'net 10.0.0.0/8', 'host 10.1', 'vlan 5', 'tcp[13] & 2 != 0', 'ether host 00:11:22:33:44:55']) {
    assert.equal(compileFilter(e).flowGate, null, e);
  }
  // Parts it cannot read are left to the frame predicate; the rest still gates.
  assert.notEqual(compileFilter('(port 80 or port 443) and host 10.0.0.1').flowGate, null);
});

test('gate soundness on every corpus frame without a tunnel: when the gate says no, tcpdump semantics say no', async () => {
  const weirds = new WeirdCounters();
  const d = new PacketDecoder(weirds);
  const a = new Uint32Array(4);
  const b = new Uint32Array(4);
  const files = [
    ...readdirSync('../shared/corpus/tcpdump').map((f) => `../shared/corpus/tcpdump/${f}`),
    ...readdirSync('../shared/corpus/ndpi/pcap').map((f) => `../shared/corpus/ndpi/pcap/${f}`),
  ];
  const fixed = ['tcp port 443', 'udp port 53', 'port 80', 'icmp', 'sctp', 'udp', 'tcp and dst port 22', 'port 5060 and udp'].map((e) => compileFilter(e));
  let rejected = 0;
  let passedAndMatched = 0;
  for (const file of files) {
    // Per capture, filters on the first addresses it shows, so `host` terms are exercised too.
    let own: ReturnType<typeof compileFilter>[] | null = null;
    await readCapture(
      file,
      {
        frame(data, offset, caplen, wireLen, tsUs, linkType) {
          const kind = d.decode(data, offset, caplen, wireLen, linkType, tsUs);
          if (kind !== PacketKind.Ip || d.tunnel !== 0) return;
          const k = d.keyBuf;
          const words = d.ipVersion === 6 ? 4 : 1;
          a.fill(0);
          b.fill(0);
          for (let w = 0; w < words; w++) {
            a[w] = ((k[d.srcOffset + 4 * w]! << 24) | (k[d.srcOffset + 4 * w + 1]! << 16) | (k[d.srcOffset + 4 * w + 2]! << 8) | k[d.srcOffset + 4 * w + 3]!) >>> 0;
            b[w] = ((k[d.dstOffset + 4 * w]! << 24) | (k[d.dstOffset + 4 * w + 1]! << 16) | (k[d.dstOffset + 4 * w + 2]! << 8) | k[d.dstOffset + 4 * w + 3]!) >>> 0;
          }
          if (own === null) {
            const text = d.ipVersion === 6 ? ipv6Text(a[0]!, a[1]!, a[2]!, a[3]!) : ipv4Text(a[0]!);
            own = [compileFilter(`host ${text}`), compileFilter(`src host ${text} and ${d.l4Proto === 6 ? 'tcp' : 'udp'}`), compileFilter(`host ${text} and port ${d.srcPort}`)];
          }
          for (const f of [...fixed, ...own]) {
            const pass = f.flowGate!(d.l4Proto, d.ipVersion === 6 ? 6 : 4, d.srcPort, d.dstPort, a, b);
            const m = f.matches(d, data, offset, caplen, wireLen, linkType);
            if (!pass) {
              rejected++;
              assert.equal(m, false, `${file}: "${f.expression}" matches a frame its gate turns away`);
            } else if (m) passedAndMatched++;
          }
        },
      },
      { onWarning: () => {} },
    ).catch(() => {});
  }
  assert.ok(rejected > 100_000, `${rejected} gate rejections`);
  assert.ok(passedAndMatched > 10_000, `${passedAndMatched} frames passed and matched`);
});
