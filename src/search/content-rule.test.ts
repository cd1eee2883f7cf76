import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleSyntaxError, RuleTuple } from '../rules/index.js';
import { type ContentClause, type ContentRule, Haystack, nestedQuantifier, parseContentRule, parseContentRules, RegexBudget, VerifyContext, verifyRule } from './content-rule.js';

const enc = new TextEncoder();

/** Where `rule` matches in `text` (end offset of its last clause), or -1. */
function run(options: string, text: string | Uint8Array): number {
  const rule = parseContentRule(`alert tcp any any -> any any (${options})`);
  const b = typeof text === 'string' ? enc.encode(text) : text;
  const ctx = new VerifyContext();
  ctx.steps = 1000;
  ctx.budget = new RegexBudget(1 << 20);
  return verifyRule(rule, new Haystack().set(b, 0, 0, b.length), ctx);
}

test('content rule: the example parses into header, metadata and clauses', () => {
  const r = parseContentRule('alert tcp any any -> any 80 (msg:"worm"; content:"GET"; depth:3; content:"cmd.exe"; nocase; distance:0; sid:1001; rev:2; classtype:trojan-activity; priority:1;)', 4);
  assert.equal(r.action, 'alert');
  assert.equal(r.msg, 'worm');
  assert.equal(r.sid, 1001);
  assert.equal(r.rev, 2);
  assert.equal(r.classtype, 'trojan-activity');
  assert.equal(r.priority, 1);
  assert.equal(r.line, 4);
  assert.equal(r.header.protocol, 6);
  assert.deepEqual(r.header.dstPort, { lo: 80, hi: 80 });
  assert.equal(r.clauses.length, 2);
  const [get, cmd] = r.clauses as ContentClause[];
  assert.deepEqual([...get!.bytes], [...enc.encode('GET')]);
  assert.equal(get!.depth, 3);
  assert.equal(cmd!.nocase, true);
  assert.equal(cmd!.distance, 0);
  assert.equal(r.fastPattern, 1, 'the longest content');
  const t = new RuleTuple();
  assert.ok(r.selector.matches(t.setText(6, '1.2.3.4', 5555, '5.6.7.8', 80)));
  assert.ok(!r.selector.matches(t.setText(6, '5.6.7.8', 80, '1.2.3.4', 5555)));
});

test('content rule: hex bytes mixed with text, escapes', () => {
  const bytes = (c: string): number[] => [...(parseContentRule(`alert ip any any -> any any (content:${c};)`).clauses[0] as ContentClause).bytes];
  assert.deepEqual(bytes('"GET|20|/"'), [0x47, 0x45, 0x54, 0x20, 0x2f]);
  assert.deepEqual(bytes('"|0d 0a|"'), [0x0d, 0x0a]);
  assert.deepEqual(bytes('"|0D0A 00|x|FF|"'), [0x0d, 0x0a, 0x00, 0x78, 0xff]);
  assert.deepEqual(bytes('"a\\"b\\;c\\:d\\\\"'), [...enc.encode('a"b;c:d\\')]);
  assert.deepEqual(bytes('"a;b"'), [...enc.encode('a;b')], 'a ; inside quotes needs no escape here');
  assert.deepEqual(bytes('"é"'), [0xc3, 0xa9], 'non-ASCII text is UTF-8');
  assert.equal(run('content:"GET|20|/";', 'xGET /'), 6);
  assert.equal(run('content:"|00 ff|";', Uint8Array.of(1, 0, 0xff)), 3);
});

test('content rule: offset and depth bound the match from the buffer start', () => {
  assert.equal(run('content:"abc"; offset:3;', 'abcabc'), 6);
  assert.equal(run('content:"abc"; offset:3;', 'abcab'), -1);
  assert.equal(run('content:"abc"; depth:3;', 'abcx'), 3);
  assert.equal(run('content:"abc"; depth:3;', 'xabc'), -1);
  assert.equal(run('content:"abc"; offset:1; depth:3;', 'xabc'), 4);
  assert.equal(run('content:"abc"; offset:1; depth:3;', 'xxabc'), -1);
  assert.equal(run('content:"abc"; offset:1; depth:4;', 'xxabc'), 5);
});

