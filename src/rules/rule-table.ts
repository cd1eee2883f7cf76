import { SondaError } from '../errors.js';
import { hashKey } from '../flow/flow-key.js';
import { ANY_PORTS, type Cidr, type PortRange, parseCidr, prefixMask } from './address.js';

/**
 * A rule table in the PF_RING style: exact 5-tuple rules in a hash table, looked up first;
 * then wildcard rules (CIDR blocks, port ranges, any field left out) in priority order. Rules
 * may expire in packet time, which makes the table fit for expectations (an FTP data or SIP
 * media connection announced on a control connection: "any port from A to B:p within 60 s").
 */

/** What the caller should do with a packet or flow a rule matches. */
export type RuleAction = 'pass' | 'drop' | 'tag' | 'plugin';

/** A rule's handle in its table: a positive integer, never reused; -1 for a rule the table refused. */
export type RuleId = number;

/**
 * A rule. Every match field is optional: left out, it matches anything. The table keeps the
 * object as given and `match` returns it (same identity): do not change it after `add`.
 */
export interface Rule {
  readonly action: RuleAction;
  /** The tag to attach (action `tag`). */
  readonly tag?: string;
  /** The plugin to hand the flow to (action `plugin`). */
  readonly plugin?: string;
  /** IP protocol number (6 TCP, 17 UDP …); -1 or absent: any. */
  readonly protocol?: number;
  /** Source network: CIDR text (`10.0.0.0/8`, `2001:db8::/32`, a plain address) or a parsed `Cidr`; `any` or absent: any. */
  readonly src?: string | Cidr;
  /** Destination network, as `src`. */
  readonly dst?: string | Cidr;
  /** Source port or inclusive range; absent: any. */
  readonly srcPort?: number | PortRange;
  /** Destination port or inclusive range; absent: any. */
  readonly dstPort?: number | PortRange;
  /** Outer VLAN id 0–4095; -1: untagged packets only; absent: any. */
  readonly vlan?: number;
  /** Also match the reverse direction (source and destination swapped), like `<>` in rule text. */
  readonly symmetric?: boolean;
  /** Among wildcard rules, lower numbers are tried first; ties keep insertion order. Default 0. */
  readonly priority?: number;
  /** Packet time (µs since the epoch) from which the rule no longer exists. */
  readonly expireAt?: number;
  /** Remove the rule after its first match (expectations: one data connection per announcement). */
  readonly once?: boolean;
}

/**
 * The packet or flow side of a lookup: a small object the caller owns and refills for every
 * lookup, so that `match` allocates nothing. IPv4 addresses are in word 0 of `src`/`dst`
 * (the other words are ignored); IPv6 addresses in all four words, big-endian.
 */
export class RuleTuple {
  ipVersion: 4 | 6 = 4;
  /** IP protocol number. */
  protocol = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  srcPort = 0;
  dstPort = 0;
  /** Outer VLAN id; -1 when untagged (as the decoder has it). */
  vlan = -1;

  /** Fills the tuple with an IPv4 packet's fields. */
  setV4(protocol: number, src: number, srcPort: number, dst: number, dstPort: number, vlan = -1): this {
    this.ipVersion = 4;
    this.protocol = protocol;
    this.src[0] = src;
    this.dst[0] = dst;
    this.srcPort = srcPort;
    this.dstPort = dstPort;
    this.vlan = vlan;
    return this;
  }

  /** Fills the tuple with an IPv6 packet's fields (addresses as four words each). */
  setV6(protocol: number, src: ArrayLike<number>, srcPort: number, dst: ArrayLike<number>, dstPort: number, vlan = -1): this {
    this.ipVersion = 6;
    this.protocol = protocol;
    for (let i = 0; i < 4; i++) {
      this.src[i] = src[i]!;
      this.dst[i] = dst[i]!;
    }
    this.srcPort = srcPort;
    this.dstPort = dstPort;
    this.vlan = vlan;
    return this;
  }

