import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../testing/random.js';
import { type Rule, RuleSelector, RuleTable, RuleTuple } from './rule-table.js';

const TCP = 6;
const UDP = 17;
const t = (proto: number, src: string, sp: number, dst: string, dp: number, vlan = -1): RuleTuple => new RuleTuple().setText(proto, src, sp, dst, dp, vlan);

test('rule table: an exact rule beats any wildcard rule, whatever their priorities', () => {
  const table = new RuleTable();
  const wild: Rule = { action: 'drop', protocol: TCP, dstPort: 80, priority: -100 };
  const exact: Rule = { action: 'pass', protocol: TCP, src: '10.0.0.1', srcPort: 1234, dst: '10.0.0.2', dstPort: 80, priority: 100 };
  table.add(wild);
  const id = table.add(exact);
  assert.equal(table.match(t(TCP, '10.0.0.1', 1234, '10.0.0.2', 80), 0), exact);
  assert.equal(table.lastId, id);
  assert.equal(table.match(t(TCP, '10.0.0.1', 1235, '10.0.0.2', 80), 0), wild);
  assert.equal(table.match(t(UDP, '10.0.0.1', 1234, '10.0.0.2', 80), 0), undefined);
  assert.equal(table.lastId, -1);
});

test('rule table: wildcard rules by priority, lower first, ties in insertion order', () => {
  const table = new RuleTable();
  const a: Rule = { action: 'tag', tag: 'a', dstPort: 80, priority: 5 };
  const b: Rule = { action: 'tag', tag: 'b', protocol: TCP, priority: 1 };
  const c: Rule = { action: 'tag', tag: 'c', protocol: TCP, priority: 1 };
  const d: Rule = { action: 'tag', tag: 'd' };
  table.add(a);
  table.add(b);
  table.add(c);
  const tcp80 = t(TCP, '1.1.1.1', 5, '2.2.2.2', 80);
  const udp80 = t(UDP, '1.1.1.1', 5, '2.2.2.2', 80);
  assert.equal(table.match(tcp80, 0), b);
  assert.equal(table.match(udp80, 0), a);
  table.add(d); // default priority 0 comes before 1 and 5
  assert.equal(table.match(tcp80, 0), d);
  assert.equal(table.match(t(UDP, '1.1.1.1', 5, '2.2.2.2', 81), 0), d);
});

test('rule table: CIDR edges (/0, /1, /31, /32, /128) and v4-mapped IPv6 never taken for IPv4', () => {
  const m = (src: string | undefined, tup: RuleTuple): boolean => new RuleSelector(src === undefined ? {} : { src }).matches(tup);
  const v4 = (a: string): RuleTuple => t(TCP, a, 1, '9.9.9.9', 2);
  const v6 = (a: string): RuleTuple => t(TCP, a, 1, '::9', 2);
  assert.ok(m('0.0.0.0/0', v4('255.255.255.255')));
  assert.ok(m('0.0.0.0/0', v4('0.0.0.0')));
  assert.ok(!m('0.0.0.0/0', v6('::1')), 'an IPv4 /0 matches IPv4 only');
  assert.ok(m('::/0', v6('::ffff:1.2.3.4')));
  assert.ok(!m('::/0', v4('1.2.3.4')), 'an IPv6 /0 matches IPv6 only');
  assert.ok(m(undefined, v4('1.2.3.4')) && m(undefined, v6('::1')), 'no address: any version');
  assert.ok(m('128.0.0.0/1', v4('200.1.1.1')));
  assert.ok(!m('128.0.0.0/1', v4('127.255.255.255')));
  assert.ok(m('10.0.0.2/31', v4('10.0.0.3')));
  assert.ok(!m('10.0.0.2/31', v4('10.0.0.4')));
  assert.ok(m('255.255.255.255/32', v4('255.255.255.255')));
  assert.ok(!m('255.255.255.255/32', v4('255.255.255.254')));
  assert.ok(m('2001:db8::1/128', v6('2001:db8::1')));
  assert.ok(!m('2001:db8::1/128', v6('2001:db8::2')));
  assert.ok(m('2001:db8:8000::/33', v6('2001:db8:ffff::1')));
  assert.ok(!m('2001:db8:8000::/33', v6('2001:db8:7fff::1')));
  assert.ok(m('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')));
  // 10.0.0.1 and ::ffff:10.0.0.1 are different addresses here.
  assert.ok(!m('10.0.0.0/8', v6('::ffff:10.0.0.1')));
  assert.ok(!m('::ffff:10.0.0.0/104', v4('10.0.0.1')));
  assert.ok(m('::ffff:10.0.0.0/104', v6('::ffff:10.0.0.1')));
  // In the exact table too: same words, other version.
  const table = new RuleTable();
  table.add({ action: 'drop', protocol: TCP, src: '::ffff:10.0.0.1', srcPort: 1, dst: '::ffff:10.0.0.2', dstPort: 2 });
  assert.equal(table.match(t(TCP, '10.0.0.1', 1, '10.0.0.2', 2), 0), undefined);
  assert.equal(table.match(t(TCP, '::ffff:10.0.0.1', 1, '::ffff:10.0.0.2', 2), 0)?.action, 'drop');
  assert.throws(() => table.add({ action: 'drop', src: '10.0.0.0/8', dst: '::/0' }), /two IP versions/);
  assert.throws(() => table.add({ action: 'drop', src: '10.0.0.0/33' }), /not an address/);
});

