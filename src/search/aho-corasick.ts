import { SondaError } from '../errors.js';

/**
 * Multi-pattern search (Aho–Corasick), built once, scanned many times, also across the chunks
 * of a stream.
 *
 * Layout, for speed and bounded memory:
 * - Byte classes: bytes that occur in no pattern behave alike, so they share one class, and
 *   every byte that does occur gets its own; a row of the transition table has one entry per
 *   class, not per byte (printable patterns: ~70 instead of 256). Smaller rows keep the rows a
 *   scan visits in the CPU cache; measured, that more than pays for the extra (independent)
 *   class load per byte.
 * - States are numbered breadth-first, so the shallow states — where a scan spends nearly all
 *   its time — come first. The first `denseStates` of them get a full row in one `Int32Array`
 *   (a DFA: one step per byte); the deeper ones, if the budget (`denseBudgetBytes`) runs out,
 *   keep their trie edges (sorted, binary-searched) and a failure link.
 * - A row entry holds the next row's start when the next state is dense and reports nothing,
 *   or `~next` (negative) otherwise: the inner loop is two loads and a sign test per byte and
 *   leaves only to report or to step a deep state.
 *
 * Case-insensitive patterns are folded at build time: when any pattern is `nocase`, every
 * pattern goes in lower-cased and `A`–`Z` get the classes of `a`–`z`, so the scan never folds.
 * Case-sensitive patterns that contain letters are then checked against the real bytes when
 * they end; for a match that began in an earlier chunk the scan state keeps the last bytes of
 * the stream (the longest such pattern less one).
 */

/** A pattern: its bytes (copied at build) and whether letter case is ignored (ASCII only). */
export interface Pattern {
  readonly bytes: Uint8Array;
  readonly nocase?: boolean;
}

export interface AhoCorasickOptions {
  /** Bytes the dense rows may take (4 bytes per state and byte class); deeper states go sparse. Default 16 MiB. */
  denseBudgetBytes?: number;
}

/**
 * `pattern` is the index of the pattern in the list given to the constructor; `end` is the
 * stream offset just past its last byte (for `scanBuffer`: the buffer index).
 */
export type MatchCallback = (pattern: number, end: number) => void;

/**
 * Where a scan of one stream stands: the automaton state, the stream offset of the next byte,
 * and (only when case must be checked across chunks) the stream's last bytes. One per stream
 * direction; made by `newState()`.
 */
export class ScanState {
  state = 0;
  /** Stream offset of the next byte scanned. */
  offset = 0;
  histLen = 0;
  constructor(readonly hist: Uint8Array) {}
}

const DEFAULT_DENSE_BUDGET = 16 << 20;

/** ASCII case folding table (identity when the automaton does not fold). */
function foldTable(fold: boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = fold && c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  return t;
}

/**
 * Byte → class: class 0 for every byte no pattern uses (when there is one), then one class per
 * used byte; a byte and its folded form share a class. Returns the table and the class count.
 */
function byteClasses(patterns: readonly Pattern[], fold: Uint8Array): [Uint8Array, number] {
  const used = new Uint8Array(256);
  for (const p of patterns) for (const c of p.bytes) used[fold[c]!] = 1;
  let n = used.every((u) => u === 1) ? 0 : 1;
  const ofFolded = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (used[c]) ofFolded[c] = n++;
  const cls = new Uint8Array(256);
  for (let c = 0; c < 256; c++) cls[c] = ofFolded[fold[c]!]!;
  return [cls, n];
}

/**
 * The automaton over a fixed pattern list (build once; read-only afterwards, so one automaton
 * may serve any number of scan states). Memory: about 4 × classes bytes per dense state plus
 * ~20 bytes per state; `memoryBytes` tells.
 */