  /**
   * Fills the tuple from address text (tests, tools; it allocates). Both addresses must be of
   * one IP version. Throws `SondaError` (`SONDA_E_BAD_OPTION`) on bad text.
   */
  setText(protocol: number, src: string, srcPort: number, dst: string, dstPort: number, vlan = -1): this {
    const a = parseCidr(src);
    const b = parseCidr(dst);
    if (a === undefined || b === undefined || a.prefix !== (a.version === 4 ? 32 : 128) || b.prefix !== (b.version === 4 ? 32 : 128) || a.version !== b.version) {
      throw new SondaError('SONDA_E_BAD_OPTION', `not a pair of addresses of one IP version: ${src}, ${dst}`);
    }
    if (a.version === 4) return this.setV4(protocol, a.w0, srcPort, b.w0, dstPort, vlan);
    return this.setV6(protocol, [a.w0, a.w1, a.w2, a.w3], srcPort, [b.w0, b.w1, b.w2, b.w3], dstPort, vlan);
  }
}

/** Turns `Rule` address fields into a network; `any`/absent gives undefined. */
function cidrOf(v: string | Cidr | undefined, field: string): Cidr | undefined {
  if (v === undefined || v === 'any') return undefined;
  if (typeof v !== 'string') return v;
  const c = parseCidr(v);
  if (c === undefined) throw new SondaError('SONDA_E_BAD_OPTION', `rule ${field}: not an address or CIDR block: ${v}`);
  return c;
}

function portsOf(v: number | PortRange | undefined, field: string): PortRange {
  if (v === undefined) return ANY_PORTS;
  const r = typeof v === 'number' ? { lo: v, hi: v } : v;
  if (!Number.isInteger(r.lo) || !Number.isInteger(r.hi) || r.lo < 0 || r.hi > 65535 || r.lo > r.hi) {
    throw new SondaError('SONDA_E_BAD_OPTION', `rule ${field}: not a port or port range 0–65535`);
  }
  return r;
}

/**
 * A rule's match fields compiled to numbers: the wildcard test the table runs, usable alone
 * (the content rules filter their header with it). Addresses are compared as masked signed
 * words; an absent address has a zero mask.
 */
export class RuleSelector {
  /** -1: any. */
  readonly protocol: number;
  /** 0: any; 4 or 6: the version both addresses require. */
  readonly version: number;
  /** VLAN id to match; -2: any. */
  readonly vlan: number;
  readonly symmetric: boolean;
  readonly src: Cidr | undefined;
  readonly dst: Cidr | undefined;
  readonly srcPorts: PortRange;
  readonly dstPorts: PortRange;
  private readonly sn0: number;
  private readonly sn1: number;
  private readonly sn2: number;
  private readonly sn3: number;
  private readonly sm0: number;
  private readonly sm1: number;
  private readonly sm2: number;
  private readonly sm3: number;
  private readonly dn0: number;
  private readonly dn1: number;
  private readonly dn2: number;
  private readonly dn3: number;
  private readonly dm0: number;
  private readonly dm1: number;
  private readonly dm2: number;
  private readonly dm3: number;
  private readonly spLo: number;
  private readonly spHi: number;
  private readonly dpLo: number;
  private readonly dpHi: number;

  /** Throws `SondaError` (`SONDA_E_BAD_OPTION`) on fields out of range or addresses of two IP versions. */
  constructor(rule: Omit<Rule, 'action'>) {
    const p = rule.protocol ?? -1;
    if (!Number.isInteger(p) || p < -1 || p > 255) throw new SondaError('SONDA_E_BAD_OPTION', `rule protocol: not -1 or 0–255: ${p}`);
    const v = rule.vlan ?? -2;
    if (!Number.isInteger(v) || v < -2 || v > 4095) throw new SondaError('SONDA_E_BAD_OPTION', `rule vlan: not -1 or 0–4095: ${v}`);
    const s = cidrOf(rule.src, 'src');
    const d = cidrOf(rule.dst, 'dst');
    if (s !== undefined && d !== undefined && s.version !== d.version) {
      throw new SondaError('SONDA_E_BAD_OPTION', 'rule addresses: source and destination of two IP versions');
    }
    this.protocol = p;
    this.vlan = v;
    this.version = s?.version ?? d?.version ?? 0;
    this.symmetric = rule.symmetric === true;
    this.src = s;
    this.dst = d;
    this.srcPorts = portsOf(rule.srcPort, 'srcPort');
    this.dstPorts = portsOf(rule.dstPort, 'dstPort');
    const sp = s?.prefix ?? 0;
    const dp = d?.prefix ?? 0;
    this.sm0 = prefixMask(sp, 0) | 0;
    this.sm1 = prefixMask(sp, 1) | 0;
    this.sm2 = prefixMask(sp, 2) | 0;
    this.sm3 = prefixMask(sp, 3) | 0;
    this.dm0 = prefixMask(dp, 0) | 0;
    this.dm1 = prefixMask(dp, 1) | 0;
    this.dm2 = prefixMask(dp, 2) | 0;
    this.dm3 = prefixMask(dp, 3) | 0;
    this.sn0 = (s?.w0 ?? 0) | 0;
    this.sn1 = (s?.w1 ?? 0) | 0;
    this.sn2 = (s?.w2 ?? 0) | 0;
    this.sn3 = (s?.w3 ?? 0) | 0;
    this.dn0 = (d?.w0 ?? 0) | 0;
    this.dn1 = (d?.w1 ?? 0) | 0;
    this.dn2 = (d?.w2 ?? 0) | 0;
    this.dn3 = (d?.w3 ?? 0) | 0;
    this.spLo = this.srcPorts.lo;
    this.spHi = this.srcPorts.hi;
    this.dpLo = this.dstPorts.lo;
    this.dpHi = this.dstPorts.hi;
  }

