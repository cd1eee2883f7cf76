/**
 * Which local process owns a flow's socket (Linux): the socket tables in /proc/net/{tcp,tcp6,
 * udp,udp6} give the socket's inode, the `socket:[inode]` links in /proc/<pid>/fd give its
 * process, /proc/<pid>/comm its name.
 *
 * Asked once or twice per flow (when it is first seen, while the socket still exists, and again
 * at its end if that failed), never per packet. Reading /proc costs time in proportion to the
 * sockets and file descriptors of the whole host, so each kind of read is rationed: it runs only
 * when the cached copy cannot answer, and never uses more than a small share of the time
 * (`maxBusyShare`); a walk of every process's descriptors runs at most every `minRescanMs`.
 */
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { endianness, networkInterfaces } from 'node:os';
import { parseIpv4, parseIpv6 } from '../flow/ip-text.js';
import { performance } from 'node:perf_hooks';

/** The process owning a socket: the flow record's `process` field. */
export interface ProcessInfo {
  pid: number;
  /** /proc/<pid>/comm: the executable's name, at most 15 characters. */
  name: string;
}

/** Options of {@link ProcessAttribution}. */
export interface ProcessAttributionOptions {
  /** Where procfs is mounted (default `/proc`; tests point it at a made-up tree). */
  procRoot?: string;
  /** The walk over every process's file descriptors runs at most this often, ms (default 500). */
  minRescanMs?: number;
  /**
   * Share of wall time the /proc reads may take (default 0.05): after a read that took `d`,
   * the next one of its kind waits at least `d × (1 / share − 1)`.
   */
  maxBusyShare?: number;
  /** Addresses of this host (text); default: the interfaces' addresses, re-read every few seconds. Loopback is always local. */
  localAddresses?: () => Iterable<string>;
}

/** Counters, for tests and the curious. */
export interface ProcessAttributionStats {
  lookups: number;
  /** Lookups that found a process. */
  found: number;
  /** Lookups skipped because neither address is this host's. */
  notLocal: number;
  /** Reads of the socket tables. */
  tableReads: number;
  /** Walks over every process's descriptors. */
  fullScans: number;
  /** Checks of the recently seen processes' descriptors only. */
  hotScans: number;
  /** Reads wanted but refused by the rationing. */
  throttled: number;
}

const TCP = 6;
const UDP = 17;
const TCP_LISTEN = 0x0a;
const LOCAL_REFRESH_MS = 5000;
const TCP_FILES = ['tcp', 'tcp6'] as const;
const TCP6_FILES = ['tcp6'] as const;
const UDP_FILES = ['udp', 'udp6'] as const;
const UDP6_FILES = ['udp6'] as const;
/** Processes whose descriptors are checked before walking all of them: clients open many sockets. */
const HOT_PIDS = 8;

/** One socket table: connected sockets by `local/lport/remote/rport`, bound ones by `local/lport` (local `*4`/`*6`: any). */
interface SocketTable {
  /** Wall time (ms since the epoch) of the read: sockets made later may be missing. */
  atMs: number;
  /** performance.now() before which it is not read again (its ration). */
  nextReadAt: number;
  connected: Map<string, number>;
  bound: Map<string, number>;
}

/** Address words in IPv6 form: IPv4 as ::ffff:a.b.c.d, the way dual-stack sockets show it. */
type Words = readonly [number, number, number, number];

/**
 * Maps a local socket to its process, from /proc. One per capture; not thread-safe (it is
 * synchronous and caches).
 *
 * Loopback flows have a process at both ends: the client side's is returned when it is found,
 * else the server side's (the client is the one that asked; the server is usually long-lived
 * and known anyway).
 */
export class ProcessAttribution {
  readonly stats: ProcessAttributionStats = { lookups: 0, found: 0, notLocal: 0, tableReads: 0, fullScans: 0, hotScans: 0, throttled: 0 };
  private readonly root: string;
  private readonly minRescanMs: number;
  private readonly idleFactor: number;
  private readonly localSource: () => Iterable<string>;
  private readonly littleEndian = endianness() === 'LE';
  /** The socket tables as last read, by file name (`tcp`, `tcp6`, `udp`, `udp6`). */
  private readonly tables = new Map<string, SocketTable>();
  /**
   * Set during a lookup when an answer may have been missed: a table it searched predates the
   * flow, or a socket was found whose process needed the rationed walk.
   */
  private unsure = false;
  /** Set by `pidOf` when it would have walked every process but the ration said no. */
  private walkRefused = false;
  private readonly readBuf = { buf: Buffer.allocUnsafe(1 << 16) };
  private inodePid = new Map<number, number>();
  private pidName = new Map<number, string>();
  private hot: number[] = [];
  private local = new Set<string>();
  private localAtMs = Number.NEGATIVE_INFINITY;
  private next = { full: 0, hot: 0 };

