/**
 * Lowered filters (see `lower.ts`) to JavaScript predicates over a frame's bytes. Two
 * back ends produce the same answers:
 * - `function` (default) writes the test as one JavaScript expression and makes a function of
 *   it with `new Function`, so V8 compiles the filter like hand-written code. Only numbers
 *   produced here go into the source, never text from the expression.
 * - `closure` builds a tree of small closures; for hosts that forbid `new Function`.
 * Both follow BPF's rules: unsigned 32-bit arithmetic, and a load past the captured bytes (or a
 * division by zero) rejects the frame whatever the rest of the expression says. Evaluation
 * goes on after such a load with 0 in its place and only a flag remembers it: the answer is
 * false either way, and no exception is thrown on the packet path.
 */
import type { Bool, Val } from './lower.js';

/** A compiled filter for one link type: true when the frame `b[o, o + n)` (wire length `wl`) matches. */
export type FramePredicate = (b: Uint8Array, o: number, n: number, wl: number) => boolean;

export type Backend = 'function' | 'closure';

// ---- simplification ---------------------------------------------------------------------

/** True when evaluating `v` can reject the frame (a load, a division). */
function valMayAbort(v: Val): boolean {
  switch (v.t) {
    case 'k':
    case 'len':
      return false;
    case 'ld':
    case 'msh':
      return true;
    case 'neg':
      return valMayAbort(v.a);
    case 'alu':
      return v.op === '/' || v.op === '%' || valMayAbort(v.a) || valMayAbort(v.b);
  }
}

function boolMayAbort(b: Bool): boolean {
  switch (b.t) {
    case 'const':
      return false;
    case 'not':
      return boolMayAbort(b.a);
    case 'and':
    case 'or':
      return boolMayAbort(b.a) || boolMayAbort(b.b);
    case 'cmp':
      return valMayAbort(b.a) || valMayAbort(b.b);
  }
}

function foldAlu(op: string, a: number, b: number): number | null {
  switch (op) {
    case '+':
      return (a + b) >>> 0;
    case '-':
      return (a - b) >>> 0;
    case '*':
      return Math.imul(a, b) >>> 0;
    case '/':
      return b === 0 ? null : Math.floor(a / b);
    case '%':
      return b === 0 ? null : a % b;
    case '&':
      return (a & b) >>> 0;
    case '|':
      return (a | b) >>> 0;
    case '^':
      return (a ^ b) >>> 0;
    case '<<':
      return b < 32 ? (a << b) >>> 0 : 0;
    default:
      return b < 32 ? a >>> b : 0;
  }
}

function simplifyVal(v: Val): Val {
  switch (v.t) {
    case 'neg': {
      const a = simplifyVal(v.a);
      return a.t === 'k' ? { t: 'k', v: -a.v >>> 0 } : { t: 'neg', a };
    }
    case 'alu': {
      const a = simplifyVal(v.a);
      const b = simplifyVal(v.b);
      if (a.t === 'k' && b.t === 'k') {
        const r = foldAlu(v.op, a.v, b.v);
        if (r !== null) return { t: 'k', v: r };
      }
      return { t: 'alu', op: v.op, a, b };
    }
    case 'ld':
      return v.x === null ? v : { t: 'ld', size: v.size, k: v.k, x: simplifyVal(v.x) };
    default:
      return v;
  }
}

/**
 * Constant folding that keeps BPF's meaning: `x or true` stays when `x` can reject the frame
 * (a failed load in `x` makes the whole filter false, not true).
 */
export function simplify(b: Bool): Bool {
  switch (b.t) {
    case 'const':
      return b;
    case 'not': {
      const a = simplify(b.a);
      return a.t === 'const' ? { t: 'const', v: !a.v } : { t: 'not', a };
    }
    case 'and': {
      const a = simplify(b.a);
      if (a.t === 'const') return a.v ? simplify(b.b) : a;
      const c = simplify(b.b);
      if (c.t === 'const') return c.v ? a : c;
      return { t: 'and', a, b: c };
    }
    case 'or': {
      const a = simplify(b.a);
      if (a.t === 'const') return a.v ? a : simplify(b.b);
      const c = simplify(b.b);
      if (c.t === 'const' && (!c.v || !boolMayAbort(a))) return c.v ? c : a;
      return { t: 'or', a, b: c };
    }
    case 'cmp': {
      const x = simplifyVal(b.a);
      const y = simplifyVal(b.b);
      if (x.t === 'k' && y.t === 'k') {
        const r = b.op === 'eq' ? x.v === y.v : b.op === 'gt' ? x.v > y.v : b.op === 'ge' ? x.v >= y.v : (x.v & y.v) !== 0;
        return { t: 'const', v: r };
      }
      return { t: 'cmp', op: b.op, a: x, b: y };
    }
  }
}

