/**
 * Sonda's protocol files: what the classifier knows of each protocol and application, as data
 * a user can read and extend (`--protos FILE`). One block per name:
 *
 * ```ini
 * # comments start with '#'
 * [YouTube]
 * category = Media
 * hosts = youtube.com youtu.be ytimg.com *googlevideo*
 * nets = 208.65.152.0/22 2620:120:e000::/40
 * tcp = 1935
 * udp = 3478-3481
 * ```
 *
 * - `category`: nDPI's category name (`Web`, `Media`, `Chat` …).
 * - `hosts`: a plain name matches itself and every name under it (`youtube.com` matches
 *   `www.youtube.com`, not `notyoutube.com`); a pattern with `*` is a glob over the whole name.
 * - `nets`: IPv4/IPv6 networks in CIDR form: flows to them are this application (confidence `ip`).
 * - `tcp`, `udp`: ports and ranges, the port guess when no dissector spoke (confidence `port`).
 * - `master = yes`: the name is a protocol a dissector detects (it names a flow alone, `DNS`);
 *   other names are applications found over a master (`TLS.YouTube`).
 */
import { SondaError } from '../errors.js';

/** One block of a protocol file. */
export interface ProtocolEntry {
  name: string;
  category?: string;
  master: boolean;
  hosts: string[];
  nets: string[];
  tcp: Array<[number, number]>;
  udp: Array<[number, number]>;
  /** Where it was defined (file:line), for messages. */
  source: string;
}

const KEYS = new Set(['category', 'hosts', 'nets', 'tcp', 'udp', 'master']);

function fail(source: string, line: number, msg: string): never {
  throw new SondaError('SONDA_E_BAD_PROTOS', `${source}:${line}: ${msg}`);
}

function parsePorts(text: string, source: string, line: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const w of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(w);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo > 65535 || hi > 65535 || hi < lo) fail(source, line, `bad port or range "${w}"`);
    out.push([lo, hi]);
  }
  return out;
}

/** Parses a protocol file's text; throws SondaError (`file:line: …`) on anything unclear. */
export function parseProtocolFile(text: string, source = 'protos'): ProtocolEntry[] {
  const entries: ProtocolEntry[] = [];
  let cur: ProtocolEntry | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const n = i + 1;
    const head = /^\[([^\]\s][^\]]*)\]$/.exec(line);
    if (head) {
      cur = { name: head[1]!.trim(), master: false, hosts: [], nets: [], tcp: [], udp: [], source: `${source}:${n}` };
      entries.push(cur);
      continue;
    }
    const kv = /^([a-z]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) fail(source, n, `expected "[Name]" or "key = value", got "${line}"`);
    if (cur === null) fail(source, n, 'a "key = value" line before any "[Name]"');
    const key = kv[1]!;
    const value = kv[2]!.trim();
    if (!KEYS.has(key)) fail(source, n, `unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
    if (key === 'category') cur.category = value;
    else if (key === 'master') cur.master = /^(yes|true|1)$/i.test(value);
    else if (key === 'hosts') cur.hosts.push(...value.split(/[\s,]+/).filter(Boolean).map((h) => h.toLowerCase()));
    else if (key === 'nets') {
      for (const w of value.split(/[\s,]+/).filter(Boolean)) {
        if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(w) && !/^[0-9a-fA-F.:]+$/.test(w)) fail(source, n, `bad network "${w}"`);
        cur.nets.push(w);
      }
    } else if (key === 'tcp') cur.tcp.push(...parsePorts(value, source, n));
    else cur.udp.push(...parsePorts(value, source, n));
  }
  return entries;
}