  constructor(options: ProcessAttributionOptions = {}) {
    this.root = options.procRoot ?? '/proc';
    this.minRescanMs = options.minRescanMs ?? 500;
    const share = Math.min(1, Math.max(0.001, options.maxBusyShare ?? 0.05));
    this.idleFactor = 1 / share - 1;
    this.localSource = options.localAddresses ?? interfaceAddresses;
  }

  /**
   * True when one of the addresses is this host's (127/8 and ::1 always are): only such flows
   * can have a local socket.
   */
  isLocalFlow(ipVersion: 4 | 6, client: Uint32Array, server: Uint32Array): boolean {
    return this.isLocal(toWords(ipVersion, client)) || this.isLocal(toWords(ipVersion, server));
  }

  /**
   * The process owning the flow's socket on this host, or undefined (not a local socket, gone,
   * not readable, or the reads are rationed just now: ask again later).
   *
   * @param protocol - 6 (TCP) or 17 (UDP); others have no socket table and get undefined
   * @param client - address words as in `FlowStart.clientAddress` (IPv4 in word 0)
   * @param sinceMs - wall time the flow began (its first packet), ms since the epoch: socket
   *   tables read before then are re-read
   * @param settle - last attempt (the flow ends): when the client's side cannot be checked in
   *   fresh tables, answer with the server's side rather than nothing
   */
  lookup(
    protocol: number,
    ipVersion: 4 | 6,
    client: Uint32Array,
    clientPort: number,
    server: Uint32Array,
    serverPort: number,
    sinceMs = Number.POSITIVE_INFINITY,
    settle = false,
  ): ProcessInfo | undefined {
    if (protocol !== TCP && protocol !== UDP) return undefined;
    this.stats.lookups++;
    const c = toWords(ipVersion, client);
    const s = toWords(ipVersion, server);
    const clientLocal = this.isLocal(c);
    const serverLocal = this.isLocal(s);
    if (!clientLocal && !serverLocal) {
      this.stats.notLocal++;
      return undefined;
    }
    // IPv4 sockets are in tcp/udp, dual-stack IPv6 ones (a server on ::) show IPv4 peers as
    // ::ffff:a.b.c.d in tcp6/udp6. Tables are read only as the search reaches them.
    const files = protocol === TCP ? (ipVersion === 4 ? TCP_FILES : TCP6_FILES) : ipVersion === 4 ? UDP_FILES : UDP6_FILES;
    const v4 = ipVersion === 4;
    const cKey = wordsKey(c);
    const sKey = wordsKey(s);
    this.unsure = false;
    let found: ProcessInfo | undefined;
    // Preference: the client's socket, then the server's (see the class comment).
    if (clientLocal) {
      found = this.first(files, sinceMs, (t) => t.connected.get(`${cKey}/${clientPort}/${sKey}/${serverPort}`));
      // An unconnected UDP client (sendto) shows only its bound address.
      if (found === undefined && protocol === UDP) found = this.first(files, sinceMs, (t) => boundSocket(t, cKey, clientPort, v4));
      // Not in tables older than the flow, or found but its process not looked for: the client's
      // process may well be there. Naming the server's instead could be wrong; ask again later.
      if (found === undefined && this.unsure && !settle) return undefined;
    }
    if (found === undefined && serverLocal) {
      found = this.first(files, sinceMs, (t) => t.connected.get(`${sKey}/${serverPort}/${cKey}/${clientPort}`));
      found ??= this.first(files, sinceMs, (t) => boundSocket(t, sKey, serverPort, v4));
    }
    if (found !== undefined) this.stats.found++;
    return found;
  }

