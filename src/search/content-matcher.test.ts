import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuleTuple } from '../rules/index.js';
import { seededRandom } from '../testing/random.js';
import { ContentMatcher, type ContentMatcherOptions, enableLinearRegexFallback, type StreamMatchState } from './content-matcher.js';
import { type ContentRule, parseContentRule, parseContentRules } from './content-rule.js';

const enc = new TextEncoder();
const rule = (opts: string, head = 'alert tcp any any -> any any'): ContentRule => parseContentRule(`${head} (${opts})`);
const rules = (...texts: string[]): ContentRule[] => texts.map((t, i) => rule(`${t} sid:${i + 1};`));

/** sid@end of every match of one payload. */
function packet(m: ContentMatcher, text: string | Uint8Array, off = 0, tuple?: RuleTuple): string[] {
  const b = typeof text === 'string' ? enc.encode(text) : text;
  const out: string[] = [];
  m.packet(b, off, b.length, (r, end) => out.push(`${r.sid}@${end}`), tuple === undefined ? undefined : { tuple });
  return out;
}

/** sid@end of every match, per chunk, of a stream cut at `cuts`; each chunk a fresh copy. */
function stream(m: ContentMatcher, text: string | Uint8Array, cuts: readonly number[], s: StreamMatchState = m.newStreamState()): string[][] {
  const b = typeof text === 'string' ? enc.encode(text) : text;
  const out: string[][] = [];
  let at = 0;
  for (const c of [...cuts, b.length]) {
    const chunk = b.slice(at, c);
    const got: string[] = [];
    m.stream(s, chunk, 0, chunk.length, (r, end) => got.push(`${r.sid}@${end}`));
    out.push(got);
    at = c;
  }
  return out;
}

const WORM = 'content:"GET"; depth:3; content:"cmd.exe"; nocase; distance:0;';
const REQUEST = 'GET /scripts/..%c0%af../winnt/system32/CMD.EXE?/c+dir HTTP/1.0\r\n';

test('matcher: packets — the worm rule, buffer offsets, one report per rule', () => {
  const m = new ContentMatcher(rules(WORM, 'content:"HTTP/1."; content:"|0d 0a|"; distance:1; within:3;'));
  assert.equal(REQUEST.length, 64);
  assert.deepEqual(packet(m, REQUEST), ['1@46', '2@64']);
  assert.deepEqual(packet(m, `xx${REQUEST}`, 2), ['1@48', '2@66'], 'depth counts from off, ends are buffer indices');
  assert.deepEqual(packet(m, ` ${REQUEST}`), ['2@65'], 'GET not within depth 3');
  assert.deepEqual(packet(m, 'GET cmd.exe cmd.exe'), ['1@11']);
  const anchored = new ContentMatcher(rules('content:"abc"; depth:4;'));
  assert.deepEqual(packet(anchored, `${'.'.repeat(10)}.abc`, 10), ['1@14'], 'the fast pattern window counts from off too');
  assert.deepEqual(packet(anchored, `${'.'.repeat(10)}..abc`, 10), []);
  assert.equal(m.stats.matches, 6);
});

test('matcher: rules sharing a fast pattern are all checked, reported in rule order', () => {
  const m = new ContentMatcher(rules('content:"passwd";', 'content:"/etc/"; content:"passwd"; distance:0;', 'content:"PASSWD"; nocase;', 'content:"passwd"; depth:6;'));
  assert.equal(m.automaton.patterns, 2, 'one automaton pattern per distinct fast pattern ("passwd", nocase "PASSWD")');
  assert.deepEqual(packet(m, 'cat /etc/passwd'), ['1@15', '2@15', '3@15']);
  assert.deepEqual(packet(m, 'passwd'), ['1@6', '3@6', '4@6']);
});

test('matcher: the header filters rules when a tuple is given', () => {
  const m = new ContentMatcher([rule('content:"USER"; sid:1;', 'alert tcp any any -> any 21'), rule('content:"USER"; sid:2;', 'alert udp any any <> 10.0.0.0/8 any')]);
  const t = new RuleTuple();
  assert.deepEqual(packet(m, 'USER x', 0, t.setText(6, '1.1.1.1', 4000, '2.2.2.2', 21)), ['1@4']);
  assert.deepEqual(packet(m, 'USER x', 0, t.setText(6, '2.2.2.2', 21, '1.1.1.1', 4000)), []);
  assert.deepEqual(packet(m, 'USER x', 0, t.setText(17, '10.1.1.1', 53, '1.1.1.1', 4000)), ['2@4']);
  assert.deepEqual(packet(m, 'USER x'), ['1@4', '2@4'], 'no tuple: no filter');
  const s = m.newStreamState(t.setText(6, '1.1.1.1', 4000, '2.2.2.2', 21));
  t.setText(17, '10.1.1.1', 53, '1.1.1.1', 4000); // the state keeps its own copy
  assert.deepEqual(stream(m, 'USER x', [], s), [['1@4']]);
});