test('rule table: port ranges are inclusive at both ends', () => {
  const table = new RuleTable();
  const r: Rule = { action: 'tag', tag: 'hi', protocol: UDP, srcPort: { lo: 1024, hi: 65535 }, dstPort: { lo: 0, hi: 53 } };
  table.add(r);
  const at = (sp: number, dp: number): Rule | undefined => table.match(t(UDP, '1.1.1.1', sp, '2.2.2.2', dp), 0);
  assert.equal(at(1024, 0), r);
  assert.equal(at(65535, 53), r);
  assert.equal(at(1023, 53), undefined);
  assert.equal(at(1024, 54), undefined);
  assert.throws(() => table.add({ action: 'drop', srcPort: { lo: 5, hi: 4 } }), /port/);
  assert.throws(() => table.add({ action: 'drop', dstPort: 65536 }), /port/);
});

test('rule table: expiry in packet time, lazily on lookup and by expire()', () => {
  const table = new RuleTable();
  const exact: Rule = { action: 'drop', protocol: TCP, src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2, expireAt: 100 };
  const wild: Rule = { action: 'tag', tag: 'w', protocol: TCP, expireAt: 200 };
  const later: Rule = { action: 'tag', tag: 'later', protocol: UDP, expireAt: 300 };
  table.add(exact);
  table.add(wild);
  table.add(later);
  const tup = t(TCP, '1.1.1.1', 1, '2.2.2.2', 2);
  assert.equal(table.match(tup, 99), exact);
  assert.equal(table.match(tup, 100), wild, 'gone at expireAt itself');
  assert.equal(table.size, 2);
  assert.equal(table.stats.expired, 1);
  assert.equal(table.match(tup, 250), undefined);
  assert.equal(table.size, 1);
  assert.equal(table.expire(299), 0);
  assert.equal(table.expire(300), 1);
  assert.equal(table.size, 0);
  assert.equal(table.stats.expired, 3);
  assert.equal(table.expire(10_000), 0);
});

test('rule table: expire() over many rules pops only what is due', () => {
  const table = new RuleTable();
  const rnd = seededRandom(7);
  const due: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const at = Math.floor(rnd() * 1000);
    due.push(at);
    const id = table.add({ action: 'pass', protocol: TCP, src: `10.0.${i >> 8}.${i & 255}`, srcPort: 1, dst: '1.1.1.1', dstPort: 2, expireAt: at });
    if (i % 3 === 0) table.remove(id); // removed rules stay in the heap until popped
  }
  const alive = due.filter((_, i) => i % 3 !== 0);
  for (const now of [0, 10, 500, 999, 1000]) {
    table.expire(now);
    assert.equal(table.size, alive.filter((a) => a > now).length, `now ${now}`);
  }
});

test('rule table: remove() of exact and wildcard rules', () => {
  const table = new RuleTable();
  const exact: Rule = { action: 'drop', protocol: TCP, src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2, symmetric: true };
  const wild: Rule = { action: 'pass', protocol: TCP };
  const e = table.add(exact);
  const w = table.add(wild);
  const fwd = t(TCP, '1.1.1.1', 1, '2.2.2.2', 2);
  const rev = t(TCP, '2.2.2.2', 2, '1.1.1.1', 1);
  assert.equal(table.match(rev, 0), exact);
  assert.ok(table.remove(e));
  assert.equal(table.remove(e), false);
  assert.equal(table.match(fwd, 0), wild);
  assert.equal(table.match(rev, 0), wild);
  assert.ok(table.remove(w));
  assert.equal(table.match(fwd, 0), undefined);
  assert.equal(table.remove(12345), false);
  assert.equal(table.size, 0);
  assert.equal(table.stats.removed, 2);
});

