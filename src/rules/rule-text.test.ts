import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleTable, RuleTuple } from './rule-table.js';
import { parseRule, parseRules, RuleSyntaxError } from './rule-text.js';

test('rule text: the examples of the grammar', () => {
  const a = parseRule('drop tcp 10.0.0.0/8 any -> 192.168.1.1 80 vlan 5 priority 10');
  assert.equal(a.action, 'drop');
  assert.equal(a.protocol, 6);
  assert.deepEqual(a.src, { version: 4, w0: 0x0a000000, w1: 0, w2: 0, w3: 0, prefix: 8 });
  assert.equal(a.srcPort, undefined);
  assert.deepEqual(a.dstPort, { lo: 80, hi: 80 });
  assert.equal(a.vlan, 5);
  assert.equal(a.priority, 10);
  assert.equal(a.symmetric, undefined);
  const b = parseRule('tag:"suspicious" udp any any <> any 53');
  assert.deepEqual(b, { action: 'tag', tag: 'suspicious', protocol: 17, dstPort: { lo: 53, hi: 53 }, symmetric: true });
  const c = parseRule('plugin:ftp-data tcp 10.0.0.1 any -> 10.0.0.2 40000 expire 1700000060000000 once # PASV');
  assert.equal(c.plugin, 'ftp-data');
  assert.equal(c.expireAt, 1700000060000000);
  assert.equal(c.once, true);
  const d = parseRule('pass any 2001:db8::/32 1024: -> ::ffff:10.0.0.0/104 :1023 vlan none');
  assert.equal(d.protocol, undefined);
  assert.equal(d.vlan, -1);
  assert.deepEqual(d.srcPort, { lo: 1024, hi: 65535 });
  assert.deepEqual(d.dstPort, { lo: 0, hi: 1023 });
  const e = parseRule('tag:"two words \\"quoted\\" \\\\" ip any any -> any any');
  assert.equal(e.tag, 'two words "quoted" \\');
});

test('rule text: parsed rules work in the table', () => {
  const { rules, errors } = parseRules(['# comment', '', 'drop tcp 10.0.0.0/8 any -> 192.168.1.1 80 vlan 5 priority 10', 'tag:"dns" udp any any <> any 53'].join('\n'));
  assert.deepEqual(errors, []);
  const table = new RuleTable();
  for (const r of rules) table.add(r);
  const t = new RuleTuple();
  assert.equal(table.match(t.setText(6, '10.9.9.9', 5555, '192.168.1.1', 80, 5), 0)?.action, 'drop');
  assert.equal(table.match(t.setText(6, '10.9.9.9', 5555, '192.168.1.1', 80, 6), 0), undefined);
  assert.equal(table.match(t.setText(17, '8.8.8.8', 53, '10.0.0.1', 3333), 0)?.tag, 'dns');
});

test('rule text: errors say line, column and why', () => {
  const cases: [string, number, RegExp][] = [
    ['block tcp any any -> any 80', 1, /unknown action 'block'/],
    ['drop tcpx any any -> any 80', 6, /unknown protocol 'tcpx'/],
    ['drop tcp 10.0.0.0/33 any -> any 80', 10, /not an address or CIDR block/],
    ['drop tcp any 70000 -> any 80', 14, /not a port/],
    ['drop tcp any any => any 80', 18, /expected '->' or '<>'/],
    ['drop tcp any any -> any', 24, /missing destination port/],
    ['drop tcp 10.0.0.1 any -> ::1 80', 26, /two IP versions/],
    ['drop tcp !10.0.0.1 any -> any 80', 10, /negation/],
    ['drop tcp $HOME_NET any -> any 80', 10, /variables/],
    ['drop tcp [1.1.1.1,2.2.2.2] any -> any 80', 10, /lists/],
    ['drop tcp any any -> any 80 vlan 4096', 33, /vlan: out of range/],
    ['drop tcp any any -> any 80 vlan', 32, /missing vlan/],
    ['drop tcp any any -> any 80 priority x', 37, /not an integer/],
    ['drop tcp any any -> any 80 colour red', 28, /unknown option 'colour'/],
    ['drop tcp any any -> any 80 once once', 33, /given twice/],
    ['tag:"open udp any any -> any 53', 5, /unterminated string/],
    ['tag:"" udp any any -> any 53', 5, /empty tag/],
    ['tag:"a\\n" udp any any -> any 53', 7, /unknown escape/],
    ['tag:x udp any any -> any 53', 5, /double-quoted/],
    ['plugin:a/b udp any any -> any 53', 8, /plugin name/],
  ];
  for (const [text, col, re] of cases) {
    assert.throws(
      () => parseRule(text, 7),
      (e: unknown) => {
        assert.ok(e instanceof RuleSyntaxError, text);
        assert.equal(e.line, 7, text);
        assert.equal(e.column, col, `${text}: ${e.message}`);
        assert.match(e.reason, re, text);
        assert.equal(e.code, 'SONDA_E_BAD_RULE');
        return true;
      },
    );
  }
});

test('rule text: parseRules reports every bad line and keeps the good ones', () => {
  const { rules, errors } = parseRules('pass tcp any any -> any 22\nnope\n  # note\ndrop udp any any -> any 53\ndrop udp any any -> any\n');
  assert.equal(rules.length, 2);
  assert.deepEqual(
    errors.map((e) => [e.line, e.column]),
    [
      [2, 1],
      [5, 24],
    ],
  );
  assert.match(errors[0]!.message, /^line 2, column 1: unknown action/);
});