export class AhoCorasick {
  readonly patternCount: number;
  readonly stateCount: number;
  /** States with a full row (the first `denseStates` in breadth-first order). */
  readonly denseStates: number;
  /** Whether input is case-folded (some pattern is `nocase`). */
  readonly folds: boolean;
  /** Byte classes: entries per row. */
  readonly classes: number;
  private readonly table: Int32Array;
  private readonly cls: Uint8Array;
  private readonly fail: Int32Array;
  private readonly childStart: Int32Array;
  /** Edge labels (byte classes) of the trie, per state in class order. */
  private readonly childByte: Uint8Array;
  private readonly childNext: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outIds: Int32Array;
  private readonly dictLink: Int32Array;
  /** 1 when reaching the state reports something (own patterns or a dictionary link). */
  private readonly hasOut: Uint8Array;
  /** Exact bytes of case-sensitive patterns to check after a folded match; undefined: no check. */
  private readonly verify: (Uint8Array | undefined)[];
  private readonly histCap: number;

  /** Throws `SondaError` (`SONDA_E_BAD_OPTION`) for an empty pattern. */
  constructor(patterns: readonly Pattern[], options: AhoCorasickOptions = {}) {
    const budget = options.denseBudgetBytes ?? DEFAULT_DENSE_BUDGET;
    this.patternCount = patterns.length;
    this.folds = patterns.some((p) => p.nocase === true);
    const fold = foldTable(this.folds);
    const [cls, nc] = byteClasses(patterns, fold);
    this.cls = cls;
    const K = (this.classes = nc);

    // 1. Trie over byte classes, in insertion numbering: first-child / next-sibling lists (the root's children in an array).
    const firstChild: number[] = [-1];
    const nextSibling: number[] = [-1];
    const edge: number[] = [0];
    const termHead: number[] = [-1];
    const termNext = new Int32Array(patterns.length).fill(-1);
    const rootChild = new Int32Array(K).fill(-1);
    this.verify = new Array<Uint8Array | undefined>(patterns.length).fill(undefined);
    let histCap = 0;
    for (let p = 0; p < patterns.length; p++) {
      const bytes = patterns[p]!.bytes;
      if (bytes.length === 0) throw new SondaError('SONDA_E_BAD_OPTION', `pattern ${p} is empty`);
      let s = 0;
      for (let k = 0; k < bytes.length; k++) {
        const c = cls[bytes[k]!]!;
        let t = s === 0 ? rootChild[c]! : firstChild[s]!;
        if (s !== 0) while (t >= 0 && edge[t] !== c) t = nextSibling[t]!;
        if (t < 0) {
          t = edge.length;
          edge.push(c);
          firstChild.push(-1);
          termHead.push(-1);
          if (s === 0) {
            rootChild[c] = t;
            nextSibling.push(-1);
          } else {
            nextSibling.push(firstChild[s]!);
            firstChild[s] = t;
          }
        }
        s = t;
      }
      termNext[p] = termHead[s]!;
      termHead[s] = p;
      if (this.folds && patterns[p]!.nocase !== true && bytes.some((c) => fold[c] !== c || (c >= 0x61 && c <= 0x7a))) {
        this.verify[p] = bytes.slice();
        histCap = Math.max(histCap, bytes.length - 1);
      }
    }
    this.histCap = histCap;
    const n = edge.length;
    this.stateCount = n;

    // 2. Breadth-first numbering; children in byte order (compact edge arrays, binary search).
    const order = new Int32Array(n);
    const newId = new Int32Array(n);
    const childStart = (this.childStart = new Int32Array(n + 1));
    const childByte = (this.childByte = new Uint8Array(Math.max(0, n - 1)));
    const childNext = (this.childNext = new Int32Array(Math.max(0, n - 1)));
    let tail = 1;
    let edges = 0;
    const kids: number[] = [];
    for (let head = 0; head < n; head++) {
      const old = order[head]!;
      kids.length = 0;
      if (head === 0) {
        for (let c = 0; c < K; c++) if (rootChild[c]! >= 0) kids.push(rootChild[c]!);
      } else {
        for (let t = firstChild[old]!; t >= 0; t = nextSibling[t]!) kids.push(t);
        kids.sort((a, b) => edge[a]! - edge[b]!);
      }
      childStart[head] = edges;
      for (const t of kids) {
        newId[t] = tail;
        order[tail++] = t;
        childByte[edges] = edge[t]!;
        childNext[edges++] = newId[t]!;
      }
    }
    childStart[n] = edges;

    // Own outputs per state, pattern ids ascending.
    const outStart = (this.outStart = new Int32Array(n + 1));
    const outIds = (this.outIds = new Int32Array(patterns.length));
    let outs = 0;
    const ids: number[] = [];
    for (let s = 0; s < n; s++) {
      outStart[s] = outs;
      ids.length = 0;
      for (let p = termHead[order[s]!]!; p >= 0; p = termNext[p]!) ids.push(p);
      ids.sort((a, b) => a - b);
      for (const p of ids) outIds[outs++] = p;
    }
    outStart[n] = outs;

    // 3. Failure and dictionary links, dense rows: state u's links are known before its row
    // is filled (set when its parent was processed) and its failure state has a smaller number.
    // Row starts must stay below 2^31 (they are int32 table entries).
    const nd = (this.denseStates = Math.max(1, Math.min(n, Math.floor(budget / (K * 4)), Math.floor(2 ** 31 / K) - 1)));
    const table = (this.table = new Int32Array(nd * K));
    const fail = (this.fail = new Int32Array(n));
    const dictLink = (this.dictLink = new Int32Array(n).fill(-1));
    const hasOut = (this.hasOut = new Uint8Array(n));
    const own = (s: number): boolean => outStart[s + 1]! > outStart[s]!;
    const enc = (t: number): number => (t < nd && hasOut[t] === 0 ? t * K : ~t);
    const step = (x: number, c: number): number => {
      for (;;) {
        if (x < nd) {
          const v = table[x * K + c]!;
          return v >= 0 ? v / K : ~v;
        }
        const t = this.child(x, c);
        if (t >= 0) return t;
        x = fail[x]!;
      }
    };
    for (let u = 0; u < n; u++) {
      for (let e = childStart[u]!; e < childStart[u + 1]!; e++) {
        const t = childNext[e]!;
        const f = u === 0 ? 0 : step(fail[u]!, childByte[e]!);
        fail[t] = f;
        dictLink[t] = own(f) ? f : dictLink[f]!;
        hasOut[t] = own(t) || dictLink[t]! >= 0 ? 1 : 0;
      }
      if (u >= nd) continue;
      const row = u * K;
      const fr = fail[u]! * K;
      for (let c = 0; c < K; c++) {
        const t = this.child(u, c);
        table[row + c] = t >= 0 ? enc(t) : u === 0 ? 0 : table[fr + c]!;
      }
    }
  }

