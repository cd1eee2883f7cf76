import type { FlowRecord } from '../flow/record.js';
import { endpointText, formatSeconds } from './format.js';

type Row = readonly string[];

const HEADER: Row = ['#', 'Proto', 'Client', '', 'Server', 'C→S pkts', 'C→S bytes', 'S→C pkts', 'S→C bytes', 'Duration', 'End', 'Application and host'];
const RIGHT = new Set([0, 5, 6, 7, 8, 9]);
/** Rows buffered to size the columns before the table starts streaming. */
const SIZING_ROWS = 1000;

/**
 * The human flow table (like ndpiReader's flow list or `tshark -z conv`): one aligned row per
 * flow in end order. Column widths come from the first rows; later rows stream with them (a
 * wider value just pushes its row), so memory stays bounded on large captures.
 */
export class FlowTableWriter {
  private rows: Row[] = [];
  private widths: number[] | null = null;
  constructor(private readonly write: (s: string) => void) {}

  add(rec: FlowRecord): void {
    const proto = rec.vlan !== undefined ? `${rec.protocol}/${rec.vlan}` : rec.protocol;
    const row: Row = [
      rec.flow_id,
      rec.tunnel ? `${proto}@${rec.tunnel}` : proto,
      endpointText(rec.client.ip, rec.client.port),
      '<->',
      endpointText(rec.server.ip, rec.server.port),
      String(rec.client.packets),
      String(rec.client.bytes),
      String(rec.server.packets),
      String(rec.server.bytes),
      formatSeconds(rec.last_seen - rec.first_seen),
      rec.end_reason,
      // As ndpiReader's list: the protocol name, then the name the client asked for.
      [rec.app?.protocol, rec.host].filter((x) => x !== undefined && x !== '').join(' '),
    ];
    if (this.widths) this.write(this.line(row));
    else {
      this.rows.push(row);
      if (this.rows.length >= SIZING_ROWS) this.flushBuffered();
    }
  }

  end(): void {
    if (!this.widths) this.flushBuffered();
  }

  private flushBuffered(): void {
    const widths = HEADER.map((h) => h.length);
    for (const r of this.rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
    this.widths = widths;
    let out = this.line(HEADER);
    for (const r of this.rows) out += this.line(r);
    this.rows = [];
    this.write(out);
  }

  private line(r: Row): string {
    const w = this.widths!;
    let s = '';
    for (let i = 0; i < r.length; i++) {
      const cell = r[i]!;
      s += (i ? '  ' : '') + (RIGHT.has(i) ? cell.padStart(w[i]!) : i === r.length - 1 ? cell : cell.padEnd(w[i]!));
    }
    return `${s}\n`;
  }
}
