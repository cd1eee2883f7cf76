import { Buffer } from 'node:buffer';
import { type RuleHeader, RuleSelector, RuleSyntaxError, type Token, parseHeader, tokenize } from '../rules/index.js';

/**
 * Snort-like content rules: their model, their text form and their verification against bytes.
 *
 * ```text
 * rule    = action proto addr port dir addr port "(" *(option ";") ")"
 * action  = "alert" | "log" | "pass" | "drop" | "reject" | "sdrop"
 * header  = as in the rule table's text form (rules/rule-text.ts): CIDR, Snort port ranges, -> <>
 * option  = "msg:" STRING | "sid:" N | "rev:" N | "priority:" N | "classtype:" NAME
 *         | "reference:" … | "metadata:" …                   (kept out: no effect on matching)
 *         | "content:" ["!"] CONTENT | "nocase" | "fast_pattern"
 *         | "offset:" N | "depth:" N | "distance:" INT | "within:" N
 *         | "pcre:" ["!"] '"/' REGEX '/' FLAGS '"'           (FLAGS: i s m R)
 * CONTENT = '"' { char | "\" ( '"' | ";" | ":" | "\" ) | "|" hex bytes "|" } '"'
 * ```
 *
 * Semantics, as Snort's: `offset`/`depth` bound where a content may lie from the start of the
 * buffer (a packet's payload, or a stream direction from its first byte); `distance`/`within`
 * from the end of the previous content (or pcre) match: the search starts `distance` bytes after
 * it and the match must end within `within` bytes of that start. A content without
 * relative modifiers is searched from the buffer start. When a later clause fails, the earlier
 * contents are tried at their next occurrences (Snort's re-evaluation), up to a step limit. A
 * negated content (`content:!"x"`) must not occur in its window and moves nothing. `nocase`
 * folds ASCII letters. The pcre flag `R` searches from the end of the previous match (and `^`
 * then anchors there). Regular expressions are JavaScript's, run on the bytes as Latin-1 text.
 *
 * Anything else Snort knows (flow, http_*, byte_test, isdataat, variables, lists, negated
 * addresses …) is refused with an error: a rule that silently lost a condition would fire
 * where its author did not mean it to.
 */

export type ContentAction = 'alert' | 'log' | 'pass' | 'drop' | 'reject' | 'sdrop';

/** A `content` clause and its modifiers. */
export interface ContentClause {
  readonly kind: 'content';
  /** The bytes as written. */
  readonly bytes: Uint8Array;
  /** The bytes with ASCII letters lower-cased (the same as `bytes` without `nocase`). */
  readonly folded: Uint8Array;
  readonly nocase: boolean;
  readonly negated: boolean;
  readonly offset: number | undefined;
  readonly depth: number | undefined;
  readonly distance: number | undefined;
  readonly within: number | undefined;
  /** Marked `fast_pattern` in the text. */
  readonly fastPatternMarked: boolean;
}

/** A `pcre` clause. */
export interface PcreClause {
  readonly kind: 'pcre';
  readonly regex: RegExp;
  /** `R`: searched from the end of the previous match. */
  readonly relative: boolean;
  readonly negated: boolean;
  /** The text between the quotes, for messages. */
  readonly source: string;
}

export type Clause = ContentClause | PcreClause;

/** A parsed rule. */
export interface ContentRule {
  readonly action: ContentAction;
  /** Protocol, addresses, ports, direction of the header. */
  readonly header: RuleHeader;
  /** The header compiled for tuple tests (a rule-table wildcard test). */
  readonly selector: RuleSelector;
  readonly msg: string | undefined;
  readonly sid: number | undefined;
  readonly rev: number | undefined;
  readonly classtype: string | undefined;
  readonly priority: number | undefined;
  /** Clauses in the order written (the order they are checked in). */
  readonly clauses: readonly Clause[];
  /**
   * Index in `clauses` of the fast pattern: the content marked `fast_pattern`, else the
   * longest non-negated content (the first of equals). -1 when the rule has none: it is then
   * checked on every packet or stream chunk.
   */
  readonly fastPattern: number;
  /** Source line (1-based) in the text it came from. */
  readonly line: number;
}