  /** True when the tuple matches in its direction, or reversed for a symmetric rule. */
  matches(t: RuleTuple): boolean {
    if (this.protocol >= 0 && t.protocol !== this.protocol) return false;
    if (this.version !== 0 && t.ipVersion !== this.version) return false;
    if (this.vlan !== -2 && t.vlan !== this.vlan) return false;
    if (this.oneWay(t.src, t.srcPort, t.dst, t.dstPort)) return true;
    return this.symmetric && this.oneWay(t.dst, t.dstPort, t.src, t.srcPort);
  }

  private oneWay(a: Uint32Array, ap: number, b: Uint32Array, bp: number): boolean {
    if (ap < this.spLo || ap > this.spHi || bp < this.dpLo || bp > this.dpHi) return false;
    if ((a[0]! & this.sm0) !== this.sn0 || (b[0]! & this.dm0) !== this.dn0) return false;
    if (this.version !== 6) return true;
    return (
      (a[1]! & this.sm1) === this.sn1 &&
      (a[2]! & this.sm2) === this.sn2 &&
      (a[3]! & this.sm3) === this.sn3 &&
      (b[1]! & this.dm1) === this.dn1 &&
      (b[2]! & this.dm2) === this.dn2 &&
      (b[3]! & this.dm3) === this.dn3
    );
  }

  /** True when the fields name one connection exactly (protocol, two host addresses, two ports): the hash table can hold it. */
  get exact(): boolean {
    const full = this.version === 4 ? 32 : 128;
    return this.protocol >= 0 && this.src !== undefined && this.dst !== undefined && this.src.prefix === full && this.dst.prefix === full && this.spLo === this.spHi && this.dpLo === this.dpHi;
  }
}

/** Key words: source address (4), destination address (4), ports, protocol | v6 bit | VLAN code. */
const KW = 10;
/** VLAN code in key word 9 for "any VLAN" (real codes are vlan + 1: 0 untagged … 4096). */
const VLAN_ANY_CODE = 0x1fff;

class Entry {
  alive = true;
  constructor(
    readonly id: RuleId,
    readonly rule: Rule,
    readonly sel: RuleSelector,
    readonly priority: number,
    readonly seq: number,
    readonly expireAt: number,
    readonly once: boolean,
    /** Hash keys an exact rule is filed under: 1, or 2 for a symmetric one (its reverse); 0 for a wildcard rule. */
    readonly keys: number,
  ) {}
}

const before = (a: Entry, b: Entry): boolean => a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);

/** Sorted insert by (priority, insertion order); lists are short or inserts rare. */
function insertSorted(list: Entry[], e: Entry): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!, e)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, e);
}

/**
 * Open-addressing hash table of exact keys (linear probing, backward-shift deletion, load at
 * most 1/2); each slot holds the rule with that key, or the rules, best first, when several
 * share it (rare: no array per key otherwise, the garbage collector notices 100k of them).
 */
class ExactIndex {
  private mask = 0;
  private keys = new Uint32Array(0);
  private hashes = new Uint32Array(0);
  private buckets: (Entry | Entry[] | undefined)[] = [];
  private used = 0;

  constructor() {
    this.alloc(64);
  }

