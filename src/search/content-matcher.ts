import { Buffer } from 'node:buffer';
import v8 from 'node:v8';
import { RuleTuple } from '../rules/index.js';
import { AhoCorasick, type ScanState } from './aho-corasick.js';
import { type ContentClause, type ContentRule, Haystack, RegexBudget, VerifyContext, verifyRule } from './content-rule.js';

/**
 * Runs content rules on payloads: each packet payload on its own, or the reassembled stream of
 * one direction of a flow chunk by chunk.
 *
 * The fast pattern of every rule goes into one Aho–Corasick automaton; a hit makes the rule a
 * candidate, and candidates are verified clause by clause once the chunk is scanned. Rules
 * without a fast pattern (pcre or negated contents only) are candidates on every packet/chunk.
 *
 * Streams: `offset`/`depth` count from the direction's first byte. The automaton's state
 * carries over chunks, so a fast pattern split across chunks is found. For verification each
 * stream direction keeps, in one buffer, its first `headBytes` (enough for the rules' anchored
 * `offset`+`depth` windows, at most `maxHeadBytes`) and its last `tailBytes` before the current
 * chunk plus the chunk itself. The limit: a clause can only match bytes still held: one whose
 * match would lie in the dropped middle of a long stream, or begin more than `tailBytes` before
 * the current chunk, is not found (and no match spans the head and the tail). A rule whose fast
 * pattern was seen but whose other clauses are not (yet) satisfied stays pending and is checked
 * again on the next chunks while that hit is still held (at most `maxPending` per direction).
 * Each rule reports at most once per stream direction, and at most once per packet.
 *
 * Hostile input: regular expressions get a byte budget per flow (`regexBudgetPerFlow`; a run
 * that would exceed it is not started, counted as `regex_budget_exhausted`, and the rule does
 * not match); backtracking over repeated contents is bounded per check (`maxVerifySteps`,
 * `content_verify_limit`). A byte budget bounds linear regex work, not the exponential
 * backtracking of a regex like `/(a+)+b/` on a short input (30 bytes take seconds): the parser
 * warns about nested quantifiers, and `enableLinearRegexFallback()` (or Node's
 * `--enable-experimental-regexp-engine-on-excessive-backtracks`) lets V8 switch such a run to
 * its linear-time engine.
 */

/**
 * Lets V8 rerun a regular expression with its linear-time engine once a run backtracks
 * excessively (`--enable-experimental-regexp-engine-on-excessive-backtracks`), which defuses
 * catastrophic patterns without back-references or look-behind. Process-wide and for every
 * regular expression: the application decides (at start-up), the matcher never calls it.
 */
export function enableLinearRegexFallback(): void {
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}

/** Called for each rule that matches: `end` is where its last clause's match ends (buffer index for `packet`, stream offset for `stream`). */
export type ContentMatchCallback = (rule: ContentRule, end: number) => void;

export interface ContentMatcherOptions {
  /** Bytes held per stream direction before the current chunk, for verification. Default 8192. */
  tailBytes: number;
  /** Upper bound on the stream head kept for anchored (`offset`/`depth`) clauses. Default 1024. */
  maxHeadBytes: number;
  /** Bytes regular expressions may scan per flow (per packet for `packet` without a budget). Default 65536. */
  regexBudgetPerFlow: number;
  /** Candidate positions tried per rule check (re-evaluation of repeated contents). Default 1024. */
  maxVerifySteps: number;
  /** Rules pending per stream direction. Default 32. */
  maxPending: number;
  /** Dense automaton budget (see `AhoCorasickOptions`). */
  denseBudgetBytes: number;
  /** Counts an anomaly by name (the engine's weird counter); the matcher's own `weirds` count too. */
  weird: ((name: ContentWeird) => void) | undefined;
}

export const DEFAULT_CONTENT_MATCHER_OPTIONS: Readonly<ContentMatcherOptions> = {
  tailBytes: 8192,
  maxHeadBytes: 1024,
  regexBudgetPerFlow: 65536,
  maxVerifySteps: 1024,
  maxPending: 32,
  denseBudgetBytes: 16 << 20,
  weird: undefined,
};

/** Anomalies the matcher counts (Zeek weird style). */
export type ContentWeird = 'regex_budget_exhausted' | 'content_verify_limit' | 'content_pending_dropped';

/** Work counters. */
export interface ContentMatcherStats {
  /** Payload bytes scanned by the automaton. */
  scannedBytes: number;
  /** Rule checks run. */
  verifications: number;
  /** Rule matches reported. */
  matches: number;
  /** Bytes handed to regular expressions. */
  regexBytes: number;
}