const ACTIONS: ReadonlySet<string> = new Set(['alert', 'log', 'pass', 'drop', 'reject', 'sdrop']);
/** Options accepted and kept out of matching (pure metadata). */
const IGNORED: ReadonlySet<string> = new Set(['reference', 'metadata', 'gid']);
const MODIFIERS: ReadonlySet<string> = new Set(['nocase', 'fast_pattern', 'offset', 'depth', 'distance', 'within']);
const MAX_POSITION = 1 << 30;

/** ASCII lower-casing of one byte, as a table. */
export const FOLD: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  return t;
})();

interface OptionText {
  readonly key: string;
  readonly keyCol: number;
  /** Text after ':' up to ';' (blanks trimmed); undefined without ':'. */
  readonly value: string | undefined;
  readonly valueCol: number;
}

/** Splits the option list `s[from, to)` into `key[:value];` parts (quotes may hold ';'). */
function readOptions(s: string, line: number, from: number, to: number): OptionText[] {
  const out: OptionText[] = [];
  const blank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  let i = from;
  for (;;) {
    while (i < to && blank(s[i])) i++;
    if (i >= to) return out;
    const keyStart = i;
    while (i < to && /[A-Za-z0-9_]/.test(s[i]!)) i++;
    if (i === keyStart) throw new RuleSyntaxError(line, i + 1, `expected an option name, found '${s[i]}'`);
    const key = s.slice(keyStart, i);
    while (i < to && blank(s[i])) i++;
    let value: string | undefined;
    let valueCol = i + 1;
    if (s[i] === ':') {
      i++;
      while (i < to && blank(s[i])) i++;
      valueCol = i + 1;
      const vStart = i;
      while (i < to && s[i] !== ';') {
        if (s[i] === '"') {
          const q = i;
          i++;
          while (i < to && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
          if (i >= to) throw new RuleSyntaxError(line, q + 1, 'unterminated string');
        }
        i++;
      }
      value = s.slice(vStart, i).trimEnd();
    }
    if (i < to && s[i] !== ';') throw new RuleSyntaxError(line, i + 1, `expected ';' after option '${key}'`);
    out.push({ key, keyCol: keyStart + 1, value, valueCol });
    i++;
  }
}

/** The text between the double quotes that make up all of `v` (escapes kept); throws otherwise. */
function quoted(v: string, line: number, col: number, what: string): string {
  if (v[0] !== '"') throw new RuleSyntaxError(line, col, `${what}: expected a double-quoted string`);
  let i = 1;
  while (i < v.length && v[i] !== '"') i += v[i] === '\\' ? 2 : 1;
  if (i >= v.length) throw new RuleSyntaxError(line, col, 'unterminated string');
  if (i !== v.length - 1) throw new RuleSyntaxError(line, col + i + 1, `${what}: unexpected text after the string (a missing ';'?)`);
  return v.slice(1, i);
}

/** A quoted option value with Snort's escapes (`\"`, `\;`, `\:`, `\\`) undone. */
function snortString(value: string, line: number, col: number, what: string): string {
  const v = quoted(value, line, col, what);
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = v[i + 1];
    if (n !== '"' && n !== ';' && n !== ':' && n !== '\\') throw new RuleSyntaxError(line, col + 1 + i, 'unknown escape (only \\" \\; \\: \\\\)');
    out += n;
    i++;
  }
  return out;
}

/** Content text (between its quotes) to bytes: text with escapes, `|hex bytes|` runs. */
function contentBytes(v: string, line: number, col: number): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  let hex = false;
  let hexStart = 0;
  let nibble = -1;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (hex) {
      if (c === '|') {
        if (nibble >= 0) throw new RuleSyntaxError(line, col + i, 'odd number of hex digits');
        hex = false;
      } else if (c === ' ' || c === '\t') {
        if (nibble >= 0) throw new RuleSyntaxError(line, col + i, 'hex byte split by a blank');
      } else {
        const d = Number.parseInt(c, 16);
        if (!/[0-9a-fA-F]/.test(c)) throw new RuleSyntaxError(line, col + i, `not a hex digit: '${c}'`);
        if (nibble < 0) nibble = d;
        else {
          out.push(nibble * 16 + d);
          nibble = -1;
        }
      }
      continue;
    }
    if (c === '|') {
      hex = true;
      hexStart = i;
    } else if (c === '\\') {
      const n = v[i + 1];
      if (n !== '"' && n !== ';' && n !== ':' && n !== '\\') throw new RuleSyntaxError(line, col + i, 'unknown escape (only \\" \\; \\: \\\\)');
      out.push(n.charCodeAt(0));
      i++;
    } else if (c === '"') throw new RuleSyntaxError(line, col + i, 'unescaped \'"\' in content');
    else if (c.charCodeAt(0) < 0x80) out.push(c.charCodeAt(0));
    else for (const b of utf8.encode(c)) out.push(b);
  }
  if (hex) throw new RuleSyntaxError(line, col + hexStart, "hex run not closed by '|'");
  if (out.length === 0) throw new RuleSyntaxError(line, col - 1, 'empty content');
  return Uint8Array.from(out);
}

