import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LinkType } from '../capture/frame.js';
import { filterSource } from './compile.js';
import { FilterSyntaxError } from './error.js';
import { compileFilter } from './index.js';
import { Tok, tokenize } from './lexer.js';
import { lowerFilter } from './lower.js';
import { type Arith, type FilterNode, parseFilter } from './parser.js';

/** A compact rendering of a tree, to compare shapes. */
function show(n: FilterNode): string {
  switch (n.k) {
    case 'true':
      return 'true';
    case 'and':
    case 'or':
      return `(${show(n.a)} ${n.k} ${show(n.b)})`;
    case 'not':
      return `!${show(n.a)}`;
    case 'id': {
      const q = [n.q.proto, n.q.dir, n.q.addr].filter((x) => x !== 'default').join(' ');
      return `[${q}${q ? ' ' : ''}${n.tok.text}${n.maskLen !== null ? `/${n.maskLen}` : ''}${n.mask ? ` mask ${n.mask.text}` : ''}]`;
    }
    case 'abbrev':
      return n.proto;
    case 'rel':
      return `{${arith(n.a)} ${n.op} ${arith(n.b)}}`;
    case 'broadcast':
    case 'multicast':
      return `${n.proto} ${n.k}`;
    case 'greater':
    case 'less':
      return `${n.k} ${n.n}`;
    case 'vlan':
    case 'mpls':
    case 'pppoes':
      return n.num === null ? n.k : `${n.k} ${n.num}`;
    case 'pppoed':
      return 'pppoed';
  }
}

function arith(a: Arith): string {
  switch (a.k) {
    case 'num':
      return String(a.v);
    case 'len':
      return 'len';
    case 'neg':
      return `-${arith(a.a)}`;
    case 'bin':
      return `(${arith(a.a)} ${a.op} ${arith(a.b)})`;
    case 'load':
      return `${a.proto}[${arith(a.index)}:${a.size}]`;
  }
}

const tree = (e: string): string => show(parseFilter(e));