// ---- back end: generated function -------------------------------------------------------

const BAD = '(bad = 1, 0)';

function jsVal(v: Val): string {
  switch (v.t) {
    case 'k':
      return String(v.v);
    case 'len':
      return 'wl';
    case 'msh':
      return `(((n > ${v.k} ? b[o + ${v.k}] : ${BAD}) & 15) << 2)`;
    case 'ld': {
      if (v.x !== null) return `l${v.size}(b, o, n, ${v.k} + ${jsVal(v.x)})`;
      const k = v.k;
      if (v.size === 1) return `(n > ${k} ? b[o + ${k}] : ${BAD})`;
      if (v.size === 2) return `(n > ${k + 1} ? (b[o + ${k}] << 8 | b[o + ${k + 1}]) : ${BAD})`;
      return `(n > ${k + 3} ? ((b[o + ${k}] << 24 | b[o + ${k + 1}] << 16 | b[o + ${k + 2}] << 8 | b[o + ${k + 3}]) >>> 0) : ${BAD})`;
    }
    case 'neg':
      return `((-${jsVal(v.a)}) >>> 0)`;
    case 'alu': {
      const a = jsVal(v.a);
      const b = jsVal(v.b);
      switch (v.op) {
        case '+':
          return `((${a} + ${b}) >>> 0)`;
        case '-':
          return `((${a} - ${b}) >>> 0)`;
        case '*':
          return `(imul(${a}, ${b}) >>> 0)`;
        case '/':
          return `div(${a}, ${b})`;
        case '%':
          return `mod(${a}, ${b})`;
        case '&':
          // A mask below 2^31 keeps the result a non-negative int32: no conversion needed.
          return v.b.t === 'k' && v.b.v < 0x80000000 ? `(${a} & ${b})` : `((${a} & ${b}) >>> 0)`;
        case '|':
          return `((${a} | ${b}) >>> 0)`;
        case '^':
          return `((${a} ^ ${b}) >>> 0)`;
        case '<<':
          return v.b.t === 'k' && v.b.v < 32 ? `((${a} << ${b}) >>> 0)` : `shl(${a}, ${b})`;
        default:
          return v.b.t === 'k' && v.b.v < 32 ? `(${a} >>> ${b})` : `shr(${a}, ${b})`;
      }
    }
  }
}

function jsBool(x: Bool): string {
  switch (x.t) {
    case 'const':
      return x.v ? 'true' : 'false';
    case 'and':
      return `(${jsBool(x.a)} && ${jsBool(x.b)})`;
    case 'or':
      return `(${jsBool(x.a)} || ${jsBool(x.b)})`;
    case 'not':
      return `!${jsBool(x.a)}`;
    case 'cmp': {
      const a = jsVal(x.a);
      const b = jsVal(x.b);
      if (x.op === 'eq') return `(${a} === ${b})`;
      if (x.op === 'gt') return `(${a} > ${b})`;
      if (x.op === 'ge') return `(${a} >= ${b})`;
      return `((${a} & ${b}) !== 0)`;
    }
  }
}

const PRELUDE = `'use strict';
let bad = 0;
const imul = Math.imul;
function l1(b, o, n, p) { if (p < n) return b[o + p]; bad = 1; return 0; }
function l2(b, o, n, p) { if (p + 1 < n) return (b[o + p] << 8) | b[o + p + 1]; bad = 1; return 0; }
function l4(b, o, n, p) { if (p + 3 < n) return ((b[o + p] << 24) | (b[o + p + 1] << 16) | (b[o + p + 2] << 8) | b[o + p + 3]) >>> 0; bad = 1; return 0; }
function div(a, c) { if (c === 0) { bad = 1; return 0; } return Math.floor(a / c); }
function mod(a, c) { if (c === 0) { bad = 1; return 0; } return a % c; }
function shl(a, c) { return c < 32 ? (a << c) >>> 0 : 0; }
function shr(a, c) { return c < 32 ? a >>> c : 0; }
`;

/** The JavaScript source of a lowered filter (for tests and curiosity). */
export function filterSource(tree: Bool): string {
  const t = simplify(tree);
  const body = boolMayAbort(t) ? `bad = 0;\n  return ${jsBool(t)} && bad === 0;` : `return ${jsBool(t)};`;
  return `${PRELUDE}return function filter(b, o, n, wl) {\n  ${body}\n};\n`;
}

function compileFunction(tree: Bool): FramePredicate {
  return new Function(filterSource(tree))() as FramePredicate;
}

// ---- back end: closures -----------------------------------------------------------------

/** Per-predicate state the closures share: the frame being tested. */
interface Frame {
  b: Uint8Array;
  o: number;
  n: number;
  wl: number;
  bad: number;
}
type V = (f: Frame) => number;
type B = (f: Frame) => boolean;

