import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr, parseIpv4, parseIpv6, parsePortRange, parseProtocol, prefixMask } from './address.js';

test('ipv4: dotted quads, and what is not one', () => {
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('10.1.2.3'), 0x0a010203);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4 ', '1234.1.1.1', 'a.b.c.d']) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('ipv6: groups, :: anywhere, IPv4 tail', () => {
  assert.deepEqual(parseIpv6('::'), [0, 0, 0, 0]);
  assert.deepEqual(parseIpv6('::1'), [0, 0, 0, 1]);
  assert.deepEqual(parseIpv6('1::'), [0x00010000, 0, 0, 0]);
  assert.deepEqual(parseIpv6('2001:db8::8:800:200c:417a'), [0x20010db8, 0, 0x00080800, 0x200c417a]);
  assert.deepEqual(parseIpv6('2001:DB8:0:0:8:800:200C:417A'), [0x20010db8, 0, 0x00080800, 0x200c417a]);
  assert.deepEqual(parseIpv6('::ffff:10.0.0.1'), [0, 0, 0xffff, 0x0a000001]);
  assert.deepEqual(parseIpv6('64:ff9b::192.0.2.33'), [0x0064ff9b, 0, 0, 0xc0000221]);
  assert.deepEqual(parseIpv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
  for (const bad of ['', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1:', '12345::', 'g::', '::1.2.3', '1.2.3.4::', 'fe80::1%eth0', '1:2:3:4:5:6:7::8']) {
    assert.equal(parseIpv6(bad), undefined, bad);
  }
});

test('cidr: prefixes, host bits cleared, v4-mapped stays IPv6', () => {
  assert.deepEqual(parseCidr('10.1.2.3/8'), { version: 4, w0: 0x0a000000, w1: 0, w2: 0, w3: 0, prefix: 8 });
  assert.deepEqual(parseCidr('10.1.2.3'), { version: 4, w0: 0x0a010203, w1: 0, w2: 0, w3: 0, prefix: 32 });
  assert.equal(parseCidr('1.2.3.4/0')!.w0, 0);
  assert.equal(parseCidr('::ffff:10.0.0.1')!.version, 6);
  assert.deepEqual(parseCidr('2001:db8:ffff::/33'), { version: 6, w0: 0x20010db8, w1: 0x80000000, w2: 0, w3: 0, prefix: 33 });
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/a', '10.0.0.0/8/8', 'any', '']) assert.equal(parseCidr(bad), undefined, bad);
  assert.equal(prefixMask(0, 0), 0);
  assert.equal(prefixMask(1, 0), 0x80000000);
  assert.equal(prefixMask(32, 0), 0xffffffff);
  assert.equal(prefixMask(33, 1), 0x80000000);
  assert.equal(prefixMask(128, 3), 0xffffffff);
});

test('ports and protocols', () => {
  assert.deepEqual(parsePortRange('80'), { lo: 80, hi: 80 });
  assert.deepEqual(parsePortRange('1024:'), { lo: 1024, hi: 65535 });
  assert.deepEqual(parsePortRange(':1023'), { lo: 0, hi: 1023 });
  assert.deepEqual(parsePortRange('0:65535'), { lo: 0, hi: 65535 });
  for (const bad of ['', ':', '65536', '10:5', '1-5', '-1', 'http']) assert.equal(parsePortRange(bad), undefined, bad);
  assert.equal(parseProtocol('TCP'), 6);
  assert.equal(parseProtocol('any'), -1);
  assert.equal(parseProtocol('47'), 47);
  assert.equal(parseProtocol('256'), undefined);
  assert.equal(parseProtocol('constructor'), undefined);
});