/** The error compileFilter throws, with its position. */
function syntaxError(e: string): FilterSyntaxError {
  try {
    compileFilter(e);
  } catch (err) {
    assert.ok(err instanceof FilterSyntaxError, `${e}: ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(e)} compiled`);
}

test('lexer: numbers in hex, octal and decimal; named constants', () => {
  const t = tokenize('0x1f 017 42 tcp-syn icmp6-echo tcpflags');
  assert.deepEqual(
    t.map((x) => [x.kind, x.value]),
    [
      [Tok.Num, 31],
      [Tok.Num, 15],
      [Tok.Num, 42],
      [Tok.Num, 2],
      [Tok.Num, 128],
      [Tok.Num, 13],
      [Tok.Eof, 0],
    ],
  );
});

test('lexer: addresses, names and operators cut as libpcap cuts them', () => {
  const kinds = (e: string): [number, string][] => tokenize(e).slice(0, -1).map((x) => [x.kind, x.text]);
  assert.deepEqual(kinds('10.1.2.3/8'), [
    [Tok.Hid, '10.1.2.3'],
    [Tok.Op, '/'],
    [Tok.Num, '8'],
  ]);
  assert.deepEqual(kinds('fe80::1 ::ffff:1.2.3.4 ::'), [
    [Tok.Hid6, 'fe80::1'],
    [Tok.Hid6, '::ffff:1.2.3.4'],
    [Tok.Hid6, '::'],
  ]);
  assert.deepEqual(kinds('00:11:22:33:44:55 0011.2233.4455 001122334455'), [
    [Tok.Eid, '00:11:22:33:44:55'],
    [Tok.Eid, '0011.2233.4455'],
    [Tok.Eid, '001122334455'],
  ]);
  // `1-1023` and `len-20` are one name each (the longest match), like in tcpdump.
  assert.deepEqual(kinds('1-1023 len-20 \\tcp TCP'), [
    [Tok.Id, '1-1023'],
    [Tok.Id, 'len-20'],
    [Tok.Id, 'tcp'],
    [Tok.Id, 'TCP'],
  ]);
  assert.deepEqual(kinds('ip[2:2]!=0&&!tcp||a==b'), [
    [Tok.Kw, 'ip'],
    [Tok.Op, '['],
    [Tok.Num, '2'],
    [Tok.Op, ':'],
    [Tok.Num, '2'],
    [Tok.Op, ']'],
    [Tok.Op, '!='],
    [Tok.Num, '0'],
    [Tok.Kw, 'and'],
    [Tok.Kw, 'not'],
    [Tok.Kw, 'tcp'],
    [Tok.Kw, 'or'],
    [Tok.Id, 'a'],
    [Tok.Op, '='],
    [Tok.Id, 'b'],
  ]);
  assert.deepEqual(kinds('ether ppp link'), [
    [Tok.Kw, 'link'],
    [Tok.Kw, 'link'],
    [Tok.Kw, 'link'],
  ]);
});

test('parser: and/or have equal precedence, left to right; not binds tighter', () => {
  assert.equal(tree('arp or ip and udp'), '((arp or ip) and udp)');
  assert.equal(tree('ip and udp or arp'), '((ip and udp) or arp)');
  assert.equal(tree('not ip or not ip6 and arp'), '((!ip or !ip6) and arp)');
  assert.equal(tree('! tcp && ! udp || icmp'), '((!tcp and !udp) or icmp)');
  assert.equal(tree('tcp and (udp or icmp)'), '(tcp and (udp or icmp))');
  assert.equal(tree('not not tcp'), '!!tcp');
  assert.equal(tree(''), 'true');
  assert.equal(tree('   '), 'true');
});

test('parser: qualifiers, and bare ids taking those of the previous primitive', () => {
  assert.equal(tree('host 1.2.3.4 or 5.6.7.8'), '([host 1.2.3.4] or [host 5.6.7.8])');
  assert.equal(tree('port 80 or 443 and not 8080'), '(([port 80] or [port 443]) and ![port 8080])');
  assert.equal(tree('tcp dst port 80 or 443'), '([tcp dst port 80] or [tcp dst port 443])');
  assert.equal(tree('src or dst net 10.0.0.0/8'), '[or net 10.0.0.0/8]');
  assert.equal(tree('dst and src host 1.2.3.4'), '[and host 1.2.3.4]');
  assert.equal(tree('host (1.2.3.4 or 5.6.7.8)'), '([host 1.2.3.4] or [host 5.6.7.8])');
  assert.equal(tree('port not 80'), '![port 80]');
  assert.equal(tree('net 10.0.0.0 mask 255.0.0.0'), '[net 10.0.0.0 mask 255.0.0.0]');
  assert.equal(tree('src 10.1'), '[src 10.1]');
  assert.equal(tree('ether src 00:11:22:33:44:55'), '[link src 00:11:22:33:44:55]');
  assert.equal(tree('ip6 net fe80::/10'), '[ip6 net fe80::/10]');
  assert.equal(tree('ip proto \\udp'), '[ip proto udp]');
  // A parenthesised term passes on the qualifiers from before it (libpcap's grammar).
  assert.equal(tree('port 80 and (tcp) or 443'), '(([port 80] and tcp) or [port 443])');
  assert.equal(tree('ether broadcast or ip multicast'), '(link broadcast or ip multicast)');
  assert.equal(tree('vlan 100 and mpls and pppoes 3 and vlan'), '(((vlan 100 and mpls) and pppoes 3) and vlan)');
  assert.equal(tree('greater 100 and less 200'), '(greater 100 and less 200)');
  assert.equal(tree('gre or esp'), '(gre or esp)');
});

test('parser: arithmetic precedence and the yacc quirks of % and ^', () => {
  assert.equal(tree('len = 1 + 2 * 3'), '{len = (1 + (2 * 3))}');
  assert.equal(tree('len = 8 - 2 - 1'), '{len = ((8 - 2) - 1)}');
  assert.equal(tree('len = 1 | 2 & 3'), '{len = (1 | (2 & 3))}');
  assert.equal(tree('len = 1 << 1 + 1'), '{len = (1 << (1 + 1))}');
  assert.equal(tree('len = - 2 * 3'), '{len = (-2 * 3)}');
  // No precedence for % and ^ in libpcap: everything after them is their right operand.
  assert.equal(tree('len = 7 % 4 * 2'), '{len = (7 % (4 * 2))}');
  assert.equal(tree('len = 2 & 3 ^ 1'), '{len = (2 & (3 ^ 1))}');
  assert.equal(tree('len = 4 >> 1 ^ 1'), '{len = (4 >> (1 ^ 1))}');
  assert.equal(tree('len = - 2 % 3'), '{len = -(2 % 3)}');
  assert.equal(tree('tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn'), '{(tcp[13:1] & (2 | 16)) = 2}');
  assert.equal(tree('tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420'), '{tcp[((tcp[12:1] & 240) >> 2):4] = 1195725856}');
  assert.equal(tree('(ip[0] & 0xf) != 5'), '{(ip[0:1] & 15) != 5}');
  assert.equal(tree('ip6[40] = 58 and ether[0] & 1 != 0'), '({ip6[40:1] = 58} and {(link[0:1] & 1) != 0})');
});

test('lowering: the constant parts fold as libpcap folds them', () => {
  // What the optimiser would print: compare with `tcpdump -d` by eye.
  const src = filterSource(lowerFilter(parseFilter('len = 0x10 + 010 + 10'), LinkType.Ethernet));
  assert.match(src, /return \(wl === 34\);/);
  const wrap = filterSource(lowerFilter(parseFilter('len = 4294967295 + 2'), LinkType.Ethernet));
  assert.match(wrap, /return \(wl === 1\);/);
});

test('syntax errors carry the position of the offending character and a caret', () => {
  const cases: [string, number, RegExp][] = [
    ['tcp port', 8, /end of expression/],
    ['port 80 and', 11, /end of expression/],
    ['tcp or 80', 9, /comparison/],
    ['host 1.2.3.4 and foo bar', 21, /unexpected 'bar'/],
    ['(tcp', 4, /'\)'/],
    ['tcp)', 3, /unexpected '\)'/],
    ['ip and and udp', 7, /'and'/],
    ['TCP', 0, /qualifier/],
    ['tcp[0:3] = 1', 6, /data size must be 1, 2, or 4/],
    ['ip[0 = 1', 5, /'\]'/],
    ['len = 099', 6, /non-octal digit/],
    ['len = 4294967296', 6, /overflows 32 bits/],
    ['len-20 > 5', 0, /qualifier/],
    ['port 70000', 5, /illegal port number 70000 > 65535/],
    ['udp port 1.2.3.4', 9, /'port' modifier applied to IP address/],
    ['net 10.0.0.1/8', 4, /non-network bits set/],
    ['host 10.0.0.0/8', 5, /Mask syntax for networks only/],
    ['net 10.0.0.0/33', 4, /mask length must be <= 32/],
    ['ip host ::1', 8, /'ip' modifier applied to ip6 host/],
    ['tcp host 1.2.3.4', 9, /'tcp' modifier applied to host/],
    ['host 00:11:22:33:44:55', 5, /ethernet address used in non-ether expression/],
    ['ip6 proto \\icmp6', 10, /unknown ip proto 'icmp6'/],
    ['host example.com', 5, /unknown host 'example.com'/],
    ['len / 0 = 1', 4, /division by zero/],
    ['len % 0 = 1', 4, /modulus by zero/],
    ['len << 32 = 1', 4, /shift by more than 31 bits/],
    // libpcap looks at the first instruction of the divisor: the index 0 of `ip[0]`.
    ['len / ip[0] = 1', 4, /division by zero/],
    ['len % (0 + ip[1]) = 1', 4, /modulus by zero/],
    ['len >> tcp[32] = 1', 4, /shift by more than 31 bits/],
    ['vlan 5000', 0, /VLAN tag 5000 greater than maximum/],
    ['mpls and vlan', 9, /no VLAN match after MPLS/],
    ['mpls and arp', 9, /unsupported protocol over mpls/],
    ['ip6 broadcast', 0, /only link-layer\/IP broadcast/],
    ['udp port http', 9, /port 'http' is tcp/],
    ['udp portrange ftp-data-ftp', 14, /unknown port in range/],
    ['protochain 6', 0, /not supported/],
    ['a $ b', 2, /illegal character/],
  ];
  for (const [e, pos, re] of cases) {
    const err = syntaxError(e);
    assert.equal(err.position, pos, `${e}: ${err.message}`);
    assert.match(err.reason, re, e);
    assert.equal(err.code, 'SONDA_E_BAD_FILTER');
    assert.equal(err.expression, e);
    const lines = err.message.split('\n');
    assert.equal(lines[1], `  ${e}`);
    assert.equal(lines[2], `  ${' '.repeat(pos)}^`);
  }
});

test('what tcpdump accepts, the filter accepts', () => {
  for (const e of [
    'ether dst 0011.2233.4455',
    'ether host 001122334455',
    'net 1.2.3/24',
    'net 10',
    'host 10.1',
    'ip6 host ::ffff:1.2.3.4',
    'net ::/0',
    'port http or port domain or udp port ntp',
    'tcp portrange 1-1023',
    'tcp portrange ftp-ssh',
    'ether proto \\arp',
    'ip proto \\gre',
    'vlan (100)',
    '1 = 1',
    '(1 + 2) * 3 = 9',
    'ip[0]&0xf0=0x40',
    'stp or ipx or netbeui or iso or atalk or aarp or decnet or lat',
    'pppoes 5 and ip and pppoed',
    'link[0] = 1 and ppp[1] = 2',
    'icmp-echo = 8',
    'len / (1 & ip[0]) > 0',
    'len / ip[1] > 0',
  ]) {
    assert.doesNotThrow(() => compileFilter(e), e);
  }
});