/** Per-packet options: the packet's tuple (rules whose header does not match are skipped) and a flow's regex budget. */
export interface PacketContext {
  readonly tuple?: RuleTuple;
  readonly budget?: RegexBudget;
}

/**
 * One direction of a stream, as the matcher follows it. Holds bytes (see the class comment for
 * the bound: about `headBytes + 2 × tailBytes`, more while a larger chunk is checked).
 */
export class StreamMatchState {
  /** Stream offset of the next byte. */
  get offset(): number {
    return this.sEnd;
  }
  /** @internal */ readonly scan: ScanState;
  /** @internal */ buf: Uint8Array = new Uint8Array(0);
  /** @internal Bytes of the stream head at `buf[0, headLen)` once the middle of the stream has been dropped. */
  headLen = 0;
  /** @internal Buffer index and stream offsets of the held recent run. */
  rStart = 0;
  sStart = 0;
  sEnd = 0;
  /** @internal Rules reported in this direction. */
  fired: Set<number> | null = null;
  /** @internal Pending rules and the stream offset where their fast-pattern hit ended. */
  readonly pending: number[] = [];
  readonly pendingHit: number[] = [];
  constructor(
    scan: ScanState,
    /** @internal */ readonly budget: RegexBudget,
    /** @internal */ readonly tuple: RuleTuple | undefined,
  ) {
    this.scan = scan;
  }
}

/**
 * Content rules compiled for matching (see the module comment above for what is held and
 * bounded). One matcher per worker: its calls reuse scratch state, so they must not be nested
 * (do not call it from an `onMatch` callback).
 */
export class ContentMatcher {
  readonly rules: readonly ContentRule[];
  /** Anomalies counted by this matcher. */
  readonly weirds: Record<ContentWeird, number> = { regex_budget_exhausted: 0, content_verify_limit: 0, content_pending_dropped: 0 };
  readonly stats: ContentMatcherStats = { scannedBytes: 0, verifications: 0, matches: 0, regexBytes: 0 };
  /** Stream head bytes kept per direction (the rules' largest anchored window, bounded). */
  readonly headBytes: number;
  private readonly opts: ContentMatcherOptions;
  private readonly ac: AhoCorasick;
  /** Automaton pattern → rules whose fast pattern it is. */
  private readonly byPattern: number[][];
  /** Rules checked on every packet/chunk (no fast pattern). */
  private readonly always: number[];
  /** Per rule: its fast-pattern clause (undefined: none). */
  private readonly fast: (ContentClause | undefined)[];
  // Candidates of the current call: marked with the call's epoch, listed in `cands`, with the
  // stream offset where their fast pattern's hit ended (-1: pending from an earlier chunk).
  private readonly mark: Int32Array;
  private readonly hitAt: Float64Array;
  private epoch = 0;
  private readonly cands: number[] = [];
  private fired: Set<number> | null = null;
  private readonly onHit: (pattern: number, end: number) => void;
  private readonly hs = new Haystack();
  private readonly ctx = new VerifyContext();
  private readonly packetBudget = new RegexBudget(0);
  /** Scan state reused for packets (positions from the payload start). */
  private readonly packetScan: ScanState;
  private readonly order: number[] = [];

  constructor(rules: readonly ContentRule[], options: Partial<ContentMatcherOptions> = {}) {
    this.opts = { ...DEFAULT_CONTENT_MATCHER_OPTIONS, ...options };
    this.rules = rules;
    const patterns: { bytes: Uint8Array; nocase: boolean }[] = [];
    const index = new Map<string, number>();
    this.byPattern = [];
    this.always = [];
    this.fast = [];
    let head = 0;
    rules.forEach((r, i) => {
      for (const c of r.clauses) {
        if (c.kind === 'content' && c.distance === undefined && c.within === undefined && c.depth !== undefined) head = Math.max(head, (c.offset ?? 0) + c.depth);
      }
      const f = r.fastPattern >= 0 ? (r.clauses[r.fastPattern] as ContentClause) : undefined;
      this.fast.push(f);
      if (f === undefined) {
        this.always.push(i);
        return;
      }
      // Identical fast patterns share one automaton pattern.
      const key = `${f.nocase ? 'i' : 'c'}:${Buffer.from(f.bytes).toString('latin1')}`;
      let p = index.get(key);
      if (p === undefined) {
        p = patterns.length;
        index.set(key, p);
        patterns.push({ bytes: f.bytes, nocase: f.nocase });
        this.byPattern.push([]);
      }
      this.byPattern[p]!.push(i);
    });
    this.headBytes = Math.min(head, this.opts.maxHeadBytes);
    this.ac = new AhoCorasick(patterns, { denseBudgetBytes: this.opts.denseBudgetBytes });
    this.packetScan = this.ac.newState(0);
    this.mark = new Int32Array(rules.length);
    this.hitAt = new Float64Array(rules.length);
    this.onHit = (pattern, end) => {
      const list = this.byPattern[pattern]!;
      for (let k = 0; k < list.length; k++) {
        const r = list[k]!;
        if (this.mark[r] === this.epoch) continue;
        if (this.fired?.has(r)) continue;
        if (!this.plausible(r, end)) continue;
        this.mark[r] = this.epoch;
        this.hitAt[r] = end;
        this.cands.push(r);
      }
    };
  }

