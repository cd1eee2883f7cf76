/** `sonda protocols`: what the classifier can name, with nDPI's categories. */
import { loadCatalog } from '../classify/catalog.js';
import { DISSECTORS, type Dissector } from '../classify/index.js';
import type { ProtocolEntry } from '../classify/protocol-file.js';

/** The listing as text (a table, or NDJSON with `json`), with plugins' applications (`extras`) when given. */
export function protocolsListing(
  protos: readonly string[],
  json: boolean,
  extras: { readonly entries: readonly ProtocolEntry[]; readonly extraDissectors: readonly Dissector[] } = { entries: [], extraDissectors: [] },
): string {
  const catalog = loadCatalog(protos, extras.entries);
  const dissected = new Set([...DISSECTORS, ...extras.extraDissectors].map((d) => d.name));
  const rows = catalog.list().map((p) => {
    const how: string[] = [];
    if (dissected.has(p.name) || p.master) how.push('dpi');
    if (p.tcp.length > 0 || p.udp.length > 0) how.push('port');
    return {
      name: p.name,
      category: p.category ?? 'Unspecified',
      kind: p.master || dissected.has(p.name) ? 'protocol' : 'application',
      detection: how,
      tcp: p.tcp.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)),
      udp: p.udp.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)),
    };
  });
  if (json) return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const cw = Math.max(8, ...rows.map((r) => r.category.length));
  let out = `${'NAME'.padEnd(w)}  ${'CATEGORY'.padEnd(cw)}  KIND         PORTS\n`;
  for (const r of rows) {
    const ports = [...r.tcp.map((p) => `tcp/${p}`), ...r.udp.map((p) => `udp/${p}`)];
    const shown = ports.length > 6 ? `${ports.slice(0, 6).join(' ')} …` : ports.join(' ');
    out += `${r.name.padEnd(w)}  ${r.category.padEnd(cw)}  ${r.kind.padEnd(11)}  ${shown}\n`;
  }
  out += `${rows.length} protocols and applications\n`;
  return out;
}