test('content rule: distance and within count from the previous match end', () => {
  assert.equal(run('content:"a"; content:"b"; distance:2;', 'a__b'), 4);
  assert.equal(run('content:"a"; content:"b"; distance:2;', 'a_b'), -1);
  assert.equal(run('content:"a"; content:"b"; distance:0;', 'ab'), 2);
  assert.equal(run('content:"a"; content:"b"; distance:0;', 'ba'), -1);
  assert.equal(run('content:"bc"; content:"ab"; distance:-3;', 'abc'), 2, 'negative distance looks back');
  assert.equal(run('content:"a"; content:"b"; within:3;', 'a__b'), 4);
  assert.equal(run('content:"a"; content:"b"; within:3;', 'a___b'), -1);
  // The Snort list example: distance 4, within 5 = "world" exactly 4 bytes after "hello".
  assert.equal(run('content:"hello"; content:"world"; distance:4; within:5;', 'hello1234world'), 14);
  assert.equal(run('content:"hello"; content:"world"; distance:4; within:5;', 'hello123world'), -1);
  assert.equal(run('content:"hello"; content:"world"; distance:4; within:5;', 'hello12345world'), -1);
  // A content without relative modifiers is searched from the start, wherever the previous one matched.
  assert.equal(run('content:"b"; content:"a";', 'ab'), 1);
});

test('content rule: a failed later clause retries earlier contents at their next occurrence', () => {
  assert.equal(run('content:"a"; content:"b"; within:1;', 'a_ab'), 4);
  assert.equal(run('content:"GET"; content:"x"; distance:1; within:1;', 'GETyy GET_x'), 11);
  assert.equal(run('content:"a"; content:"a"; distance:0; content:"b"; distance:0; within:1;', 'aa_aab'), 6);
  // The step bound stops a pathological check instead of running it out.
  const rule = parseContentRule('alert ip any any -> any any (content:"a"; content:"a"; distance:0; content:"a"; distance:0; content:"b"; distance:0;)');
  const data = enc.encode('a'.repeat(400));
  const ctx = new VerifyContext();
  ctx.steps = 100;
  ctx.budget = new RegexBudget(0);
  assert.equal(verifyRule(rule, new Haystack().set(data, 0, 0, data.length), ctx), -1);
  assert.ok(ctx.stepsOut);
});

test('content rule: nocase, negated contents, pcre with flags R i and negation', () => {
  assert.equal(run('content:"cmd.exe"; nocase;', 'xCMD.Exe'), 8);
  assert.equal(run('content:"cmd.exe";', 'xCMD.Exe'), -1);
  assert.equal(run('content:"GET"; content:!"admin";', 'GET /index'), 3);
  assert.equal(run('content:"GET"; content:!"admin";', 'GET /admin'), -1);
  assert.equal(run('content:"GET"; content:!"admin"; distance:0; within:6;', 'GET /x admin'), 3, 'negation only in its window');
  assert.equal(run('content:"GET"; content:!"Admin"; nocase;', 'GET /ADMIN'), -1);
  assert.equal(run('content:"user="; pcre:"/[a-z]{3}\\d+/R";', 'abc1 user=xyz42'), 15);
  assert.equal(run('content:"user="; pcre:"/^[a-z]{3}\\d+/R";', 'user=!xyz42'), -1, '^ anchors at the previous match end');
  assert.equal(run('pcre:"/^GET/i";', 'get /'), 3);
  assert.equal(run('pcre:"/^GET/";', 'get /'), -1);
  assert.equal(run('content:"GET"; pcre:!"/passwd/";', 'GET /etc/passwd'), -1);
  assert.equal(run('content:"GET"; pcre:!"/passwd/";', 'GET /etc/hosts'), 3);
  assert.equal(run('pcre:"/\\x00\\xff/";', Uint8Array.of(5, 0, 0xff)), 3, 'bytes are Latin-1 characters');
});

test('content rule: fast pattern is the longest positive content, or the one marked', () => {
  const fp = (o: string): number => parseContentRule(`alert ip any any -> any any (${o})`).fastPattern;
  assert.equal(fp('content:"ab"; content:"abcd"; content:"wxyz";'), 1, 'first of the longest');
  assert.equal(fp('content:"ab"; fast_pattern; content:"abcd";'), 0);
  assert.equal(fp('content:!"abcdef"; content:"ab";'), 1, 'negated contents never');
  assert.equal(fp('pcre:"/x/";'), -1);
  assert.equal(fp('content:!"x"; pcre:"/x/";'), -1);
});