  /** Bytes held by the automaton's tables. */
  get memoryBytes(): number {
    let v = 0;
    for (const p of this.verify) v += p?.length ?? 0;
    return this.table.byteLength + this.cls.byteLength + this.fail.byteLength + this.childStart.byteLength + this.childByte.byteLength + this.childNext.byteLength + this.outStart.byteLength + this.outIds.byteLength + this.dictLink.byteLength + this.hasOut.byteLength + v;
  }

  /** A scan state for a new stream whose next byte has stream offset `offset`. */
  newState(offset = 0): ScanState {
    const st = new ScanState(new Uint8Array(this.histCap));
    st.offset = offset;
    return st;
  }

  /** Starts the state over at `offset` (after a gap in the stream: no match spans a hole). */
  reset(st: ScanState, offset: number): void {
    st.state = 0;
    st.histLen = 0;
    st.offset = offset;
  }

  /**
   * Scans `b[off, end)` as the next bytes of the stream of `st`: calls `onMatch` for every
   * pattern occurrence that ends in this chunk (also those that began in earlier chunks), in
   * order of end offset. `b` is not kept.
   */
  scan(st: ScanState, b: Uint8Array, off: number, end: number, onMatch: MatchCallback): void {
    const t = this.table;
    const cls = this.cls;
    const K = this.classes;
    const nd = this.denseStates;
    const hasOut = this.hasOut;
    let s = st.state;
    let i = off;
    while (i < end) {
      if (s < nd) {
        let row = s * K;
        let v = 0;
        do {
          v = t[row + cls[b[i]!]!]!;
          i++;
          if (v < 0) break;
          row = v;
        } while (i < end);
        if (v >= 0) {
          s = row / K;
          break;
        }
        s = ~v;
      } else {
        s = this.sparseStep(s, b[i]!);
        i++;
      }
      if (hasOut[s] !== 0) this.report(st, s, b, off, i, onMatch);
    }
    st.state = s;
    if (this.histCap > 0) this.keepHistory(st, b, off, end);
    st.offset += end - off;
  }