  private alloc(cap: number): void {
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * KW);
    this.hashes = new Uint32Array(cap);
    this.buckets = new Array<Entry | Entry[] | undefined>(cap).fill(undefined);
    this.used = 0;
  }

  private slot(k: Uint32Array, h: number): number {
    const keys = this.keys;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      if (this.buckets[i] === undefined) return ~i;
      if (this.hashes[i] !== h) continue;
      const o = i * KW;
      if (keys[o + 8] === k[8] && keys[o + 9] === k[9] && keys[o] === k[0] && keys[o + 4] === k[4] && keys[o + 1] === k[1] && keys[o + 2] === k[2] && keys[o + 3] === k[3] && keys[o + 5] === k[5] && keys[o + 6] === k[6] && keys[o + 7] === k[7]) return i;
    }
  }

  /** The best rule filed under the key. */
  find(k: Uint32Array, h: number): Entry | undefined {
    const i = this.slot(k, h);
    if (i < 0) return undefined;
    const b = this.buckets[i]!;
    return b instanceof Entry ? b : b[0];
  }

  insert(k: Uint32Array, h: number, e: Entry): void {
    let i = this.slot(k, h);
    if (i >= 0) {
      const b = this.buckets[i]!;
      if (b instanceof Entry) this.buckets[i] = before(e, b) ? [e, b] : [b, e];
      else insertSorted(b, e);
      return;
    }
    if ((this.used + 1) * 2 > this.buckets.length) {
      this.grow();
      i = this.slot(k, h);
    }
    i = ~i;
    this.keys.set(k, i * KW);
    this.hashes[i] = h;
    this.buckets[i] = e;
    this.used++;
  }

  remove(k: Uint32Array, h: number, e: Entry): void {
    let i = this.slot(k, h);
    if (i < 0) return;
    const b = this.buckets[i]!;
    if (b instanceof Entry) {
      if (b !== e) return;
    } else {
      const at = b.indexOf(e);
      if (at >= 0) b.splice(at, 1);
      if (b.length > 1) return;
      if (b.length === 1) {
        this.buckets[i] = b[0];
        return;
      }
    }
    // Backward-shift deletion: pull later members of the probe run into the hole.
    this.buckets[i] = undefined;
    this.used--;
    const m = this.mask;
    for (let j = (i + 1) & m; this.buckets[j] !== undefined; j = (j + 1) & m) {
      const home = this.hashes[j]! & m;
      // Move j to the hole unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      this.keys.copyWithin(i * KW, j * KW, j * KW + KW);
      this.hashes[i] = this.hashes[j]!;
      this.buckets[i] = this.buckets[j];
      this.buckets[j] = undefined;
      i = j;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const hashes = this.hashes;
    const buckets = this.buckets;
    this.alloc(buckets.length * 2);
    const k = new Uint32Array(KW);
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i];
      if (b === undefined) continue;
      for (let w = 0; w < KW; w++) k[w] = keys[i * KW + w]!;
      const j = ~this.slot(k, hashes[i]!);
      this.keys.set(k, j * KW);
      this.hashes[j] = hashes[i]!;
      this.buckets[j] = b;
      this.used++;
    }
  }
}

/** Limits of a rule table. */
export interface RuleTableLimits {
  /** Rules held at most; `add` beyond it returns -1 and counts `rejected` (expectations come from traffic). */
  maxRules: number;
}

export const DEFAULT_RULE_TABLE_LIMITS: Readonly<RuleTableLimits> = { maxRules: 1 << 20 };

/** Counters of a rule table. */
export interface RuleTableStats {
  /** Rules refused at `maxRules`. */
  rejected: number;
  /** Rules dropped because their `expireAt` passed (lazily in `match` or in `expire`). */
  expired: number;
  /** Rules removed by `remove` or after their one match (`once`). */
  removed: number;
}

/**
 * The rule table. `match` tries, in order: exact rules for the tuple's VLAN, exact rules for
 * any VLAN (each a hash lookup: O(1) whatever their number), then wildcard rules by priority
 * (a linear walk: keep wildcard rules few, or put the frequent ones first). Within one exact
 * key, priority and then insertion order decide. An exact rule always beats a wildcard one.
 *
 * Expired rules are dropped when a lookup meets them and by `expire(nowUs)` (a heap by expiry
 * time: cost per expired rule, not per rule held).
 */
