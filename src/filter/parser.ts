/**
 * pcap-filter(7) expressions to a syntax tree, by libpcap's grammar (gencode's `grammar.y`),
 * including its less obvious rules, because the point is to mean what tcpdump means:
 * - `and` and `or` have the SAME precedence and associate left to right (`a or b and c` is
 *   `(a or b) and c`); `not` binds tighter than both.
 * - A bare address, number or name after `and`/`or` takes the qualifiers of the previous
 *   primitive: `host 1.2.3.4 or 5.6.7.8`, `port 80 or 443`, `host a and not b`.
 * - In arithmetic, `|` < `&` < `<< >>` < `+ -` < `* /` < unary minus, all left-associative;
 *   `%` and `^` have no precedence in libpcap's grammar, so yacc always shifts on them: their
 *   left operand is the nearest operand and their right operand everything that follows
 *   (`7 % 4 * 2` is `7 % (4 * 2)`, `2 & 3 ^ 1` is `2 & (3 ^ 1)`).
 * What the primitives mean is decided later, per link type (see `lower.ts`).
 */
import { FilterSyntaxError } from './error.js';
import { Tok, type Token, tokenize } from './lexer.js';

/** Direction qualifier. */
export type DirQ = 'default' | 'src' | 'dst' | 'or' | 'and';
/** Address-type qualifier. */
export type AddrQ = 'default' | 'host' | 'net' | 'port' | 'portrange' | 'proto';

/** The qualifiers of a primitive (`tcp dst port` → proto tcp, dir dst, addr port). */
export interface Qual {
  /** `default` or a protocol keyword's canonical name (`link` for ether/ppp/…). */
  readonly proto: string;
  readonly dir: DirQ;
  readonly addr: AddrQ;
}

/** Arithmetic of byte-offset expressions. */
export type Arith =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'len' }
  | { readonly k: 'load'; readonly proto: string; readonly index: Arith; readonly size: number; readonly pos: number }
  | { readonly k: 'bin'; readonly op: string; readonly a: Arith; readonly b: Arith; readonly pos: number }
  | { readonly k: 'neg'; readonly a: Arith };

/** A filter expression. `pos` is where errors about the node point. */
export type FilterNode =
  | { readonly k: 'true' }
  | { readonly k: 'and' | 'or'; readonly a: FilterNode; readonly b: FilterNode }
  | { readonly k: 'not'; readonly a: FilterNode }
  /** An address, number or name under qualifiers; `maskLen` (`/24`) or `mask` (`mask 255.0.0.0`) for networks. */
  | { readonly k: 'id'; readonly q: Qual; readonly tok: Token; readonly maskLen: number | null; readonly mask: Token | null; readonly pos: number }
  /** A protocol keyword alone (`tcp`, `ip6`, `arp`), or `gre`. */
  | { readonly k: 'abbrev'; readonly proto: string; readonly pos: number }
  | { readonly k: 'rel'; readonly op: string; readonly a: Arith; readonly b: Arith; readonly pos: number }
  | { readonly k: 'broadcast' | 'multicast'; readonly proto: string; readonly pos: number }
  | { readonly k: 'greater' | 'less'; readonly n: number; readonly pos: number }
  | { readonly k: 'vlan' | 'mpls' | 'pppoes'; readonly num: number | null; readonly pos: number }
  | { readonly k: 'pppoed'; readonly pos: number };

/** Qualifiers that make a following bare id an error (after `tcp`, a relation, `vlan` …). */
const QERR: Qual | null = null;

/** Protocol keywords (libpcap's `pname`). */
const PNAMES = new Set([
  'link', 'ip', 'arp', 'rarp', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'atalk', 'aarp',
  'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'ip6', 'icmp6', 'ah', 'esp', 'iso', 'esis', 'isis', 'l1', 'l2', 'iih',
  'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui', 'radio',
]);
/** Protocols `proto[…]` can index (libpcap's gen_load). */
const LOADABLE = new Set(['link', 'ip', 'arp', 'rarp', 'atalk', 'decnet', 'sca', 'lat', 'moprc', 'mopdl', 'ip6', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'icmp6']);
/** Keywords of libpcap that Sonda does not implement (802.11, ATM, SS7, pflog, name lookups …). */
const UNSUPPORTED = new Set([
  'protochain', 'gateway', 'type', 'subtype', 'dir', 'addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta', 'byte', 'inbound',
  'outbound', 'ifindex', 'geneve', 'lane', 'llc', 'metac', 'bcc', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc', 'sc', 'ilmic',
  'vpi', 'vci', 'connectmsg', 'metaconnect', 'on', 'rnr', 'reason', 'rset', 'srnr', 'action', 'fisu', 'lssu', 'msu',
  'hfisu', 'hlssu', 'hmsu', 'sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls',
]);
const REL_OPS = new Set(['>', '>=', '=', '<=', '<', '!=']);
/** Binding strength of the left-associative arithmetic operators. */
const ARITH_PREC: Readonly<Record<string, number>> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5 };