test('matcher: streams — a match split across 2 and across 3 chunks, offsets from the stream start', () => {
  const m = new ContentMatcher(rules(WORM));
  const at = REQUEST.indexOf('CMD');
  assert.deepEqual(stream(m, REQUEST, [at + 3]), [[], ['1@46']]);
  assert.deepEqual(stream(m, REQUEST, [at + 2, at + 5]), [[], [], ['1@46']]);
  assert.deepEqual(stream(m, REQUEST, [1, 2, at + 1, at + 6]), [[], [], [], [], ['1@46']], 'GET itself split too');
  assert.deepEqual(stream(m, ` ${REQUEST}`, [at]), [[], []], 'depth:3 counts from the stream start');
  // Reported once per stream direction.
  assert.deepEqual(stream(m, `${REQUEST}cmd.exe cmd.exe`, [REQUEST.length, REQUEST.length + 8]), [['1@46'], [], []]);
});

test('matcher: streams — a rule waits (pending) for clauses that come in later chunks', () => {
  const m = new ContentMatcher(rules('content:"Content-Length|3a|"; content:"|0d 0a 0d 0a|"; distance:0;', 'content:"LOGIN"; content:"root"; distance:1; within:5;'));
  assert.deepEqual(stream(m, 'Content-Length: 5\r\nX: y\r\n\r\nhello', [17, 24]), [[], [], ['1@27']]);
  assert.deepEqual(stream(m, 'LOGIN  root', [6, 9]), [[], [], ['2@11']]);
  assert.deepEqual(stream(m, 'LOGIN     root', [6, 9]), [[], [], []], 'outside within');
  const few = new ContentMatcher(rules('content:"AAAA"; content:"z"; distance:0;', 'content:"BBBB"; content:"z"; distance:0;'), { maxPending: 1 });
  assert.deepEqual(stream(few, 'AAAA BBBB z', [10]), [[], ['1@11']]);
  assert.equal(few.weirds.content_pending_dropped, 1);
});

test('matcher: streams — what is held: head for anchored clauses, tail before the chunk, whole chunks', () => {
  const opts: Partial<ContentMatcherOptions> = { tailBytes: 64, maxHeadBytes: 16 };
  const filler = '.'.repeat(500);
  const loose = new ContentMatcher(rules('content:"MARK"; content:"the-fast-pattern"; distance:0;'), opts);
  assert.deepEqual(stream(loose, `MARK${filler}the-fast-pattern`, [100, 200, 300, 400]).flat(), [], 'MARK was dropped (the documented limit)');
  assert.deepEqual(stream(loose, `${filler}MARK${'.'.repeat(40)}the-fast-pattern`, [100, 200, 300, 400, 520]).flat(), ['1@560'], 'within tailBytes before the chunk');
  const anchored = new ContentMatcher(rules('content:"MARK"; depth:4; content:"the-fast-pattern"; distance:0;'), opts);
  assert.equal(anchored.headBytes, 4);
  assert.deepEqual(stream(anchored, `MARK${filler}the-fast-pattern`, [100, 200, 300, 400]).flat(), ['1@520'], 'anchored MARK kept in the head');
  // A chunk larger than tailBytes is checked in full.
  const big = new ContentMatcher(rules('content:"first"; content:"the-fast-pattern"; distance:0;'), opts);
  assert.deepEqual(stream(big, `x first${filler}the-fast-pattern`, [1]).flat(), ['1@523']);
  // Many small chunks: the tail keeps rolling, memory stays bounded.
  const s = loose.newStreamState();
  const parts = stream(loose, `${'.'.repeat(5000)}MARK..the-fast-pattern${'.'.repeat(3000)}`, Array.from({ length: 799 }, (_, i) => (i + 1) * 10), s);
  assert.deepEqual(parts.flat(), ['1@5022']);
  assert.ok(s.buf.length <= 16 + 2 * 64 + 16, `buffer ${s.buf.length}`);
});

test('matcher: streams — no match spans a gap; anchors still count from the stream start', () => {
  const m = new ContentMatcher(rules('content:"secret";', 'content:"XY"; offset:10; depth:2;'));
  const s = m.newStreamState();
  const got: string[] = [];
  const feed = (t: string): void => {
    const b = enc.encode(t);
    m.stream(s, b, 0, b.length, (r, end) => got.push(`${r.sid}@${end}`));
  };
  feed('sec');
  m.gap(s, 5);
  feed('reXY');
  assert.deepEqual(got, ['2@12'], '"sec" + hole + "re" is no match; XY at 10 after 3 + 5 + 2 bytes');
  feed('secret');
  assert.deepEqual(got, ['2@12', '1@18']);
  assert.equal(s.offset, 18);
});