  /** Scans one buffer on its own; `end` offsets in the callback are indices into `b`. */
  scanBuffer(b: Uint8Array, off: number, end: number, onMatch: MatchCallback): void {
    this.scan(this.newState(off), b, off, end, onMatch);
  }

  /** The trie child of `s` by byte class `c`, or -1. */
  private child(s: number, c: number): number {
    let lo = this.childStart[s]!;
    let hi = this.childStart[s + 1]!;
    const bytes = this.childByte;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = bytes[mid]!;
      if (m === c) return this.childNext[mid]!;
      if (m < c) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** One byte from a state without a row: trie edge, else failure links down to a dense state. */
  private sparseStep(s: number, byte: number): number {
    const c = this.cls[byte]!;
    for (;;) {
      const t = this.child(s, c);
      if (t >= 0) return t;
      s = this.fail[s]!;
      if (s < this.denseStates) {
        const v = this.table[s * this.classes + c]!;
        return v >= 0 ? v / this.classes : ~v;
      }
    }
  }

  private report(st: ScanState, s: number, b: Uint8Array, off: number, i: number, onMatch: MatchCallback): void {
    const at = st.offset + (i - off);
    for (let x = this.outStart[s + 1]! > this.outStart[s]! ? s : this.dictLink[s]!; x >= 0; x = this.dictLink[x]!) {
      for (let k = this.outStart[x]!; k < this.outStart[x + 1]!; k++) {
        const p = this.outIds[k]!;
        const exact = this.verify[p];
        if (exact === undefined || sameCase(exact, st, b, off, i)) onMatch(p, at);
      }
    }
  }

  private keepHistory(st: ScanState, b: Uint8Array, off: number, end: number): void {
    const cap = this.histCap;
    const h = st.hist;
    const n = end - off;
    // Plain loops: the history is short, a view per chunk would cost more.
    if (n >= cap) {
      for (let k = 0; k < cap; k++) h[k] = b[end - cap + k]!;
      st.histLen = cap;
      return;
    }
    const keep = Math.min(st.histLen, cap - n);
    h.copyWithin(0, st.histLen - keep, st.histLen);
    for (let k = 0; k < n; k++) h[keep + k] = b[off + k]!;
    st.histLen = keep + n;
  }
}

/** True when the bytes ending before `b[i]` (earlier ones from the state's history) equal `exact`. */
function sameCase(exact: Uint8Array, st: ScanState, b: Uint8Array, off: number, i: number): boolean {
  const start = i - exact.length;
  for (let k = 0; k < exact.length; k++) {
    const pos = start + k;
    let c: number;
    if (pos >= off) c = b[pos]!;
    else {
      const back = off - pos;
      if (back > st.histLen) return false;
      c = st.hist[st.histLen - back]!;
    }
    if (c !== exact[k]) return false;
  }
  return true;
}