/** A failed alternative while parsing; the furthest one becomes the reported error. */
class ParseFail extends Error {
  constructor(
    readonly pos: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface Parsed {
  node: FilterNode;
  /** Qualifiers a following bare id takes (libpcap's `$$.q`). */
  q: Qual | null;
}

class Parser {
  private i = 0;
  private furthest: ParseFail | null = null;

  constructor(private readonly toks: Token[]) {}

  parse(): FilterNode {
    if (this.peek().kind === Tok.Eof) return { k: 'true' };
    const r = this.attempt(() => {
      const e = this.expr(QERR);
      if (this.peek().kind !== Tok.Eof) this.fail(this.peek(), `unexpected ${describe(this.peek())}`);
      return e.node;
    });
    if (r !== undefined) return r;
    throw this.furthest!;
  }

  // ---- tokens ----------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.toks[Math.min(this.i + ahead, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== Tok.Eof) this.i++;
    return t;
  }

  private isKw(t: Token, ...names: string[]): boolean {
    return t.kind === Tok.Kw && names.includes(t.text);
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === Tok.Op && ops.includes(t.text);
  }

  private fail(t: Token, reason: string): never {
    const f = new ParseFail(t.pos, reason);
    if (this.furthest === null || f.pos > this.furthest.pos) this.furthest = f;
    throw f;
  }

  private expectOp(op: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) this.fail(t, `expected '${op}' ${what}, found ${describe(t)}`);
    return this.next();
  }

  private expectNum(what: string): Token {
    const t = this.peek();
    if (t.kind !== Tok.Num) this.fail(t, `expected a number ${what}, found ${describe(t)}`);
    return this.next();
  }

  /** Runs an alternative; on failure restores the position and returns undefined. */
  private attempt<T>(f: () => T): T | undefined {
    const save = this.i;
    try {
      return f();
    } catch (e) {
      if (!(e instanceof ParseFail)) throw e;
      this.i = save;
      return undefined;
    }
  }

  /** The first alternative that parses; when none does, the furthest failure is thrown. */
  private oneOf<T>(...alternatives: (() => T)[]): T {
    for (const f of alternatives) {
      const r = this.attempt(f);
      if (r !== undefined) return r;
    }
    throw this.furthest!;
  }

  // ---- boolean expressions ---------------------------------------------------------------

  private expr(inherited: Qual | null): Parsed {
    let left = this.term(inherited);
    for (;;) {
      const t = this.peek();
      if (!this.isKw(t, 'and', 'or')) return left;
      this.next();
      const right = this.afterConjunction(left.q);
      left = { node: { k: t.text as 'and' | 'or', a: left.node, b: right.node }, q: right.q };
    }
  }

  /** What follows `and`/`or`: a term, or a bare id that takes the previous qualifiers. */
  private afterConjunction(prev: Qual | null): Parsed {
    const t = this.peek();
    const bareId = (): Parsed => {
      const at = this.peek();
      if (prev === null) this.fail(at, `${describe(at)} needs a qualifier (host, net, port …) before it`);
      return { node: this.id(prev), q: prev };
    };
    if (t.kind === Tok.Hid || t.kind === Tok.Hid6 || t.kind === Tok.Eid) return bareId();
    if (t.kind === Tok.Id) return isGreExtension(t) && prev === null ? this.term(prev) : bareId();
    if (t.kind === Tok.Num || this.isOp(t, '(') || this.isKw(t, 'not')) {
      return prev === null ? this.term(prev) : this.oneOf(() => this.term(prev), bareId);
    }
    return this.term(prev);
  }

