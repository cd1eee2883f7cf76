/**
 * What the classifier knows, built from protocol files (see protocol-file.ts): each name's
 * category, and the lookups from host names, addresses and ports to names. Later files win
 * over earlier ones for the same host, network or port (user files come last).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SondaError } from '../errors.js';
import { parseAddress } from '../flow/ip-text.js';
import { type ProtocolEntry, parseProtocolFile } from './protocol-file.js';

/** A protocol or application the catalog knows. */
export interface KnownProtocol {
  readonly name: string;
  readonly category: string | undefined;
  /** Detected by a dissector (names a flow alone), rather than an application over a master. */
  readonly master: boolean;
  /** Defined by a user file (confidence `custom` is not used: nDPI's default names only). */
  readonly source: string;
  readonly tcp: ReadonlyArray<readonly [number, number]>;
  readonly udp: ReadonlyArray<readonly [number, number]>;
}

/** Host names whose answers {@link HostMatcher} keeps (cleared when full: cheaper than an LRU, as good on real mixes). */
const RECENT_HOSTS = 4096;

/** Host-name patterns: suffixes on label boundaries in a map, globs in a list. */
class HostMatcher {
  private readonly exact = new Map<string, string>();
  private readonly globs: Array<{ re: RegExp; name: string }> = [];
  /** Recent answers (names repeat: a popular host is looked up for flow after flow); null = no match. */
  private readonly recent = new Map<string, string | null>();

  add(pattern: string, name: string): void {
    this.recent.clear();
    if (pattern.includes('*')) {
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      this.globs.push({ re, name });
    } else this.exact.set(pattern.replace(/^\.+|\.+$/g, ''), name);
  }

  /** The name of the longest matching suffix, else the last matching glob. */
  match(host: string): string | undefined {
    const known = this.recent.get(host);
    if (known !== undefined) return known ?? undefined;
    const name = this.lookup(host);
    if (this.recent.size >= RECENT_HOSTS) this.recent.clear();
    this.recent.set(host, name ?? null);
    return name;
  }

  private lookup(host: string): string | undefined {
    let h = host.toLowerCase();
    if (h.endsWith('.')) h = h.slice(0, -1);
    for (let at = 0; at >= 0 && at < h.length; ) {
      const hit = this.exact.get(at === 0 ? h : h.slice(at));
      if (hit !== undefined) return hit;
      const dot = h.indexOf('.', at);
      at = dot < 0 ? -1 : dot + 1;
    }
    for (let i = this.globs.length - 1; i >= 0; i--) if (this.globs[i]!.re.test(h)) return this.globs[i]!.name;
    return undefined;
  }
}

/** Longest-prefix match over IPv4 and IPv6 networks; only the prefix lengths in use are tried. */
class NetMatcher {
  /** IPv4: per prefix length, masked address (a number) → name; no string per lookup. */
  private readonly v4 = new Map<number, Map<number, string>>();
  private readonly v6 = new Map<number, Map<number | string, string>>();
  private lens4: number[] = [];
  private lens6: number[] = [];

