import { SondaError } from '../errors.js';
import { type Cidr, type PortRange, parseCidr, parsePortRange, parseProtocol } from './address.js';
import type { Rule, RuleAction } from './rule-table.js';

/**
 * The text form of rule-table rules, one rule per line:
 *
 * ```text
 * rule     = action proto addr port dir addr port *option [comment]
 * action   = "pass" | "drop" | "tag:" STRING | "plugin:" NAME
 * proto    = "any" | "ip" | "tcp" | "udp" | "icmp" | "icmp6" | "sctp" | "gre" | … | 0–255
 * addr     = "any" | IPV4 ["/" 0–32] | IPV6 ["/" 0–128]
 * port     = "any" | P | P ":" P | P ":" | ":" P          (inclusive, Snort style; P = 0–65535)
 * dir      = "->"                                          (source to destination only)
 *          | "<>"                                          (either direction: symmetric)
 * option   = "vlan" (0–4095 | "none") | "priority" INT | "expire" US | "once"
 * STRING   = '"' { any char but '"' and '\' | '\"' | '\\' } '"'
 * NAME     = 1*( letter | digit | "_" | "-" | "." )
 * comment  = "#" to the end of the line
 * ```
 *
 * Tokens are separated by blanks; blank lines and comment lines are skipped. `vlan none`
 * matches untagged packets only; no `vlan` matches any. `priority` orders wildcard rules
 * (lower first, default 0). `expire` is packet time in µs since the epoch. `once` removes the
 * rule after its first match. Examples:
 *
 * ```text
 * drop tcp 10.0.0.0/8 any -> 192.168.1.1 80 vlan 5 priority 10
 * tag:"suspicious" udp any any <> any 53
 * plugin:ftp-data tcp 10.0.0.1 any -> 10.0.0.2 40000 expire 1700000060000000 once
 * ```
 *
 * Not supported (refused with an error, never ignored): negation (`!`), lists (`[…]`),
 * variables (`$HOME_NET`).
 */

/** A rule text error: where it is (1-based line and column) and why. */
export class RuleSyntaxError extends SondaError {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super('SONDA_E_BAD_RULE', `line ${line}, column ${column}: ${reason}`);
  }
}

/** A blank-separated token of a rule line; `col` is 1-based. */
export interface Token {
  readonly text: string;
  readonly col: number;
}

/**
 * Splits `s[from, to)` into blank-separated tokens; a double-quoted part (with `\"` and `\\`
 * escapes) may hold blanks. Stops at `#` outside quotes. Throws on an unterminated quote.
 */
export function tokenize(s: string, line: number, from = 0, to = s.length): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < to) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '#') break;
    const start = i;
    while (i < to && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '\r' && s[i] !== '\n') {
      if (s[i] === '"') {
        const q = i;
        i++;
        while (i < to && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
        if (i >= to) throw new RuleSyntaxError(line, q + 1, 'unterminated string');
      }
      i++;
    }
    out.push({ text: s.slice(start, i), col: start + 1 });
  }
  return out;
}

/** The text between double quotes at the start of `s` (escapes undone); throws unless the quotes close `s`. */
export function unquote(s: string, line: number, col: number): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') throw new RuleSyntaxError(line, col, 'expected a double-quoted string');
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i]!;
    if (c === '"') throw new RuleSyntaxError(line, col + i, 'unexpected \'"\' inside a string');
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[i + 1];
    if (n !== '"' && n !== '\\') throw new RuleSyntaxError(line, col + i, 'unknown escape in string (only \\" and \\\\)');
    out += n;
    i++;
  }
  return out;
}

/** The address and port fields of a rule header (shared with the content rules). */
export interface RuleHeader {
  readonly protocol: number;
  readonly src: Cidr | undefined;
  readonly srcPort: PortRange | undefined;
  readonly dst: Cidr | undefined;
  readonly dstPort: PortRange | undefined;
  readonly symmetric: boolean;
}

/**
 * Reads `proto addr port dir addr port` from `tokens[at..]` (see the grammar above). Throws
 * `RuleSyntaxError` pointing at the first bad token; `endCol` is the column reported when
 * tokens run out.
 */
export function parseHeader(tokens: readonly Token[], at: number, line: number, endCol: number): RuleHeader {
  const tok = (i: number, what: string): Token => {
    const t = tokens[at + i];
    if (t === undefined) throw new RuleSyntaxError(line, endCol, `missing ${what}`);
    return t;
  };
  const p = tok(0, 'protocol');
  const protocol = parseProtocol(p.text);
  if (protocol === undefined) throw new RuleSyntaxError(line, p.col, `unknown protocol '${p.text}'`);
  const src = address(tok(1, 'source address'), line);
  const srcPort = port(tok(2, 'source port'), line);
  const d = tok(3, "direction '->' or '<>'");
  if (d.text !== '->' && d.text !== '<>') throw new RuleSyntaxError(line, d.col, `expected '->' or '<>', found '${d.text}'`);
  const dst = address(tok(4, 'destination address'), line);
  const dstPort = port(tok(5, 'destination port'), line);
  if (src !== undefined && dst !== undefined && src.version !== dst.version) {
    throw new RuleSyntaxError(line, tokens[at + 4]!.col, 'source and destination are of two IP versions');
  }
  return { protocol, src, srcPort, dst, dstPort, symmetric: d.text === '<>' };
}