  private term(inherited: Qual | null): Parsed {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      const r = this.term(inherited);
      return { node: { k: 'not', a: r.node }, q: r.q };
    }
    return this.rterm(inherited);
  }

  private rterm(inherited: Qual | null): Parsed {
    const t = this.peek();
    if (t.kind === Tok.Kw) {
      const w = t.text;
      if (PNAMES.has(w)) {
        const t1 = this.peek(1);
        if (this.isOp(t1, '[')) return { node: this.relation(), q: QERR };
        if (this.isKw(t1, 'src', 'dst', 'host', 'net', 'port', 'portrange', 'proto', 'protochain', 'gateway')) return this.headId();
        if (this.isKw(t1, 'broadcast', 'multicast')) {
          this.next();
          this.next();
          return { node: { k: t1.text as 'broadcast' | 'multicast', proto: w, pos: t.pos }, q: QERR };
        }
        this.next();
        return { node: { k: 'abbrev', proto: w, pos: t.pos }, q: QERR };
      }
      switch (w) {
        case 'src':
        case 'dst':
        case 'host':
        case 'net':
        case 'port':
        case 'portrange':
        case 'proto':
          return this.headId();
        case 'broadcast':
        case 'multicast':
          this.next();
          return { node: { k: w, proto: 'default', pos: t.pos }, q: QERR };
        case 'less':
        case 'greater': {
          this.next();
          const n = this.expectNum(`after '${w}'`);
          return { node: { k: w, n: n.value, pos: t.pos }, q: QERR };
        }
        case 'vlan':
        case 'mpls':
        case 'pppoes': {
          this.next();
          const n = this.peek().kind === Tok.Num || this.isOp(this.peek(), '(') ? this.pnum() : null;
          return { node: { k: w, num: n, pos: t.pos }, q: QERR };
        }
        case 'pppoed':
          this.next();
          return { node: { k: 'pppoed', pos: t.pos }, q: QERR };
        case 'len':
          return { node: this.relation(), q: QERR };
      }
      if (UNSUPPORTED.has(w)) this.fail(t, `'${t.text}' is not supported by Sonda's filter`);
      this.fail(t, `unexpected ${describe(t)}`);
    }
    if (t.kind === Tok.Num || this.isOp(t, '-')) return { node: this.relation(), q: QERR };
    if (this.isOp(t, '(')) {
      return this.oneOf(
        () => ({ node: this.relation(), q: QERR }),
        () => {
          this.next();
          const inner = this.expr(inherited);
          this.expectOp(')', 'to close the parenthesis');
          // libpcap: a parenthesised expression passes on the qualifiers from before it.
          return { node: inner.node, q: inherited };
        },
      );
    }
    if (isGreExtension(t)) {
      this.next();
      return { node: { k: 'abbrev', proto: 'gre', pos: t.pos }, q: QERR };
    }
    if (t.kind === Tok.Eof) this.fail(t, 'unexpected end of expression');
    this.fail(t, `${describe(t)} needs a qualifier (host, net, port …) before it`);
  }

  /** `[proto] [src|dst|src or dst|…] [host|net|port|portrange] id`, or `[proto] proto id`. */
  private headId(): Parsed {
    let proto = 'default';
    let dir: DirQ = 'default';
    let addr: AddrQ = 'default';
    let t = this.peek();
    if (t.kind === Tok.Kw && PNAMES.has(t.text)) {
      proto = t.text;
      this.next();
      t = this.peek();
    }
    if (this.isKw(t, 'src', 'dst')) {
      dir = t.text as DirQ;
      this.next();
      const c = this.peek();
      if (this.isKw(c, 'and', 'or')) {
        const other = dir === 'src' ? 'dst' : 'src';
        if (!this.isKw(this.peek(1), other)) this.fail(this.peek(1), `expected '${other}' after '${t.text} ${c.text}'`);
        this.next();
        this.next();
        dir = c.text as DirQ;
      }
      t = this.peek();
      if (this.isKw(t, 'host', 'net', 'port', 'portrange')) {
        addr = t.text as AddrQ;
        this.next();
      }
    } else if (this.isKw(t, 'host', 'net', 'port', 'portrange', 'proto')) {
      addr = t.text as AddrQ;
      this.next();
    } else if (this.isKw(t, 'protochain', 'gateway')) {
      this.fail(t, `'${t.text}' is not supported by Sonda's filter`);
    } else {
      this.fail(t, `unexpected ${describe(t)}`);
    }
    const q: Qual = { proto, dir, addr };
    return { node: this.id(q), q };
  }

  /** An address, number or name (or several in parentheses, joined by and/or). */
  private id(q: Qual): FilterNode {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      return { k: 'not', a: this.id(q) };
    }
    if (this.isOp(t, '(')) {
      this.next();
      let node = this.id(q);
      while (this.isKw(this.peek(), 'and', 'or')) {
        const op = this.next().text as 'and' | 'or';
        node = { k: op, a: node, b: this.id(q) };
      }
      this.expectOp(')', 'to close the parenthesis');
      return node;
    }
    if (t.kind === Tok.Hid) {
      this.next();
      if (this.isOp(this.peek(), '/')) {
        this.next();
        const n = this.expectNum("after '/'");
        return { k: 'id', q, tok: t, maskLen: n.value, mask: null, pos: t.pos };
      }
      if (this.isKw(this.peek(), 'mask')) {
        this.next();
        const m = this.peek();
        if (m.kind !== Tok.Hid) this.fail(m, `expected a dotted mask after 'mask', found ${describe(m)}`);
        this.next();
        return { k: 'id', q, tok: t, maskLen: null, mask: m, pos: t.pos };
      }
      return { k: 'id', q, tok: t, maskLen: null, mask: null, pos: t.pos };
    }
    if (t.kind === Tok.Hid6) {
      this.next();
      if (this.isOp(this.peek(), '/')) {
        this.next();
        const n = this.expectNum("after '/'");
        return { k: 'id', q, tok: t, maskLen: n.value, mask: null, pos: t.pos };
      }
      return { k: 'id', q, tok: t, maskLen: null, mask: null, pos: t.pos };
    }
    if (t.kind === Tok.Num || t.kind === Tok.Eid || t.kind === Tok.Id) {
      this.next();
      return { k: 'id', q, tok: t, maskLen: null, mask: null, pos: t.pos };
    }
    if (t.kind === Tok.Eof) this.fail(t, 'unexpected end of expression: expected an address, number or name');
    this.fail(t, `expected an address, number or name, found ${describe(t)}`);
  }

  /** libpcap's `pnum`: a number, possibly in parentheses. */
  private pnum(): number {
    if (this.isOp(this.peek(), '(')) {
      this.next();
      const v = this.pnum();
      this.expectOp(')', 'to close the parenthesis');
      return v;
    }
    return this.expectNum('').value;
  }

  // ---- arithmetic ------------------------------------------------------------------------

  private relation(): FilterNode {
    const a = this.arith(1);
    const op = this.peek();
    if (op.kind !== Tok.Op || !REL_OPS.has(op.text)) this.fail(op, `expected a comparison (=, !=, <, <=, >, >=), found ${describe(op)}`);
    this.next();
    const b = this.arith(1);
    return { k: 'rel', op: op.text, a, b, pos: op.pos };
  }

  private arith(minPrec: number): Arith {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const p = t.kind === Tok.Op ? ARITH_PREC[t.text] : undefined;
      if (p === undefined || p < minPrec) return left;
      this.next();
      left = { k: 'bin', op: t.text, a: left, b: this.arith(p + 1), pos: t.pos };
    }
  }

  private unary(): Arith {
    if (this.isOp(this.peek(), '-')) {
      this.next();
      return { k: 'neg', a: this.unary() };
    }
    const a = this.primary();
    const t = this.peek();
    if (this.isOp(t, '%', '^')) {
      // No precedence in libpcap's grammar: yacc shifts, so the rest of the arithmetic is the right operand.
      this.next();
      return { k: 'bin', op: t.text, a, b: this.arith(1), pos: t.pos };
    }
    return a;
  }

  private primary(): Arith {
    const t = this.peek();
    if (t.kind === Tok.Num) {
      this.next();
      return { k: 'num', v: t.value };
    }
    if (this.isKw(t, 'len')) {
      this.next();
      return { k: 'len' };
    }
    if (t.kind === Tok.Kw && PNAMES.has(t.text) && this.isOp(this.peek(1), '[')) {
      if (!LOADABLE.has(t.text)) this.fail(t, `'${t.text}[…]' is not supported`);
      this.next();
      this.next();
      const index = this.arith(1);
      let size = 1;
      if (this.isOp(this.peek(), ':')) {
        this.next();
        const s = this.expectNum("after ':'");
        if (s.value !== 1 && s.value !== 2 && s.value !== 4) this.fail(s, 'data size must be 1, 2, or 4');
        size = s.value;
      }
      this.expectOp(']', 'to close the byte offset');
      return { k: 'load', proto: t.text, index, size, pos: t.pos };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const a = this.arith(1);
      this.expectOp(')', 'to close the parenthesis');
      return a;
    }
    this.fail(t, `expected a number, 'len' or proto[offset], found ${describe(t)}`);
  }
}

/** `gre` alone: not a libpcap keyword (tcpdump rejects it), accepted by Sonda as `proto 47`. */
function isGreExtension(t: Token): boolean {
  return t.kind === Tok.Id && t.text === 'gre' && t.end - t.pos === 3;
}

function describe(t: Token): string {
  return t.kind === Tok.Eof ? 'end of expression' : `'${t.text}'`;
}

/** Parses a filter expression; throws `FilterSyntaxError` with the position of the problem. */
export function parseFilter(expression: string): FilterNode {
  const toks = tokenize(expression);
  try {
    return new Parser(toks).parse();
  } catch (e) {
    if (e instanceof ParseFail) throw new FilterSyntaxError(e.reason, expression, e.pos);
    throw e;
  }
}