  /** The process of the first socket `pick` finds in the tables (read again when older than `sinceMs`). */
  private first(files: readonly string[], sinceMs: number, pick: (t: SocketTable) => number | undefined): ProcessInfo | undefined {
    for (const file of files) {
      const inode = pick(this.table(file, sinceMs));
      if (inode === undefined) continue;
      const pid = this.pidOf(inode);
      if (pid === undefined) {
        if (this.walkRefused) this.unsure = true;
        continue;
      }
      this.touchHot(pid);
      return { pid, name: this.pidName.get(pid) ?? String(pid) };
    }
    return undefined;
  }

  /**
   * A socket table, read again if it predates `sinceMs` and its ration allows (each table has
   * its own: tcp costs milliseconds a read, udp microseconds). Sets `unsure` when the table
   * returned is older than `sinceMs`.
   */
  private table(file: string, sinceMs: number): SocketTable {
    let t = this.tables.get(file);
    if (t === undefined) {
      t = { atMs: Number.NEGATIVE_INFINITY, nextReadAt: 0, connected: new Map(), bound: new Map() };
      this.tables.set(file, t);
    }
    if (t.atMs < sinceMs) {
      const t0 = performance.now();
      if (t0 >= t.nextReadAt) {
        this.readTable(file, t);
        const end = performance.now();
        t.nextReadAt = end + (end - t0) * this.idleFactor;
      } else {
        this.stats.throttled++;
        this.unsure = true;
      }
    }
    return t;
  }

