/** Text forms used by flow records: addresses (RFC 5952), protocol names, TCP flag letters. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipv6Addr } from '../testing/packet-builder.js';
import { ipv4Text, ipv6Text } from './ip-text.js';
import { protocolName, tcpFlagsText } from './record.js';

/** The four big-endian words of an IPv6 address. */
function words(s: string): [number, number, number, number] {
  const b = ipv6Addr(s);
  const w = (i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  return [w(0), w(4), w(8), w(12)];
}

describe('ipv4Text', () => {
  test('dotted quad from an unsigned word', () => {
    assert.equal(ipv4Text(0), '0.0.0.0');
    assert.equal(ipv4Text(0x0a000001), '10.0.0.1');
    assert.equal(ipv4Text(0xffffffff), '255.255.255.255');
    assert.equal(ipv4Text(0xc0a80a01), '192.168.10.1');
    assert.equal(ipv4Text(0x80000000), '128.0.0.0');
  });
});

describe('ipv6Text (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first is compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:DB8:AAAA:BBBB:CCCC:DDDD:EEEE:FFFF', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'],
    ['fe80:0:0:0:0204:61ff:fe9d:f156', 'fe80::204:61ff:fe9d:f156'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'], // IPv4-mapped keeps its dotted tail
    ['ff02:0:0:0:0:0:0:fb', 'ff02::fb'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
  ];
  for (const [input, want] of cases) {
    test(`${input} → ${want}`, () => {
      assert.equal(ipv6Text(...words(input)), want);
    });
  }
  test('agrees with the WHATWG URL serialiser (RFC 5952 compression) on random addresses', () => {
    let s = 99;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s >>> 16;
    };
    for (let i = 0; i < 500; i++) {
      // Mostly zero groups, so runs of every length appear.
      const g = Array.from({ length: 8 }, () => (next() % 3 === 0 ? next() & 0xffff : 0));
      if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) continue;
      const text = g.map((x) => x.toString(16)).join(':');
      const url = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      assert.equal(ipv6Text(...words(text)), url, text);
    }
  });
});

describe('protocolName', () => {
  test('named protocols and numbers as text', () => {
    assert.equal(protocolName(6), 'TCP');
    assert.equal(protocolName(17), 'UDP');
    assert.equal(protocolName(1), 'ICMP');
    assert.equal(protocolName(58), 'ICMPv6');
    assert.equal(protocolName(132), 'SCTP');
    assert.equal(protocolName(47), 'GRE');
    assert.equal(protocolName(253), '253');
    assert.equal(protocolName(0), '0');
  });
});

describe('tcpFlagsText', () => {
  test('letters in the fixed order S A P F R U E C', () => {
    assert.equal(tcpFlagsText(0x02), 'S');
    assert.equal(tcpFlagsText(0x12), 'SA');
    assert.equal(tcpFlagsText(0x1b), 'SAPF');
    assert.equal(tcpFlagsText(0x14), 'AR');
    assert.equal(tcpFlagsText(0xff), 'SAPFRUEC');
    assert.equal(tcpFlagsText(0), '');
  });
});
