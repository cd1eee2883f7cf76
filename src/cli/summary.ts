import type { EngineSummary } from '../engine/engine.js';
import { formatBytes, formatCount, formatSeconds } from './format.js';

/** The end-of-run summary printed on stderr (human form). */
export function summaryText(s: EngineSummary, flowsPrinted: number, wallSeconds: number): string {
  const span = s.packets > 0 ? (s.lastTsUs - s.firstTsUs) / 1e6 : 0;
  const rate = wallSeconds > 0 ? s.packets / wallSeconds : 0;
  const lines = [
    `sonda: ${formatCount(s.packets)} packets, ${formatBytes(s.bytes)}, ${formatCount(flowsPrinted)} flows, ${formatSeconds(span)} of traffic; ` +
      `read in ${formatSeconds(wallSeconds)} (${formatCount(rate)} packets/s)`,
  ];
  const extra: string[] = [];
  if (s.filteredPackets) extra.push(`filtered out ${formatCount(s.filteredPackets)}`);
  if (s.nonIpPackets) extra.push(`non-IP packets ${formatCount(s.nonIpPackets)}`);
  if (s.invalidPackets) extra.push(`undecodable packets ${formatCount(s.invalidPackets)}`);
  if (s.fragments) extra.push(`fragments ${formatCount(s.fragments)} (${formatCount(s.defrag.reassembled)} datagrams reassembled)`);
  if (s.flows.evicted) extra.push(`flows evicted ${formatCount(s.flows.evicted)}`);
  if (s.flows.portReuse) extra.push(`TCP port reuse ${formatCount(s.flows.portReuse)}`);
  if (extra.length) lines.push(`  ${extra.join(', ')}`);
  const weirds = Object.entries(s.weirds);
  if (weirds.length) lines.push(`  anomalies: ${weirds.map(([k, v]) => `${k}=${formatCount(v)}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