export class RuleTable {
  readonly stats: RuleTableStats = { rejected: 0, expired: 0, removed: 0 };
  /** The id of the rule the last `match` returned; -1 after a miss. */
  lastId: RuleId = -1;
  private readonly limits: RuleTableLimits;
  private readonly byId = new Map<RuleId, Entry>();
  private readonly exactIndex = new ExactIndex();
  private readonly wild: Entry[] = [];
  /** Exact rules with a VLAN given, and with any VLAN: a lookup skips a probe no rule can answer. */
  private exactVlanOne = 0;
  private exactVlanAny = 0;
  private readonly heap: Entry[] = [];
  private expiring = 0;
  private nextId = 1;
  private readonly scratch = new Uint32Array(KW);
  private readonly keyScratch = new Uint32Array(KW);

  constructor(limits: Partial<RuleTableLimits> = {}) {
    this.limits = { ...DEFAULT_RULE_TABLE_LIMITS, ...limits };
  }

  /** Rules held (expired ones not yet dropped included). */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a rule. Returns its id, or -1 when the table is full (counted in `stats.rejected`).
   * Throws `SondaError` (`SONDA_E_BAD_OPTION`) when a field is malformed.
   */
  add(rule: Rule): RuleId {
    const sel = new RuleSelector(rule);
    if (rule.action === 'tag' && typeof rule.tag !== 'string') throw new SondaError('SONDA_E_BAD_OPTION', 'rule action tag: no tag');
    if (rule.action === 'plugin' && typeof rule.plugin !== 'string') throw new SondaError('SONDA_E_BAD_OPTION', 'rule action plugin: no plugin name');
    const priority = rule.priority ?? 0;
    if (!Number.isFinite(priority)) throw new SondaError('SONDA_E_BAD_OPTION', 'rule priority: not a finite number');
    if (this.byId.size >= this.limits.maxRules) {
      this.stats.rejected++;
      return -1;
    }
    const expireAt = rule.expireAt ?? Number.POSITIVE_INFINITY;
    const id = this.nextId++;
    let keys = 0;
    if (sel.exact) {
      keys = 1;
      // A symmetric rule is filed under its reverse key too, unless both ends are the same.
      if (sel.symmetric && !(sel.src!.w0 === sel.dst!.w0 && sel.src!.w1 === sel.dst!.w1 && sel.src!.w2 === sel.dst!.w2 && sel.src!.w3 === sel.dst!.w3 && sel.srcPorts.lo === sel.dstPorts.lo)) keys = 2;
    }
    const e = new Entry(id, rule, sel, priority, id, expireAt, rule.once === true, keys);
    this.byId.set(id, e);
    if (keys > 0) {
      for (let r = 0; r < keys; r++) {
        const k = exactKey(sel, r === 1, this.keyScratch);
        this.exactIndex.insert(k, hashKey(k), e);
      }
      if (sel.vlan === -2) this.exactVlanAny++;
      else this.exactVlanOne++;
    } else insertSorted(this.wild, e);
    if (expireAt !== Number.POSITIVE_INFINITY) this.pushExpiring(e);
    return id;
  }

  /** Removes a rule; false when the id is unknown (never added, removed or expired). */
  remove(id: RuleId): boolean {
    const e = this.byId.get(id);
    if (e === undefined) return false;
    this.drop(e);
    this.stats.removed++;
    return true;
  }

  /** The rule with this id, while the table holds it. */
  get(id: RuleId): Rule | undefined {
    return this.byId.get(id)?.rule;
  }

