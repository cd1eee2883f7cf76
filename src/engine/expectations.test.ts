import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddress } from '../flow/ip-text.js';
import { ExpectationTable } from './expectations.js';

const w = (s: string) => parseAddress(s)!.words;
const A = parseAddress('10.0.0.1')!;
const B = parseAddress('10.0.0.2')!;

test('an announced endpoint names the flow to it (server or client side), until it expires', () => {
  const t = new ExpectationTable();
  t.add({ name: 'FTP_DATA', protocol: 6, address: '10.0.0.2', port: 5001, ttlUs: 1e6 }, '7', 0, [A, B]);
  assert.deepEqual(t.match(6, 4, w('10.0.0.2'), 5001, w('10.0.0.1'), 40000, 10), { name: 'FTP_DATA', parentFlowId: '7' });
  assert.deepEqual(t.match(6, 4, w('10.0.0.1'), 20, w('10.0.0.2'), 5001, 10), { name: 'FTP_DATA', parentFlowId: '7' }, 'active mode: the announced side is the client');
  assert.equal(t.match(17, 4, w('10.0.0.2'), 5001, w('10.0.0.1'), 40000, 10), undefined, 'other transport');
  assert.equal(t.match(6, 4, w('10.0.0.2'), 5002, w('10.0.0.1'), 40000, 10), undefined, 'other port');
  assert.equal(t.match(6, 4, w('10.0.0.2'), 5001, w('10.0.0.1'), 40000, 2e6), undefined, 'expired');
  assert.equal(t.size, 0, 'an expired announcement is dropped when met');
});

test('without an address, both addresses of the announcing flow are announced; IPv6 too', () => {
  const t = new ExpectationTable();
  t.add({ name: 'FTP_DATA', protocol: 6, port: 6000 }, '1', 0, [A, B]);
  assert.equal(t.size, 2);
  assert.ok(t.match(6, 4, w('10.0.0.1'), 6000, w('10.0.0.9'), 1, 0));
  assert.ok(t.match(6, 4, w('10.0.0.2'), 6000, w('10.0.0.9'), 1, 0));
  t.add({ name: 'RTP', protocol: 17, address: '2001:db8::5', port: 7000 }, '2', 0, []);
  assert.deepEqual(t.match(17, 6, w('2001:db8::5'), 7000, w('2001:db8::9'), 9, 0), { name: 'RTP', parentFlowId: '2' });
  t.add({ name: 'X', protocol: 6, address: 'not an address', port: 1 }, '3', 0, [A]);
  assert.equal(t.size, 3, 'a malformed address announces nothing');
});

test('bounded: the oldest announcements go first, counted', () => {
  const t = new ExpectationTable(100);
  for (let i = 0; i < 1000; i++) t.add({ name: 'RTP', protocol: 17, address: '10.1.0.1', port: 10000 + i }, String(i), 0, []);
  assert.equal(t.size, 100);
  assert.equal(t.evictions, 900);
  assert.equal(t.match(17, 4, w('10.1.0.1'), 10000, w('10.0.0.1'), 1, 0), undefined);
  assert.ok(t.match(17, 4, w('10.1.0.1'), 10999, w('10.0.0.1'), 1, 0));
});