function intValue(o: OptionText, line: number, min: number, max: number): number {
  const v = o.value;
  if (v === undefined || !/^[-+]?\d+$/.test(v)) throw new RuleSyntaxError(line, o.valueCol, `${o.key}: expected an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new RuleSyntaxError(line, o.valueCol, `${o.key}: out of range ${min}–${max}`);
  return n;
}

/**
 * Nested unbounded quantifiers — `(a+)+`, `(a*b?)*`, `(?:x+y)+` — can make a backtracking
 * engine take exponential time on a short input; a byte budget cannot bound that. Returns the
 * offset in the source of the outer quantifier, or -1. A heuristic: alternations of
 * overlapping branches (`(a|aa)+`) are not detected.
 */
export function nestedQuantifier(src: string): number {
  const inner: boolean[] = [false]; // per open group: does it contain an unbounded quantifier?
  let lastGroupInner = false;
  let lastWasGroup = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      i++;
      lastWasGroup = false;
      continue;
    }
    if (c === '[') {
      // Skip a character class (a ']' first in it is literal).
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      lastWasGroup = false;
      continue;
    }
    if (c === '(') {
      inner.push(false);
      lastWasGroup = false;
      continue;
    }
    if (c === ')') {
      lastGroupInner = inner.pop() ?? false;
      if (inner.length === 0) inner.push(false);
      if (lastGroupInner) inner[inner.length - 1] = true;
      lastWasGroup = true;
      continue;
    }
    const unbounded = c === '*' || c === '+' || (c === '{' && /^\{\d*,\}/.test(src.slice(i)));
    if (unbounded) {
      if (lastWasGroup && lastGroupInner) return i;
      inner[inner.length - 1] = true;
    }
    if (c !== '?') lastWasGroup = false;
  }
  return -1;
}

function pcreClause(o: OptionText, line: number, warnings: RuleSyntaxError[]): PcreClause {
  let v = o.value;
  let col = o.valueCol;
  if (v === undefined) throw new RuleSyntaxError(line, o.keyCol, 'pcre: missing "/regex/flags"');
  const negated = v.startsWith('!');
  if (negated) {
    v = v.slice(1).trimStart();
    col = o.valueCol + o.value!.length - v.length;
  }
  const body = quoted(v, line, col, 'pcre');
  const close = body.lastIndexOf('/');
  if (body[0] !== '/' || close <= 0) throw new RuleSyntaxError(line, col + 1, 'pcre: expected /regex/flags');
  const source = body.slice(1, close);
  let flags = '';
  let relative = false;
  for (let k = close + 1; k < body.length; k++) {
    const f = body[k]!;
    if (f === 'R') relative = true;
    else if ((f === 'i' || f === 's' || f === 'm') && !flags.includes(f)) flags += f;
    else throw new RuleSyntaxError(line, col + 1 + k, `pcre: unsupported flag '${f}' (i, s, m, R)`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch (e) {
    throw new RuleSyntaxError(line, col + 2, `pcre: ${(e as Error).message}`);
  }
  const nq = nestedQuantifier(source);
  if (nq >= 0) warnings.push(new RuleSyntaxError(line, col + 2 + nq, 'pcre: nested unbounded quantifiers can backtrack exponentially (the regex budget does not bound one run)'));
  return { kind: 'pcre', regex, relative, negated, source: body };
}

interface MutableContent {
  kind: 'content';
  bytes: Uint8Array;
  folded: Uint8Array;
  nocase: boolean;
  negated: boolean;
  offset: number | undefined;
  depth: number | undefined;
  distance: number | undefined;
  within: number | undefined;
  fastPatternMarked: boolean;
}

/**
 * One rule line to a `ContentRule`. Throws `RuleSyntaxError` (line, column, reason); warnings
 * (a rule that is valid but risky) are pushed to `warnings` when given.
 */
export function parseContentRule(text: string, line = 1, warnings: RuleSyntaxError[] = []): ContentRule {
  const open = text.indexOf('(');
  const headerEnd = open < 0 ? text.length : open;
  const tokens: Token[] = tokenize(text, line, 0, headerEnd);
  const a = tokens[0];
  if (a === undefined) throw new RuleSyntaxError(line, 1, 'empty rule');
  if (!ACTIONS.has(a.text)) throw new RuleSyntaxError(line, a.col, `unknown action '${a.text}' (alert, log, pass, drop, reject, sdrop)`);
  const header = parseHeader(tokens, 1, line, headerEnd + 1);
  if (tokens.length > 7) throw new RuleSyntaxError(line, tokens[7]!.col, `unexpected '${tokens[7]!.text}' after the header`);
  if (open < 0) throw new RuleSyntaxError(line, text.trimEnd().length + 1, "expected '(' and the rule options");
  const close = text.trimEnd().length - 1;
  if (text[close] !== ')' || close <= open) throw new RuleSyntaxError(line, close + 2, "expected ')' at the end of the rule");
  const options = readOptions(text, line, open + 1, close);

  const clauses: Clause[] = [];
  let current: MutableContent | undefined;
  let modsSeen = new Set<string>();
  let msg: string | undefined;
  let sid: number | undefined;
  let rev: number | undefined;
  let classtype: string | undefined;
  let priority: number | undefined;
  const once = new Set<string>();
  for (const o of options) {
    const needValue = (): string => {
      if (o.value === undefined || o.value.length === 0) throw new RuleSyntaxError(line, o.valueCol, `${o.key}: missing value`);
      return o.value;
    };
    const single = (): void => {
      if (once.has(o.key)) throw new RuleSyntaxError(line, o.keyCol, `'${o.key}' given twice`);
      once.add(o.key);
    };
    if (MODIFIERS.has(o.key)) {
      if (current === undefined) throw new RuleSyntaxError(line, o.keyCol, `'${o.key}' must follow a content`);
      if (modsSeen.has(o.key)) throw new RuleSyntaxError(line, o.keyCol, `'${o.key}' given twice for one content`);
      modsSeen.add(o.key);
      const relative = o.key === 'distance' || o.key === 'within';
      const absolute = o.key === 'offset' || o.key === 'depth';
      if ((relative && (modsSeen.has('offset') || modsSeen.has('depth'))) || (absolute && (modsSeen.has('distance') || modsSeen.has('within')))) {
        throw new RuleSyntaxError(line, o.keyCol, `'${o.key}': offset/depth and distance/within do not mix on one content`);
      }
      const len = current.bytes.length;
      switch (o.key) {
        case 'nocase':
        case 'fast_pattern':
          if (o.value !== undefined) throw new RuleSyntaxError(line, o.valueCol, `${o.key} takes no value`);
          if (o.key === 'nocase') {
            current.nocase = true;
            current.folded = current.bytes.map((c) => FOLD[c]!);
          } else {
            if (current.negated) throw new RuleSyntaxError(line, o.keyCol, 'a negated content cannot be the fast pattern');
            if (clauses.some((c) => c.kind === 'content' && c.fastPatternMarked)) throw new RuleSyntaxError(line, o.keyCol, 'more than one fast_pattern');
            current.fastPatternMarked = true;
          }
          break;
        case 'offset':
          current.offset = intValue(o, line, 0, MAX_POSITION);
          break;
        case 'depth':
          current.depth = intValue(o, line, len, MAX_POSITION);
          break;
        case 'distance':
          current.distance = intValue(o, line, -MAX_POSITION, MAX_POSITION);
          break;
        case 'within':
          current.within = intValue(o, line, len, MAX_POSITION);
          break;
      }
      continue;
    }
    switch (o.key) {
      case 'content': {
        let v = needValue();
        let col = o.valueCol;
        const negated = v.startsWith('!');
        if (negated) {
          const rest = v.slice(1).trimStart();
          col += v.length - rest.length;
          v = rest;
        }
        const bytes = contentBytes(quoted(v, line, col, 'content'), line, col + 1);
        current = { kind: 'content', bytes, folded: bytes, nocase: false, negated, offset: undefined, depth: undefined, distance: undefined, within: undefined, fastPatternMarked: false };
        modsSeen = new Set();
        clauses.push(current);
        break;
      }
      case 'pcre':
        clauses.push(pcreClause(o, line, warnings));
        current = undefined;
        break;
      case 'msg':
        single();
        msg = snortString(needValue(), line, o.valueCol, 'msg');
        break;
      case 'sid':
        single();
        sid = intValue(o, line, 1, 2 ** 32 - 1);
        break;
      case 'rev':
        single();
        rev = intValue(o, line, 1, 2 ** 32 - 1);
        break;
      case 'priority':
        single();
        priority = intValue(o, line, 1, 2 ** 31 - 1);
        break;
      case 'classtype':
        single();
        if (!/^[A-Za-z0-9_-]+$/.test(needValue())) throw new RuleSyntaxError(line, o.valueCol, 'classtype: letters, digits, "-", "_" only');
        classtype = o.value;
        break;
      default:
        if (!IGNORED.has(o.key)) throw new RuleSyntaxError(line, o.keyCol, `unsupported option '${o.key}'`);
    }
  }
  let fast = clauses.findIndex((c) => c.kind === 'content' && c.fastPatternMarked);
  if (fast < 0) {
    let best = 0;
    clauses.forEach((c, i) => {
      if (c.kind === 'content' && !c.negated && c.bytes.length > best) {
        best = c.bytes.length;
        fast = i;
      }
    });
  }
  if (clauses.length === 0) throw new RuleSyntaxError(line, open + 1, 'a rule needs at least one content or pcre');
  const selector = new RuleSelector({
    protocol: header.protocol,
    ...(header.src !== undefined ? { src: header.src } : {}),
    ...(header.dst !== undefined ? { dst: header.dst } : {}),
    ...(header.srcPort !== undefined ? { srcPort: header.srcPort } : {}),
    ...(header.dstPort !== undefined ? { dstPort: header.dstPort } : {}),
    symmetric: header.symmetric,
  });
  return { action: a.text as ContentAction, header, selector, msg, sid, rev, classtype, priority, clauses, fastPattern: fast, line };
}

/** Rules of a text, one per line (`#` comment lines and blank lines skipped); every faulty line gives an error. */
export function parseContentRules(text: string): { rules: ContentRule[]; errors: RuleSyntaxError[]; warnings: RuleSyntaxError[] } {
  const rules: ContentRule[] = [];
  const errors: RuleSyntaxError[] = [];
  const warnings: RuleSyntaxError[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    if (/^\s*(#.*)?$/.test(l)) continue;
    try {
      rules.push(parseContentRule(l, n + 1, warnings));
    } catch (e) {
      if (!(e instanceof RuleSyntaxError)) throw e;
      errors.push(e);
    }
  }
  return { rules, errors, warnings };
}

/**
 * The bytes a rule is checked against, in buffer-start (stream) offsets: one run, or two for
 * a long stream (its first bytes and its recent ones, with a hole between). Matches never span
 * runs. Refilled for every check (no allocation).
 */
export class Haystack {
  buf: Uint8Array = new Uint8Array(0);
  /** Runs in use (0–2). */
  runs = 0;
  /** Per run: stream offset of its first byte, stream offset past its last, buffer index of its first. */
  readonly start = new Float64Array(2);
  readonly end = new Float64Array(2);
  readonly index = new Float64Array(2);

  /** One run: `buf[index, index + (end - start))` holds stream bytes `[start, end)`. */
  set(buf: Uint8Array, index: number, start: number, end: number): this {
    this.buf = buf;
    this.runs = 0;
    return this.add(index, start, end);
  }

  /** A further run of the same buffer, after the previous one in stream order. */
  add(index: number, start: number, end: number): this {
    if (end > start) {
      const r = this.runs++;
      this.start[r] = start;
      this.end[r] = end;
      this.index[r] = index;
    }
    return this;
  }
}

/** Regex work allowed: bytes handed to regular expressions, per flow (or per packet). */
export class RegexBudget {
  constructor(public remaining: number) {}
}

/** State of one rule check: limits and what ran out. */
export class VerifyContext {
  /** Candidate positions left to try (backtracking bound). */
  steps = 0;
  budget = new RegexBudget(0);
  /** Regex runs refused for lack of budget during this check. */
  regexRefused = 0;
  /** The step bound stopped this check. */
  stepsOut = false;
  /** Bytes handed to regular expressions during this check. */
  regexBytes = 0;
}

/** No match here. */
const MISS = -1;
/** Could not tell (budget or step limit): the rule fails. */
const UNKNOWN = -2;

/** First occurrence of `c` starting at or after `from` and ending at or before `to` (stream offsets); its start or -1. */
export function findContent(hs: Haystack, c: ContentClause, from: number, to: number): number {
  const p = c.folded;
  const n = p.length;
  const b = hs.buf;
  for (let r = 0; r < hs.runs; r++) {
    const lo = Math.max(from, hs.start[r]!);
    const hi = Math.min(to, hs.end[r]!);
    if (hi - lo < n) continue;
    const base = hs.index[r]! - hs.start[r]!;
    const first = p[0]!;
    const last = hi - n + base;
    if (c.nocase) {
      for (let i = lo + base; i <= last; i++) {
        if (FOLD[b[i]!] !== first) continue;
        let k = 1;
        while (k < n && FOLD[b[i + k]!] === p[k]) k++;
        if (k === n) return i - base;
      }
    } else {
      for (let i = lo + base; i <= last; i++) {
        if (b[i] !== first) continue;
        let k = 1;
        while (k < n && b[i + k] === p[k]) k++;
        if (k === n) return i - base;
      }
    }
  }
  return MISS;
}

/** End (stream offset) of the first regex match at or after `from`, MISS, or UNKNOWN when over budget. */
function findRegex(hs: Haystack, c: PcreClause, from: number, ctx: VerifyContext): number {
  for (let r = 0; r < hs.runs; r++) {
    const lo = Math.max(from, hs.start[r]!);
    const hi = hs.end[r]!;
    if (lo >= hi) continue;
    const len = hi - lo;
    if (ctx.budget.remaining < len) {
      ctx.regexRefused++;
      return UNKNOWN;
    }
    ctx.budget.remaining -= len;
    ctx.regexBytes += len;
    const at = hs.index[r]! + (lo - hs.start[r]!);
    const text = Buffer.from(hs.buf.buffer, hs.buf.byteOffset + at, len).toString('latin1');
    const m = c.regex.exec(text);
    if (m !== null) return lo + m.index + m[0].length;
  }
  return MISS;
}

/**
 * Checks every clause of `rule` against `hs`. Returns the stream offset where the last
 * positive clause's match ends (0 when no clause moved), or -1 when the rule does not match —
 * also when a limit stopped the check (see `ctx`).
 */
export function verifyRule(rule: ContentRule, hs: Haystack, ctx: VerifyContext): number {
  const r = clausesFrom(rule.clauses, 0, 0, hs, ctx);
  return r >= 0 ? r : -1;
}

function clausesFrom(clauses: readonly Clause[], k: number, cursor: number, hs: Haystack, ctx: VerifyContext): number {
  if (k === clauses.length) return cursor;
  const c = clauses[k]!;
  if (c.kind === 'pcre') {
    const from = c.relative ? cursor : 0;
    const end = findRegex(hs, c, from, ctx);
    if (end === UNKNOWN) return UNKNOWN;
    if (c.negated) return end === MISS ? clausesFrom(clauses, k + 1, cursor, hs, ctx) : MISS;
    return end === MISS ? MISS : clausesFrom(clauses, k + 1, end, hs, ctx);
  }
  let from: number;
  let to: number;
  if (c.distance !== undefined || c.within !== undefined) {
    from = cursor + (c.distance ?? 0);
    to = c.within !== undefined ? from + c.within : Number.POSITIVE_INFINITY;
  } else {
    from = c.offset ?? 0;
    to = c.depth !== undefined ? from + c.depth : Number.POSITIVE_INFINITY;
  }
  if (from < 0) from = 0;
  if (c.negated) return findContent(hs, c, from, to) >= 0 ? MISS : clausesFrom(clauses, k + 1, cursor, hs, ctx);
  const n = c.bytes.length;
  for (let at = findContent(hs, c, from, to); at >= 0; at = findContent(hs, c, at + 1, to)) {
    const r = clausesFrom(clauses, k + 1, at + n, hs, ctx);
    if (r !== MISS) return r;
    if (--ctx.steps <= 0) {
      ctx.stepsOut = true;
      return UNKNOWN;
    }
  }
  return MISS;
}