  /** Patterns in the automaton (distinct fast patterns) and its size. */
  get automaton(): { patterns: number; states: number; memoryBytes: number } {
    return { patterns: this.ac.patternCount, states: this.ac.stateCount, memoryBytes: this.ac.memoryBytes };
  }

  /** A regex budget for one flow (share it between the flow's two directions or packets). */
  newBudget(): RegexBudget {
    return new RegexBudget(this.opts.regexBudgetPerFlow);
  }

  /**
   * Checks one payload `b[off, end)` on its own. `end` offsets in `onMatch` are indices into
   * `b`; `offset`/`depth` count from `off`. Each rule reports at most once.
   */
  packet(b: Uint8Array, off: number, end: number, onMatch: ContentMatchCallback, context?: PacketContext): void {
    this.begin(null);
    this.stats.scannedBytes += end - off;
    // Positions from the payload start, as the rules' offset/depth count.
    this.ac.reset(this.packetScan, 0);
    this.ac.scan(this.packetScan, b, off, end, this.onHit);
    const budget = context?.budget ?? this.packetBudget;
    if (context?.budget === undefined) budget.remaining = this.opts.regexBudgetPerFlow;
    this.hs.set(b, off, 0, end - off);
    const order = this.candidates();
    for (const r of order) {
      const at = this.check(r, budget, context?.tuple);
      if (at >= 0) this.report(r, off + at, onMatch);
    }
  }

  /**
   * A new stream direction. `tuple` (copied) filters rules by header — give it in the
   * direction of this stream's bytes; `budget` is the flow's regex budget (one is made when
   * absent).
   */
  newStreamState(tuple?: RuleTuple, budget?: RegexBudget): StreamMatchState {
    let copy: RuleTuple | undefined;
    if (tuple !== undefined) {
      copy = new RuleTuple();
      copy.ipVersion = tuple.ipVersion;
      copy.protocol = tuple.protocol;
      copy.src.set(tuple.src);
      copy.dst.set(tuple.dst);
      copy.srcPort = tuple.srcPort;
      copy.dstPort = tuple.dstPort;
      copy.vlan = tuple.vlan;
    }
    return new StreamMatchState(this.ac.newState(0), budget ?? this.newBudget(), copy);
  }

  /**
   * The next in-order bytes `b[off, end)` of a stream direction (`b` is not kept: what is
   * needed is copied). `end` offsets in `onMatch` are stream offsets.
   */
  stream(s: StreamMatchState, b: Uint8Array, off: number, end: number, onMatch: ContentMatchCallback): void {
    if (end <= off) return;
    this.append(s, b, off, end);
    this.begin(s.fired);
    this.stats.scannedBytes += end - off;
    this.ac.scan(s.scan, b, off, end, this.onHit);
    this.haystackOf(s);
    // Pending rules whose hit is no longer held are dropped; the others are candidates again.
    for (let k = 0; k < s.pending.length; k++) {
      const r = s.pending[k]!;
      const hit = s.pendingHit[k]!;
      if (hit - this.fast[r]!.bytes.length < s.sStart || s.fired?.has(r)) {
        s.pending[k] = s.pending[s.pending.length - 1]!;
        s.pendingHit[k] = s.pendingHit[s.pendingHit.length - 1]!;
        s.pending.pop();
        s.pendingHit.pop();
        k--;
        continue;
      }
      if (this.mark[r] !== this.epoch) {
        this.mark[r] = this.epoch;
        this.hitAt[r] = -1;
        this.cands.push(r);
      }
    }
    const order = this.candidates();
    for (const r of order) {
      const at = this.check(r, s.budget, s.tuple);
      if (at >= 0) {
        s.fired ??= new Set();
        s.fired.add(r);
        this.report(r, at, onMatch);
        continue;
      }
      const hit = this.hitAt[r]!;
      if (hit < 0 || this.fast[r] === undefined) continue;
      const was = s.pending.indexOf(r);
      if (was >= 0) {
        s.pendingHit[was] = hit; // the newer hit is held longer
        continue;
      }
      if (s.pending.length >= this.opts.maxPending) {
        this.count('content_pending_dropped');
        continue;
      }
      s.pending.push(r);
      s.pendingHit.push(hit);
    }
  }