test('content rule: malformed texts give errors with line and column', () => {
  const head = 'alert tcp any any -> any 80 ';
  const cases: [string, number, RegExp][] = [
    ['yell tcp any any -> any 80 (content:"a";)', 1, /unknown action/],
    ['alert tcp any any -> any 80', 28, /expected '\('/],
    [`${head}(content:"a";`, 42, /expected '\)'/],
    [`${head}(content:"a"; sid:1`, 48, /expected '\)'/],
    [`${head}()`, 29, /at least one content or pcre/],
    [`${head}(content:"a" sid:1;)`, 41, /unexpected text after the string/],
    [`${head}(content:"a|4|";)`, 42, /odd number of hex digits/],
    [`${head}(content:"a|4g|";)`, 42, /not a hex digit/],
    [`${head}(content:"a|41";)`, 40, /hex run not closed/],
    [`${head}(content:"";)`, 38, /empty content/],
    [`${head}(content:"a\\x";)`, 40, /unknown escape/],
    [`${head}(content:abc;)`, 38, /double-quoted/],
    [`${head}(content:"abc; sid:1;)`, 38, /unterminated string/],
    [`${head}(nocase; content:"a";)`, 30, /must follow a content/],
    [`${head}(content:"abc"; depth:2;)`, 51, /depth: out of range 3/],
    [`${head}(content:"abc"; within:x;)`, 52, /within: expected an integer/],
    [`${head}(content:"a"; offset:1; distance:1;)`, 53, /do not mix/],
    [`${head}(content:"a"; nocase; nocase;)`, 51, /twice for one content/],
    [`${head}(content:!"a"; fast_pattern;)`, 44, /negated content cannot be the fast pattern/],
    [`${head}(content:"a"; fast_pattern; content:"b"; fast_pattern;)`, 70, /more than one fast_pattern/],
    [`${head}(content:"a"; flow:established;)`, 43, /unsupported option 'flow'/],
    [`${head}(msg:"a"; msg:"b"; content:"a";)`, 39, /'msg' given twice/],
    [`${head}(content:"a"; sid:0;)`, 47, /sid: out of range/],
    [`${head}(pcre:"/a/x";)`, 39, /unsupported flag 'x'/],
    [`${head}(pcre:"/a(/";)`, 37, /pcre: Invalid regular expression/],
    [`${head}(pcre:"a";)`, 36, /expected \/regex\/flags/],
    [`${head}(pcre:!/a/;)`, 36, /double-quoted/],
    [`${head}(content:"a"; classtype:bad type;)`, 53, /classtype/],
    ['alert tcp any any -> any (content:"a";)', 26, /missing destination port/],
    ['alert tcp $HOME_NET any -> any 80 (content:"a";)', 11, /variables/],
    ['alert tcp any any -> any 80 80 (content:"a";)', 29, /unexpected '80'/],
    [`${head}(= ;)`, 30, /expected an option name/],
  ];
  for (const [text, col, re] of cases) {
    assert.throws(
      () => parseContentRule(text, 3),
      (e: unknown) => {
        assert.ok(e instanceof RuleSyntaxError, text);
        assert.equal(e.line, 3, text);
        assert.match(e.reason, re, `${text}: ${e.reason}`);
        assert.equal(e.column, col, `${text}: ${e.message}`);
        return true;
      },
      text,
    );
  }
});

test('content rule: parseContentRules collects rules, errors and warnings by line', () => {
  const { rules, errors, warnings } = parseContentRules(
    [
      '# rules',
      'alert tcp any any -> any 80 (content:"GET"; sid:1;)',
      'alert tcp any any -> any 80 (content:"GET" sid:2;)',
      '',
      'alert tcp any any -> any any (pcre:"/(a+)+b/"; sid:3;)',
      'alert tcp any any -> any any (reference:url,example.com; metadata:policy balanced; content:"x"; sid:4;)',
    ].join('\n'),
  );
  assert.deepEqual(
    rules.map((r: ContentRule) => [r.sid, r.line]),
    [
      [1, 2],
      [3, 5],
      [4, 6],
    ],
  );
  assert.deepEqual(
    errors.map((e) => e.line),
    [3],
  );
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.line, 5);
  assert.equal(warnings[0]!.column, 42);
  assert.match(warnings[0]!.reason, /nested unbounded quantifiers/);
});

test('content rule: nested quantifier screen', () => {
  for (const bad of ['(a+)+b', '(a*)*', '(?:x+y)*', '(a{2,})+', '((ab)+c)+', '(a+)+?', '(\\w+\\s?)+$']) assert.ok(nestedQuantifier(bad) >= 0, bad);
  for (const ok of ['a+b+', '(ab)+', '(a|b)+', '([a+])+', '(a{2})+', '(a+)b', '\\(a+\\)+', '(a+)?']) assert.equal(nestedQuantifier(ok), -1, ok);
});