test('rule table: symmetric rules match both directions, others one', () => {
  const table = new RuleTable();
  const one: Rule = { action: 'tag', tag: 'one', protocol: UDP, src: '10.0.0.0/8', dst: '192.168.0.0/16', dstPort: 53 };
  const both: Rule = { action: 'tag', tag: 'both', protocol: UDP, src: '172.16.0.0/12', dst: '192.168.0.0/16', dstPort: 53, symmetric: true };
  table.add(one);
  table.add(both);
  assert.equal(table.match(t(UDP, '10.1.1.1', 999, '192.168.1.1', 53), 0), one);
  assert.equal(table.match(t(UDP, '192.168.1.1', 53, '10.1.1.1', 999), 0), undefined);
  assert.equal(table.match(t(UDP, '172.16.1.1', 999, '192.168.1.1', 53), 0), both);
  assert.equal(table.match(t(UDP, '192.168.1.1', 53, '172.16.1.1', 999), 0), both);
  assert.equal(table.match(t(UDP, '192.168.1.1', 999, '172.16.1.1', 53), 0), undefined, 'ports go with their address');
  // Exact symmetric with both ends equal is stored once and removed cleanly.
  const same = table.add({ action: 'drop', protocol: UDP, src: '5.5.5.5', srcPort: 7, dst: '5.5.5.5', dstPort: 7, symmetric: true });
  assert.equal(table.match(t(UDP, '5.5.5.5', 7, '5.5.5.5', 7), 0)?.action, 'drop');
  table.remove(same);
  assert.equal(table.match(t(UDP, '5.5.5.5', 7, '5.5.5.5', 7), 0), undefined);
});

test('rule table: VLAN — exact for one VLAN beats exact for any; untagged only with -1', () => {
  const table = new RuleTable();
  const base = { protocol: TCP, src: '1.1.1.1', srcPort: 1, dst: '2.2.2.2', dstPort: 2 } as const;
  const any: Rule = { action: 'pass', ...base };
  const five: Rule = { action: 'drop', ...base, vlan: 5 };
  const untagged: Rule = { action: 'tag', tag: 'untagged', ...base, vlan: -1 };
  table.add(any);
  table.add(five);
  table.add(untagged);
  assert.equal(table.match(t(TCP, '1.1.1.1', 1, '2.2.2.2', 2, 5), 0), five);
  assert.equal(table.match(t(TCP, '1.1.1.1', 1, '2.2.2.2', 2, 6), 0), any);
  assert.equal(table.match(t(TCP, '1.1.1.1', 1, '2.2.2.2', 2, -1), 0), untagged);
  const w: Rule = { action: 'tag', tag: 'v0', vlan: 0 };
  table.add(w);
  assert.equal(table.match(t(UDP, '1.1.1.1', 1, '2.2.2.2', 2, 0), 0), w);
  assert.equal(table.match(t(UDP, '1.1.1.1', 1, '2.2.2.2', 2, -1), 0), undefined);
});

test('rule table: FTP data and SIP media expectations (one end any port, expiring, once)', () => {
  const table = new RuleTable();
  const now = 1_700_000_000_000_000;
  // PASV: the client 10.0.0.1 will connect from any port to 10.0.0.2:40000 within 60 s.
  const ftp: Rule = { action: 'plugin', plugin: 'ftp-data', protocol: TCP, src: '10.0.0.1', dst: '10.0.0.2', dstPort: 40000, expireAt: now + 60e6, once: true };
  // SDP: RTP to or from 192.0.2.5:49170, either direction, from any port.
  const rtp: Rule = { action: 'tag', tag: 'rtp:call-1', protocol: UDP, dst: '192.0.2.5', dstPort: 49170, symmetric: true, expireAt: now + 60e6 };
  table.add(ftp);
  table.add(rtp);
  assert.equal(table.match(t(TCP, '10.0.0.1', 51234, '10.0.0.2', 40000), now + 1e6), ftp);
  assert.equal(table.match(t(TCP, '10.0.0.1', 51235, '10.0.0.2', 40000), now + 2e6), undefined, 'once: gone after its first match');
  assert.equal(table.match(t(UDP, '198.51.100.7', 3000, '192.0.2.5', 49170), now), rtp);
  assert.equal(table.match(t(UDP, '192.0.2.5', 49170, '198.51.100.7', 3000), now), rtp);
  assert.equal(table.match(t(UDP, '198.51.100.7', 3000, '192.0.2.5', 49170), now + 61e6), undefined, 'expired');
});