  /**
   * The best rule for a packet or flow, or undefined. `nowUs` is packet time: rules with
   * `expireAt <= nowUs` do not match (and are dropped). Allocates nothing.
   */
  match(t: RuleTuple, nowUs: number): Rule | undefined {
    if (this.exactVlanOne + this.exactVlanAny > 0) {
      const k = this.scratch;
      if (t.ipVersion === 4) {
        k[0] = t.src[0]!;
        k[4] = t.dst[0]!;
        k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
      } else {
        for (let i = 0; i < 4; i++) {
          k[i] = t.src[i]!;
          k[4 + i] = t.dst[i]!;
        }
      }
      k[8] = ((t.srcPort << 16) | t.dstPort) >>> 0;
      const base = (t.protocol & 0xff) | (t.ipVersion === 6 ? 0x100 : 0);
      if (this.exactVlanOne > 0 && t.vlan >= -1 && t.vlan <= 4095) {
        k[9] = (base | ((t.vlan + 1) << 12)) >>> 0;
        const e = this.probe(k, nowUs);
        if (e !== undefined) return this.hit(e);
      }
      if (this.exactVlanAny > 0) {
        k[9] = (base | (VLAN_ANY_CODE << 12)) >>> 0;
        const e = this.probe(k, nowUs);
        if (e !== undefined) return this.hit(e);
      }
    }
    const w = this.wild;
    for (let i = 0; i < w.length; i++) {
      const e = w[i]!;
      if (e.expireAt <= nowUs) {
        this.drop(e);
        this.stats.expired++;
        i--;
        continue;
      }
      if (e.sel.matches(t)) return this.hit(e);
    }
    this.lastId = -1;
    return undefined;
  }

  /** Drops every rule whose `expireAt <= nowUs`; returns how many. Call it as packet time advances. */
  expire(nowUs: number): number {
    const h = this.heap;
    let n = 0;
    while (h.length > 0 && h[0]!.expireAt <= nowUs) {
      const e = this.popExpiring();
      if (!e.alive) continue;
      this.drop(e);
      this.stats.expired++;
      n++;
    }
    return n;
  }

  /** Removes every rule. */
  clear(): void {
    for (const e of [...this.byId.values()]) this.drop(e);
    this.heap.length = 0;
  }

  private probe(k: Uint32Array, nowUs: number): Entry | undefined {
    for (;;) {
      const e = this.exactIndex.find(k, hashKey(k));
      if (e === undefined || e.expireAt > nowUs) return e;
      this.drop(e);
      this.stats.expired++;
    }
  }

  private hit(e: Entry): Rule {
    this.lastId = e.id;
    if (e.once) {
      this.drop(e);
      this.stats.removed++;
    }
    return e.rule;
  }

  private drop(e: Entry): void {
    if (!e.alive) return;
    e.alive = false;
    this.byId.delete(e.id);
    if (e.expireAt !== Number.POSITIVE_INFINITY) this.expiring--;
    if (e.keys > 0) {
      for (let r = 0; r < e.keys; r++) {
        const k = exactKey(e.sel, r === 1, this.keyScratch);
        this.exactIndex.remove(k, hashKey(k), e);
      }
      if (e.sel.vlan === -2) this.exactVlanAny--;
      else this.exactVlanOne--;
    } else {
      const at = this.wild.indexOf(e);
      if (at >= 0) this.wild.splice(at, 1);
    }
  }

  private pushExpiring(e: Entry): void {
    const h = this.heap;
    this.expiring++;
    // Removed entries stay in the heap until popped; rebuild when they are the majority.
    if (h.length > 64 && h.length > 2 * this.expiring) {
      const live = h.filter((x) => x.alive);
      h.length = 0;
      for (const x of live) this.siftUp(h, x);
    }
    this.siftUp(h, e);
  }

  private siftUp(h: Entry[], e: Entry): void {
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.expireAt <= e.expireAt) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private popExpiring(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.expireAt < h[l]!.expireAt ? r : l;
        if (h[c]!.expireAt >= last.expireAt) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** The hash key of an exact rule; `reverse` swaps the two ends (a symmetric rule's other direction). */
function exactKey(sel: RuleSelector, reverse: boolean, k: Uint32Array): Uint32Array {
  const a = reverse ? sel.dst! : sel.src!;
  const b = reverse ? sel.src! : sel.dst!;
  const ap = reverse ? sel.dstPorts.lo : sel.srcPorts.lo;
  const bp = reverse ? sel.srcPorts.lo : sel.dstPorts.lo;
  k[0] = a.w0;
  k[1] = a.w1;
  k[2] = a.w2;
  k[3] = a.w3;
  k[4] = b.w0;
  k[5] = b.w1;
  k[6] = b.w2;
  k[7] = b.w3;
  k[8] = ((ap << 16) | bp) >>> 0;
  const vlanCode = sel.vlan === -2 ? VLAN_ANY_CODE : sel.vlan + 1;
  k[9] = (sel.protocol | (sel.version === 6 ? 0x100 : 0) | (vlanCode << 12)) >>> 0;
  return k;
}