  private isLocal(a: Words): boolean {
    if (a[0] === 0 && a[1] === 0 && a[2] === 0xffff && a[3] >>> 24 === 127) return true;
    if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 1) return true;
    const now = Date.now();
    if (now - this.localAtMs > LOCAL_REFRESH_MS) {
      this.localAtMs = now;
      const set = new Set<string>();
      for (const text of this.localSource()) {
        const w = parseAddressText(text);
        if (w !== undefined) set.add(wordsKey(w));
      }
      this.local = set;
    }
    return this.local.has(wordsKey(a));
  }

  /** May a read of this kind run now? Counts a refusal. */
  private allowed(kind: 'full' | 'hot'): boolean {
    if (performance.now() >= this.next[kind]) return true;
    this.stats.throttled++;
    return false;
  }

  private ran(kind: 'full' | 'hot', startedAt: number, floorMs: number): void {
    const end = performance.now();
    this.next[kind] = end + Math.max(floorMs, (end - startedAt) * this.idleFactor);
  }

  private readTable(file: string, t: SocketTable): void {
    const at = Date.now();
    const text = readProcFile(`${this.root}/net/${file}`, this.readBuf);
    this.stats.tableReads++;
    t.atMs = at;
    t.connected = new Map();
    t.bound = new Map();
    // No such table (no IPv6, no procfs): nothing to attribute from it.
    if (text !== undefined) this.parseTable(text, file.length === 3, t);
  }

  /**
   * One table: `sl local rem st … uid timeout inode …`, addresses as hex of the kernel's words
   * in host byte order (`0100007F:0050` is 127.0.0.1:80 on a little-endian host).
   */
  private parseTable(text: string, v4Table: boolean, t: SocketTable): void {
    let start = text.indexOf('\n') + 1; // header line
    while (start > 0 && start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const f = text.slice(start, end).trim().split(/\s+/);
      start = end + 1;
      if (f.length < 10) continue;
      const inode = Number(f[9]);
      if (!(inode > 0)) continue; // TIME_WAIT and request sockets have none: no process either
      const local = this.endpoint(f[1]!);
      const remote = this.endpoint(f[2]!);
      if (local === undefined || remote === undefined) continue;
      if (remote.port === 0 || Number.parseInt(f[3]!, 16) === TCP_LISTEN) t.bound.set(`${anyKey(local.words, v4Table)}/${local.port}`, inode);
      else t.connected.set(`${wordsKey(local.words)}/${local.port}/${wordsKey(remote.words)}/${remote.port}`, inode);
    }
  }

  private endpoint(field: string): { words: Words; port: number } | undefined {
    const colon = field.indexOf(':');
    if (colon !== 8 && colon !== 32) return undefined;
    const hex = field.slice(0, colon);
    const port = Number.parseInt(field.slice(colon + 1), 16);
    const word = (i: number): number => {
      const v = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
      return this.littleEndian ? swap32(v) : v;
    };
    const words: Words = colon === 8 ? [0, 0, 0xffff, word(0)] : [word(0), word(1), word(2), word(3)];
    return Number.isFinite(port) ? { words, port } : undefined;
  }

  private pidOf(inode: number): number | undefined {
    let pid = this.inodePid.get(inode);
    if (pid !== undefined) return pid;
    // Most new sockets belong to a process that opened one lately (a browser, a client loop).
    if (this.hot.length > 0 && this.allowed('hot')) {
      const t0 = performance.now();
      for (const p of this.hot) this.scanPid(p, this.inodePid);
      this.stats.hotScans++;
      this.ran('hot', t0, 0);
      pid = this.inodePid.get(inode);
      if (pid !== undefined) return pid;
    }
    this.walkRefused = !this.allowed('full');
    if (this.walkRefused) return undefined;
    const t0 = performance.now();
    const map = new Map<number, number>();
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      names = [];
    }
    for (const name of names) {
      const p = Number(name);
      if (Number.isInteger(p) && p > 0) this.scanPid(p, map);
    }
    // Rebuilt, not merged: closed sockets and exited processes leave the cache.
    this.inodePid = map;
    this.stats.fullScans++;
    this.ran('full', t0, this.minRescanMs);
    return map.get(inode);
  }

  /** Adds the sockets of one process to `map`; keeps its name when it has any. */
  private scanPid(pid: number, map: Map<number, number>): void {
    const dir = `${this.root}/${pid}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch {
      return; // gone, or not ours to read
    }
    let sockets = 0;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${dir}/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (inode > 0) {
        map.set(inode, pid);
        sockets++;
      }
    }
    if (sockets === 0) return;
    try {
      this.pidName.set(pid, readFileSync(`${this.root}/${pid}/comm`, 'utf8').trim());
    } catch {
      // Exited between the two reads: the socket map still names its pid.
    }
  }

  private touchHot(pid: number): void {
    const i = this.hot.indexOf(pid);
    if (i === 0) return;
    if (i > 0) this.hot.splice(i, 1);
    this.hot.unshift(pid);
    if (this.hot.length > HOT_PIDS) this.hot.pop();
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function toWords(ipVersion: 4 | 6, a: Uint32Array): Words {
  return ipVersion === 4 ? [0, 0, 0xffff, a[0]! >>> 0] : [a[0]! >>> 0, a[1]! >>> 0, a[2]! >>> 0, a[3]! >>> 0];
}

function wordsKey(a: Words): string {
  return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
}

/** A bound address as a key: the wildcard of its table (`*4`, `*6`) or the address. */
function anyKey(a: Words, fromV4Table: boolean): string {
  if (a[0] === 0 && a[1] === 0 && a[3] === 0 && (a[2] === 0 || (fromV4Table && a[2] === 0xffff))) return fromV4Table ? '*4' : '*6';
  return wordsKey(a);
}

/** A bound (unconnected or listening) socket at the address or at the wildcard. */
function boundSocket(t: SocketTable, addrKey: string, port: number, v4: boolean): number | undefined {
  return (
    t.bound.get(`${addrKey}/${port}`) ??
    (v4 ? t.bound.get(`*4/${port}`) : undefined) ??
    // An IPv6 socket bound to :: takes IPv4 too (unless IPV6_V6ONLY, which /proc does not show).
    t.bound.get(`*6/${port}`)
  );
}

/**
 * A procfs file in as few reads as possible: the kernel walks its whole TCP hash table for
 * every read() of /proc/net/tcp (about 2.5 ms here even with four sockets), so a short read —
 * the end — is taken as the end instead of asking again for the 0 that confirms it.
 */
function readProcFile(path: string, scratch: { buf: Buffer }): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    for (;;) {
      if (scratch.buf.length - n < 8192) {
        const bigger = Buffer.allocUnsafe(scratch.buf.length * 2);
        scratch.buf.copy(bigger, 0, 0, n);
        scratch.buf = bigger;
      }
      const got = readSync(fd, scratch.buf, n, scratch.buf.length - n, null);
      n += got;
      // seq_file fills the buffer up to the last whole line that fits: room left means the end.
      if (got === 0 || scratch.buf.length - n >= 4096) break;
    }
    return scratch.buf.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** IPv4 or IPv6 text to words (IPv4 as ::ffff:a.b.c.d); undefined when it is neither. */
export function parseAddressText(text: string): Words | undefined {
  const t = text.replace(/%.*$/, '');
  const v4 = parseIpv4(t);
  if (v4 !== undefined) return [0, 0, 0xffff, v4];
  return parseIpv6(t);
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  return out;
}