test('rule table: maxRules bounds the table; refused adds are counted', () => {
  const table = new RuleTable({ maxRules: 2 });
  assert.ok(table.add({ action: 'pass' }) > 0);
  assert.ok(table.add({ action: 'pass' }) > 0);
  assert.equal(table.add({ action: 'pass' }), -1);
  assert.equal(table.stats.rejected, 1);
  assert.throws(() => table.add({ action: 'tag' }), /no tag/);
});

test('rule table: 100,000 exact rules, every one found by lookup, misses miss', () => {
  const table = new RuleTable();
  const n = 100_000;
  const rules: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const r: Rule = { action: 'tag', tag: `r${i}`, protocol: i & 1 ? UDP : TCP, src: { version: 4, w0: 0x0a000000 + i, w1: 0, w2: 0, w3: 0, prefix: 32 }, srcPort: 1024 + (i % 50000), dst: { version: 4, w0: 0xc0a80001, w1: 0, w2: 0, w3: 0, prefix: 32 }, dstPort: 80 };
    rules.push(r);
    table.add(r);
  }
  const tup = new RuleTuple();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    tup.setV4(i & 1 ? UDP : TCP, 0x0a000000 + i, 1024 + (i % 50000), 0xc0a80001, 80);
    assert.equal(table.match(tup, 0), rules[i]);
  }
  const ms = performance.now() - start;
  tup.setV4(TCP, 0x0a000001, 1025, 0xc0a80001, 80); // rule 1 is UDP
  assert.equal(table.match(tup, 0), undefined);
  assert.ok(ms < 5000, `${n} lookups took ${ms.toFixed(0)} ms`);
  // Remove half (backward-shift deletion) and look again.
  for (let i = 0; i < n; i += 2) table.remove(i + 1);
  for (let i = 0; i < n; i++) {
    tup.setV4(i & 1 ? UDP : TCP, 0x0a000000 + i, 1024 + (i % 50000), 0xc0a80001, 80);
    assert.equal(table.match(tup, 0), i % 2 === 0 ? undefined : rules[i], `rule ${i}`);
  }
});

test('rule table: random rules and tuples agree with a plain reading of the rules', () => {
  const rnd = seededRandom(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const addrs = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '192.168.1.1'];
  const nets = [undefined, '10.0.0.0/8', '10.0.0.0/24', '10.0.0.1', '10.0.0.2', '192.168.1.1', '0.0.0.0/0'];
  const ports = [1, 2, 80];
  const table = new RuleTable();
  const live = new Map<number, Rule>();
  const order = new Map<Rule, number>();
  const sels = new Map<Rule, RuleSelector>();
  for (let round = 0; round < 3000; round++) {
    if (rnd() < 0.6 || live.size === 0) {
      const exact = rnd() < 0.5;
      const r: Rule = exact
        ? { action: 'pass', protocol: pick([TCP, UDP]), src: pick(addrs), srcPort: pick(ports), dst: pick(addrs), dstPort: pick(ports), symmetric: rnd() < 0.3, priority: Math.floor(rnd() * 3), ...(rnd() < 0.3 ? { vlan: pick([-1, 5]) } : {}) }
        : { action: 'drop', ...(rnd() < 0.5 ? { protocol: pick([TCP, UDP]) } : {}), src: pick(nets), dst: pick(nets), ...(rnd() < 0.5 ? { dstPort: { lo: 1, hi: pick(ports) } } : {}), symmetric: rnd() < 0.3, priority: Math.floor(rnd() * 3) };
      const id = table.add(r);
      live.set(id, r);
      order.set(r, id);
      sels.set(r, new RuleSelector(r));
    } else {
      const ids = [...live.keys()];
      const id = pick(ids);
      table.remove(id);
      live.delete(id);
    }
    const tup = t(pick([TCP, UDP]), pick(addrs), pick(ports), pick(addrs), pick(ports), pick([-1, 5]));
    // The reference: exact rules (this VLAN, then any VLAN), then wildcards; priority, then age.
    const cands = [...live.values()].filter((r) => sels.get(r)!.matches(tup));
    const isExact = (r: Rule): boolean => sels.get(r)!.exact;
    const rank = (r: Rule): number => (isExact(r) ? (r.vlan !== undefined ? 0 : 1) : 2);
    cands.sort((a, b) => rank(a) - rank(b) || (a.priority ?? 0) - (b.priority ?? 0) || order.get(a)! - order.get(b)!);
    assert.equal(table.match(tup, 0), cands[0], `round ${round}`);
  }
});