test('matcher: 1,000 random single-content rules agree with a naive search, packets and streams', () => {
  const rnd = seededRandom(99);
  const alphabet = 'abcAB';
  const str = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  const texts: string[] = [];
  const pats: { s: string; nocase: boolean }[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = { s: str(3 + Math.floor(rnd() * 6)), nocase: rnd() < 0.3 };
    pats.push(p);
    texts.push(`alert ip any any -> any any (content:"${p.s}";${p.nocase ? ' nocase;' : ''} sid:${i + 1};)`);
  }
  const { rules: rs, errors } = parseContentRules(texts.join('\n'));
  assert.deepEqual(errors, []);
  const m = new ContentMatcher(rs);
  for (let round = 0; round < 5; round++) {
    const data = str(3000);
    const want: string[] = [];
    pats.forEach((p, i) => {
      const at = p.nocase ? data.toLowerCase().indexOf(p.s.toLowerCase()) : data.indexOf(p.s);
      if (at >= 0) want.push(`${i + 1}@${at + p.s.length}`);
    });
    assert.ok(want.length > 100, `${want.length} rules match`);
    assert.deepEqual(packet(m, data), want);
    const cuts: number[] = [];
    for (let at = 0; ; ) {
      at += 1 + Math.floor(rnd() * 200);
      if (at >= data.length) break;
      cuts.push(at);
    }
    const got = stream(m, data, cuts).flat();
    assert.deepEqual(got.sort(), [...want].sort());
  }
});

test('matcher: the regex budget stops /(a+)+b/ on a long "aaaa…" payload fast, and is counted', () => {
  const weirds: string[] = [];
  const m = new ContentMatcher(rules('content:"aaaa"; pcre:"/(a+)+b/";', 'pcre:"/(a+)+b/";'), { weird: (n) => weirds.push(n) });
  const payload = enc.encode('a'.repeat(1 << 20));
  const start = performance.now();
  assert.deepEqual(packet(m, payload), []);
  assert.deepEqual(stream(m, payload, []), [[]]);
  const ms = performance.now() - start;
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  assert.equal(m.weirds.regex_budget_exhausted, 4);
  assert.deepEqual(weirds, Array(4).fill('regex_budget_exhausted'));
  assert.equal(m.stats.regexBytes, 0);
});

test('matcher: the regex budget is per flow: spent over chunks (and shared), then the regex is no longer run', () => {
  const m = new ContentMatcher(rules('content:"id="; pcre:"/^\\d+;/R";'), { regexBudgetPerFlow: 100 });
  const budget = m.newBudget();
  const a = m.newStreamState(undefined, budget);
  const b = m.newStreamState(undefined, budget);
  assert.deepEqual(stream(m, `id=x;${'.'.repeat(60)}`, [], a), [[]], 'runs, no match, spends 62 bytes');
  assert.equal(budget.remaining, 100 - 62);
  assert.deepEqual(stream(m, `id=7;${'.'.repeat(40)}`, [], b), [[]], 'would match, but 42 bytes > 38 left');
  assert.equal(m.weirds.regex_budget_exhausted, 1);
  assert.deepEqual(stream(m, 'id=7;', [], m.newStreamState()), [['1@5']], 'a new flow has its own budget');
});

test('matcher: with the linear fallback, a catastrophic regex on a short payload is fast too', () => {
  enableLinearRegexFallback();
  const m = new ContentMatcher(rules('pcre:"/(a+)+b/";', 'pcre:"/^(a+)+$/";'));
  const start = performance.now();
  assert.deepEqual(packet(m, 'a'.repeat(40)), ['2@40']);
  assert.ok(performance.now() - start < 1000);
});

test('matcher: backtracking over repeated contents is bounded and counted', () => {
  const m = new ContentMatcher(rules('content:"a"; content:"a"; distance:0; content:"a"; distance:0; content:"aab"; distance:0; within:3;'), { maxVerifySteps: 50 });
  assert.deepEqual(packet(m, 'a'.repeat(5000)), []);
  assert.equal(m.weirds.content_verify_limit, 0, 'the fast pattern "aab" never hit: no check at all');
  assert.deepEqual(packet(m, `${'a'.repeat(2000)}x aab`), []);
  assert.equal(m.weirds.content_verify_limit, 1);
});