  /**
   * `bytes` of the stream direction are missing (a reassembly gap): no match spans the hole;
   * anchored clauses still count from the stream start.
   */
  gap(s: StreamMatchState, bytes: number): void {
    if (bytes <= 0) return;
    if (s.sStart === 0) {
      // Still holding the stream from its start: keep what fits of it as the head.
      s.headLen = Math.min(s.sEnd, this.headBytes);
    }
    s.rStart = s.headLen;
    s.sEnd += bytes;
    s.sStart = s.sEnd;
    s.pending.length = 0;
    s.pendingHit.length = 0;
    this.ac.reset(s.scan, s.sEnd);
  }

  private begin(fired: Set<number> | null): void {
    this.epoch++;
    if (this.epoch === 0x7fffffff) {
      this.mark.fill(0);
      this.epoch = 1;
    }
    this.cands.length = 0;
    this.fired = fired;
  }

  /** This call's candidates and the always-checked rules, in rule order. */
  private candidates(): number[] {
    const order = this.order;
    order.length = 0;
    for (const r of this.cands) order.push(r);
    for (const r of this.always) {
      if (this.mark[r] === this.epoch || this.fired?.has(r)) continue;
      this.mark[r] = this.epoch;
      this.hitAt[r] = -1;
      order.push(r);
    }
    order.sort((a, b) => a - b);
    return order;
  }

  /** A fast-pattern hit that its own anchored window already rules out is no candidate. */
  private plausible(r: number, end: number): boolean {
    const f = this.fast[r]!;
    if (f.distance !== undefined || f.within !== undefined) return true;
    const from = f.offset ?? 0;
    if (end - f.bytes.length < from) return false;
    return f.depth === undefined || end <= from + f.depth;
  }

  private check(r: number, budget: RegexBudget, tuple: RuleTuple | undefined): number {
    const rule = this.rules[r]!;
    if (tuple !== undefined && !rule.selector.matches(tuple)) return -1;
    const ctx = this.ctx;
    ctx.steps = this.opts.maxVerifySteps;
    ctx.budget = budget;
    ctx.regexRefused = 0;
    ctx.stepsOut = false;
    ctx.regexBytes = 0;
    this.stats.verifications++;
    const at = verifyRule(rule, this.hs, ctx);
    this.stats.regexBytes += ctx.regexBytes;
    for (let k = 0; k < ctx.regexRefused; k++) this.count('regex_budget_exhausted');
    if (ctx.stepsOut) this.count('content_verify_limit');
    return at;
  }

  private report(r: number, end: number, onMatch: ContentMatchCallback): void {
    this.stats.matches++;
    onMatch(this.rules[r]!, end);
  }

  private count(name: ContentWeird): void {
    this.weirds[name]++;
    this.opts.weird?.(name);
  }

  /** Points the haystack at what the stream state holds: the head (if apart) and the recent run. */
  private haystackOf(s: StreamMatchState): void {
    const hs = this.hs;
    hs.set(s.buf, 0, 0, s.headLen);
    hs.add(s.rStart, s.sStart, s.sEnd);
  }

  /** Appends a chunk to the held bytes, first dropping what is older than `tailBytes` when room is short. */
  private append(s: StreamMatchState, b: Uint8Array, off: number, end: number): void {
    const n = end - off;
    const tail = this.opts.tailBytes;
    let rEnd = s.rStart + (s.sEnd - s.sStart);
    if (rEnd + n > s.buf.length) {
      const held = s.sEnd - s.sStart;
      if (s.sStart === 0 && held > this.headBytes + tail) {
        // The first drop: the head stays where it is, the recent run moves right after it.
        s.headLen = this.headBytes;
        s.buf.copyWithin(s.headLen, rEnd - tail, rEnd);
        s.rStart = s.headLen;
        s.sStart = s.sEnd - tail;
      } else if (s.sStart > 0 && held > tail) {
        s.buf.copyWithin(s.rStart, rEnd - tail, rEnd);
        s.sStart = s.sEnd - tail;
      }
      rEnd = s.rStart + (s.sEnd - s.sStart);
      if (rEnd + n > s.buf.length) {
        // Grow: to the steady size (head + 2 × tail) at once when that fits, more for a big chunk.
        const steady = this.headBytes + 2 * tail;
        const size = Math.max(rEnd + n, Math.min(steady, Math.max(1024, 2 * s.buf.length)));
        const grown = new Uint8Array(size);
        grown.set(s.buf.subarray(0, rEnd));
        s.buf = grown;
      }
    }
    s.buf.set(b.subarray(off, end), rEnd);
    s.sEnd += n;
  }
}