  /** Longest-prefix answer by the per-length maps (used to flatten). */
  private slow4(w: number): string | undefined {
    for (const bits of this.lens4) {
      const hit = this.v4.get(bits)!.get(mask4(w, bits));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Every network boundary cuts the address space into segments with one longest match each. */
  private flatten(): void {
    const cuts = new Set<number>([0]);
    for (const [bits, m] of this.v4) {
      const size = 2 ** (32 - bits);
      for (const start of m.keys()) {
        cuts.add(start);
        if (start + size <= 0xffffffff) cuts.add(start + size);
      }
    }
    const sorted = [...cuts].sort((x, y) => x - y);
    const starts: number[] = [];
    const names: (string | undefined)[] = [];
    for (const c of sorted) {
      const n = this.slow4(c);
      if (names.length > 0 && names[names.length - 1] === n) continue;
      starts.push(c);
      names.push(n);
    }
    this.starts = Float64Array.from(starts);
    this.names = names;
  }

  add(cidr: string, name: string, source: string): void {
    this.starts = null;
    const [addr, len] = cidr.split('/');
    const a = parseAddress(addr!);
    if (!a) throw new SondaError('SONDA_E_BAD_PROTOS', `${source}: bad network "${cidr}"`);
    const max = a.version === 4 ? 32 : 128;
    const bits = len === undefined ? max : Number(len);
    if (!(bits >= 0 && bits <= max)) throw new SondaError('SONDA_E_BAD_PROTOS', `${source}: bad prefix length in "${cidr}"`);
    if (a.version === 4) {
      let m = this.v4.get(bits);
      if (!m) {
        m = new Map();
        this.v4.set(bits, m);
        this.lens4 = [...this.v4.keys()].sort((x, y) => y - x);
      }
      m.set(mask4(a.words[0]!, bits), name);
    } else {
      let m = this.v6.get(bits);
      if (!m) {
        m = new Map();
        this.v6.set(bits, m);
        this.lens6 = [...this.v6.keys()].sort((x, y) => y - x);
      }
      m.set(key6(a.words, bits), name);
    }
  }

  /** IPv4 networks flattened to sorted segment starts and their names (built on first lookup). */
  private starts: Float64Array | null = null;
  private names: (string | undefined)[] = [];

  match(version: 4 | 6, words: Uint32Array): string | undefined {
    if (version === 4) {
      if (this.lens4.length === 0) return undefined;
      if (this.starts === null) this.flatten();
      // Binary search: the last segment starting at or before the address.
      const w = words[0]!;
      const st = this.starts!;
      let lo = 0;
      let hi = st.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (st[mid]! <= w) lo = mid;
        else hi = mid - 1;
      }
      return st[lo]! <= w ? this.names[lo] : undefined;
    }
    for (const bits of this.lens6) {
      const hit = this.v6.get(bits)!.get(key6(words, bits));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

/** The first `bits` bits of an IPv4 address word. */
function mask4(w: number, bits: number): number {
  return bits === 0 ? 0 : (w & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
}

/**
 * Key of the first `bits` bits of an IPv6 address: a number for prefixes up to /53 (the first
 * word, times 2^21, plus the top bits of the second: exact in a double), text beyond.
 */
function key6(words: Uint32Array, bits: number): number | string {
  if (bits <= 32) return mask4(words[0]!, bits);
  if (bits <= 53) return mask4(words[0]!, 32) * 2097152 + (mask4(words[1]!, bits - 32) >>> 11);
  return prefixKey6(words, bits);
}

/** Key of the first `bits` bits of an IPv6 address. */
function prefixKey6(words: Uint32Array, bits: number): string {
  let key = '';
  for (let w = 0; w < 4 && bits > 0; w++, bits -= 32) key += `${mask4(words[w]!, Math.min(bits, 32)).toString(36)}.`;
  return key;
}

/** The classifier's knowledge: names with categories, and host, network and port lookups. */
export class Catalog {
  private readonly byName = new Map<string, KnownProtocol>();
  private readonly hosts = new HostMatcher();
  private readonly nets = new NetMatcher();
  private readonly tcpPorts = new Map<number, string>();
  private readonly udpPorts = new Map<number, string>();

  /** Adds (or extends) entries; later ones win on the same host, network or port. */
  add(entries: readonly ProtocolEntry[]): this {
    for (const e of entries) {
      const old = this.byName.get(e.name);
      const entry: KnownProtocol = {
        name: e.name,
        category: e.category ?? old?.category,
        master: e.master || old?.master === true,
        source: e.source,
        tcp: [...(old?.tcp ?? []), ...e.tcp],
        udp: [...(old?.udp ?? []), ...e.udp],
      };
      this.byName.set(e.name, entry);
      for (const h of e.hosts) this.hosts.add(h, e.name);
      for (const n of e.nets) this.nets.add(n, e.name, e.source);
      for (const [lo, hi] of e.tcp) for (let p = lo; p <= hi; p++) this.tcpPorts.set(p, e.name);
      for (const [lo, hi] of e.udp) for (let p = lo; p <= hi; p++) this.udpPorts.set(p, e.name);
    }
    return this;
  }

  /** Every known name, sorted case-insensitively. */
  list(): KnownProtocol[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
  }

  get(name: string): KnownProtocol | undefined {
    return this.byName.get(name);
  }

  categoryOf(name: string): string | undefined {
    return this.byName.get(name)?.category;
  }

  byHost(host: string): string | undefined {
    return host === '' ? undefined : this.hosts.match(host);
  }

  byAddress(version: 4 | 6, words: Uint32Array): string | undefined {
    return this.nets.match(version, words);
  }

  /** The protocol whose port this is, for transport 6 (TCP) or 17 (UDP). */
  byPort(transport: number, port: number): string | undefined {
    return transport === 6 ? this.tcpPorts.get(port) : transport === 17 ? this.udpPorts.get(port) : undefined;
  }
}

/** Folder of the built-in protocol files (data/protocols in the package). */
const BUILTIN_DIR = fileURLToPath(new URL('../../data/protocols/', import.meta.url));

let builtin: ProtocolEntry[] | undefined;

/** The built-in entries (every `*.txt` of data/protocols, in name order), parsed once. */
export function builtinEntries(): readonly ProtocolEntry[] {
  if (builtin === undefined) {
    builtin = [];
    for (const f of readdirSync(BUILTIN_DIR).filter((x) => x.endsWith('.txt')).sort()) {
      builtin.push(...parseProtocolFile(readFileSync(BUILTIN_DIR + f, 'utf8'), `data/protocols/${f}`));
    }
  }
  return builtin;
}

/** A catalog of the built-in files, then `extra` entries (plugins'), then user files (`--protos`): later ones win. */
export function loadCatalog(userFiles: readonly string[] = [], extra: readonly ProtocolEntry[] = []): Catalog {
  const c = new Catalog().add(builtinEntries()).add(extra);
  for (const file of userFiles) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new SondaError('SONDA_E_BAD_PROTOS', `cannot read protocol file ${file}: ${(e as Error).message}`);
    }
    c.add(parseProtocolFile(text, file));
  }
  return c;
}