function unsupported(t: Token, line: number): void {
  const c = t.text[0];
  if (c === '!') throw new RuleSyntaxError(line, t.col, 'negation (!) is not supported');
  if (c === '[') throw new RuleSyntaxError(line, t.col, 'lists ([…]) are not supported');
  if (c === '$') throw new RuleSyntaxError(line, t.col, 'variables ($…) are not supported');
}

function address(t: Token, line: number): Cidr | undefined {
  if (t.text === 'any') return undefined;
  unsupported(t, line);
  const c = parseCidr(t.text);
  if (c === undefined) throw new RuleSyntaxError(line, t.col, `not an address or CIDR block: '${t.text}'`);
  return c;
}

function port(t: Token, line: number): PortRange | undefined {
  if (t.text === 'any') return undefined;
  unsupported(t, line);
  const r = parsePortRange(t.text);
  if (r === undefined) throw new RuleSyntaxError(line, t.col, `not a port or port range: '${t.text}'`);
  return r;
}

function integer(t: Token | undefined, line: number, endCol: number, what: string, min: number, max: number): number {
  if (t === undefined) throw new RuleSyntaxError(line, endCol, `missing ${what}`);
  if (!/^-?\d+$/.test(t.text)) throw new RuleSyntaxError(line, t.col, `${what}: not an integer: '${t.text}'`);
  const n = Number(t.text);
  if (n < min || n > max) throw new RuleSyntaxError(line, t.col, `${what}: out of range ${min}–${max}`);
  return n;
}

/** One rule line to a `Rule`. Throws `RuleSyntaxError` (line and column of the fault). */
export function parseRule(text: string, line = 1): Rule {
  const tokens = tokenize(text, line);
  const last = tokens[tokens.length - 1];
  const endCol = last === undefined ? 1 : last.col + last.text.length;
  const a = tokens[0];
  if (a === undefined) throw new RuleSyntaxError(line, 1, 'empty rule');
  let action: RuleAction;
  let tag: string | undefined;
  let plugin: string | undefined;
  if (a.text === 'pass' || a.text === 'drop') action = a.text;
  else if (a.text.startsWith('tag:')) {
    action = 'tag';
    tag = unquote(a.text.slice(4), line, a.col + 4);
    if (tag.length === 0) throw new RuleSyntaxError(line, a.col + 4, 'empty tag');
  } else if (a.text.startsWith('plugin:')) {
    action = 'plugin';
    plugin = a.text.slice(7);
    if (!/^[A-Za-z0-9_.-]+$/.test(plugin)) throw new RuleSyntaxError(line, a.col + 7, 'plugin name: letters, digits, "_", "-", "." only');
  } else throw new RuleSyntaxError(line, a.col, `unknown action '${a.text}' (pass, drop, tag:"…", plugin:name)`);
  const h = parseHeader(tokens, 1, line, endCol);
  const rule: { -readonly [K in keyof Rule]: Rule[K] } = { action };
  if (tag !== undefined) rule.tag = tag;
  if (plugin !== undefined) rule.plugin = plugin;
  if (h.protocol >= 0) rule.protocol = h.protocol;
  if (h.src !== undefined) rule.src = h.src;
  if (h.dst !== undefined) rule.dst = h.dst;
  if (h.srcPort !== undefined) rule.srcPort = h.srcPort;
  if (h.dstPort !== undefined) rule.dstPort = h.dstPort;
  if (h.symmetric) rule.symmetric = true;
  const seen = new Set<string>();
  for (let i = 7; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (seen.has(t.text)) throw new RuleSyntaxError(line, t.col, `'${t.text}' given twice`);
    seen.add(t.text);
    switch (t.text) {
      case 'vlan': {
        const v = tokens[++i];
        rule.vlan = v?.text === 'none' ? -1 : integer(v, line, endCol, 'vlan', 0, 4095);
        break;
      }
      case 'priority':
        rule.priority = integer(tokens[++i], line, endCol, 'priority', -(2 ** 31), 2 ** 31 - 1);
        break;
      case 'expire':
        rule.expireAt = integer(tokens[++i], line, endCol, 'expire', 0, Number.MAX_SAFE_INTEGER);
        break;
      case 'once':
        rule.once = true;
        break;
      default:
        throw new RuleSyntaxError(line, t.col, `unknown option '${t.text}' (vlan, priority, expire, once)`);
    }
  }
  return rule;
}

/** Rules of a text, one per line; every faulty line gives an error, the others a rule. */
export function parseRules(text: string): { rules: Rule[]; errors: RuleSyntaxError[] } {
  const rules: Rule[] = [];
  const errors: RuleSyntaxError[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    if (/^\s*(#.*)?$/.test(l)) continue;
    try {
      rules.push(parseRule(l, n + 1));
    } catch (e) {
      if (!(e instanceof RuleSyntaxError)) throw e;
      errors.push(e);
    }
  }
  return { rules, errors };
}