const EMPTY = new Uint8Array(0);

function closureLoad(size: 1 | 2 | 4, k: number, x: V | null): V {
  if (x === null) {
    if (size === 1)
      return (f) => {
        if (k < f.n) return f.b[f.o + k]!;
        f.bad = 1;
        return 0;
      };
    if (size === 2)
      return (f) => {
        if (k + 1 < f.n) {
          const i = f.o + k;
          return (f.b[i]! << 8) | f.b[i + 1]!;
        }
        f.bad = 1;
        return 0;
      };
    return (f) => {
      if (k + 3 < f.n) {
        const i = f.o + k;
        const b = f.b;
        return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
      }
      f.bad = 1;
      return 0;
    };
  }
  return (f) => {
    const p = k + x(f);
    if (p + size <= f.n) {
      const i = f.o + p;
      const b = f.b;
      if (size === 1) return b[i]!;
      if (size === 2) return (b[i]! << 8) | b[i + 1]!;
      return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    }
    f.bad = 1;
    return 0;
  };
}

function closureVal(v: Val): V {
  switch (v.t) {
    case 'k': {
      const c = v.v;
      return () => c;
    }
    case 'len':
      return (f) => f.wl;
    case 'msh': {
      const k = v.k;
      return (f) => {
        if (k < f.n) return (f.b[f.o + k]! & 15) << 2;
        f.bad = 1;
        return 0;
      };
    }
    case 'ld':
      return closureLoad(v.size, v.k, v.x === null ? null : closureVal(v.x));
    case 'neg': {
      const a = closureVal(v.a);
      return (f) => -a(f) >>> 0;
    }
    case 'alu': {
      const a = closureVal(v.a);
      const b = closureVal(v.b);
      switch (v.op) {
        case '+':
          return (f) => (a(f) + b(f)) >>> 0;
        case '-':
          return (f) => (a(f) - b(f)) >>> 0;
        case '*':
          return (f) => Math.imul(a(f), b(f)) >>> 0;
        case '/':
          return (f) => {
            const x = a(f);
            const y = b(f);
            if (y !== 0) return Math.floor(x / y);
            f.bad = 1;
            return 0;
          };
        case '%':
          return (f) => {
            const x = a(f);
            const y = b(f);
            if (y !== 0) return x % y;
            f.bad = 1;
            return 0;
          };
        case '&':
          return (f) => (a(f) & b(f)) >>> 0;
        case '|':
          return (f) => (a(f) | b(f)) >>> 0;
        case '^':
          return (f) => (a(f) ^ b(f)) >>> 0;
        case '<<':
          return (f) => {
            const x = a(f);
            const y = b(f);
            return y < 32 ? (x << y) >>> 0 : 0;
          };
        default:
          return (f) => {
            const x = a(f);
            const y = b(f);
            return y < 32 ? x >>> y : 0;
          };
      }
    }
  }
}

function closureBool(x: Bool): B {
  switch (x.t) {
    case 'const': {
      const c = x.v;
      return () => c;
    }
    case 'and': {
      const a = closureBool(x.a);
      const b = closureBool(x.b);
      return (f) => a(f) && b(f);
    }
    case 'or': {
      const a = closureBool(x.a);
      const b = closureBool(x.b);
      return (f) => a(f) || b(f);
    }
    case 'not': {
      const a = closureBool(x.a);
      return (f) => !a(f);
    }
    case 'cmp': {
      const a = closureVal(x.a);
      if (x.b.t === 'k') {
        // The common shape, `load == constant`, without a call for the constant.
        const c = x.b.v;
        if (x.op === 'eq') return (f) => a(f) === c;
        if (x.op === 'gt') return (f) => a(f) > c;
        if (x.op === 'ge') return (f) => a(f) >= c;
        return (f) => (a(f) & c) !== 0;
      }
      const b = closureVal(x.b);
      if (x.op === 'eq') return (f) => a(f) === b(f);
      if (x.op === 'gt') return (f) => a(f) > b(f);
      if (x.op === 'ge') return (f) => a(f) >= b(f);
      return (f) => (a(f) & b(f)) !== 0;
    }
  }
}

function compileClosure(tree: Bool): FramePredicate {
  const root = closureBool(simplify(tree));
  const f: Frame = { b: EMPTY, o: 0, n: 0, wl: 0, bad: 0 };
  return (b, o, n, wl) => {
    f.b = b;
    f.o = o;
    f.n = n;
    f.wl = wl;
    f.bad = 0;
    const r = root(f) && f.bad === 0;
    f.b = EMPTY;
    return r;
  };
}

/** Compiles a lowered filter with the chosen back end. */
export function compilePredicate(tree: Bool, backend: Backend = 'function'): FramePredicate {
  return backend === 'closure' ? compileClosure(tree) : compileFunction(tree);
}
