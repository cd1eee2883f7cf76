import { TUNNEL_NAMES } from '../decode/decoder.js';
import { NO_FIELDS, RECORD_EXTRA_KEYS, type RecordFields } from '../engine/consumer.js';
import { DIR_FIELDS, Snap, SnapDir } from './flow-snapshot.js';

import { END_REASON_NAMES } from './flow-tracker.js';
import { ipv4Text, ipv6Text } from './ip-text.js';

/** `{min, avg, max, stddev}` of a per-direction distribution. */
export interface Distribution {
  min: number;
  avg: number;
  max: number;
  stddev: number;
}

/** One side of a flow, as ../shared/spec/flow-record.md defines it. */
export interface FlowEndpoint {
  ip: string;
  port: number;
  packets: number;
  /** Sum of frame wire lengths (libpcap `len`), link header included. */
  bytes: number;
  /** L4 payload bytes. */
  payload_bytes: number;
  pkt_len?: Distribution;
  iat_ms?: Distribution;
  ttl?: { min: number; max: number };
}

/** TCP facts of a flow. */
export interface FlowTcp {
  /** Flags the side sent, as letters S A P F R U E C; absent when it sent none. */
  client_flags?: string;
  server_flags?: string;
  retransmissions: number;
  out_of_order: number;
  rtt_ms?: number;
}

/**
 * A flow record: the contract every flow output follows (../shared/spec/flow-record.md).
 * Fields whose value is unknown are absent. Application-layer fields (`app`, `host`, `http`,
 * `tls`, `dns`, `risks`, `tags`, `process`) are filled by later stages.
 */
export interface FlowRecord {
  type: 'flow';
  flow_id: string;
  first_seen: number;
  last_seen: number;
  ip_version: 4 | 6;
  protocol: string;
  vlan?: number;
  client: FlowEndpoint;
  server: FlowEndpoint;
  tunnel?: string;
  app?: { protocol: string; master: string; app: string; category?: string; confidence: string };
  risks?: string[];
  tags?: string[];
  process?: { pid: number; name: string };
  host?: string;
  http?: Record<string, string | number>;
  tls?: Record<string, string | string[]>;
  dns?: Record<string, string | number | string[]>;
  tcp?: FlowTcp;
  end_reason: (typeof END_REASON_NAMES)[number];
}

const PROTOCOL_NAMES: Record<number, string> = {
  1: 'ICMP', 2: 'IGMP', 4: 'IPv4', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6',
  89: 'OSPF', 103: 'PIM', 112: 'VRRP', 132: 'SCTP', 136: 'UDPLite',
};

/** Name of an IP protocol number as the record prints it (the number as text when unnamed). */
/** A flow's record while it is still open (a periodic update): no `end_reason`, and no fields of consumers (they come at its end). */
export type FlowUpdate = Omit<FlowRecord, 'end_reason'>;

export function protocolName(p: number): string {
  return PROTOCOL_NAMES[p] ?? String(p);
}

const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [0x02, 'S'], [0x10, 'A'], [0x08, 'P'], [0x01, 'F'], [0x04, 'R'], [0x20, 'U'], [0x40, 'E'], [0x80, 'C'],
];

/** TCP flags seen, as letters in a fixed order: S A P F R U E C. */
export function tcpFlagsText(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

function addressText(row: Float64Array, at: number, v: 4 | 6): string {
  return v === 4 ? ipv4Text(row[at]!) : ipv6Text(row[at]!, row[at + 1]!, row[at + 2]!, row[at + 3]!);
}

/**
 * min, avg, max and stddev of a distribution, times `scale`, in thousandths (integers): the
 * record prints them with 3 decimals. Shared with the NDJSON encoder so both round alike.
 */
export function distributionParts(n: number, min: number, sum: number, sumSq: number, max: number, scale: number, out: Float64Array): void {
  const avg = sum / n;
  const variance = Math.max(0, sumSq / n - avg * avg);
  out[0] = Math.round(min * scale * 1000);
  out[1] = Math.round(avg * scale * 1000);
  out[2] = Math.round(max * scale * 1000);
  out[3] = Math.round(Math.sqrt(variance) * scale * 1000);
}

function distribution(n: number, min: number, sum: number, sumSq: number, max: number, scale: number): Distribution {
  const p = new Float64Array(4);
  distributionParts(n, min, sum, sumSq, max, scale, p);
  return { min: p[0]! / 1000, avg: p[1]! / 1000, max: p[2]! / 1000, stddev: p[3]! / 1000 };
}

function endpoint(row: Float64Array, o: number, ip: string, port: number): FlowEndpoint {
  const packets = row[o + SnapDir.Packets]!;
  const bytes = row[o + SnapDir.Bytes]!;
  const e: FlowEndpoint = { ip, port, packets, bytes, payload_bytes: row[o + SnapDir.Payload]! };
  if (packets > 0) {
    e.pkt_len = distribution(packets, row[o + SnapDir.LenMin]!, bytes, row[o + SnapDir.LenSumSq]!, row[o + SnapDir.LenMax]!, 1);
    e.ttl = { min: row[o + SnapDir.TtlMin]!, max: row[o + SnapDir.TtlMax]! };
  }
  const samples = row[o + SnapDir.IatCount]!;
  if (samples > 0) e.iat_ms = distribution(samples, row[o + SnapDir.IatMin]!, row[o + SnapDir.IatSum]!, row[o + SnapDir.IatSumSq]!, row[o + SnapDir.IatMax]!, 1e-3);
  return e;
}

/**
 * Builds a flow record from a snapshot row (see `snapshotFlow`) and the fields consumers added:
 * the first place per-flow strings are made. Fields are in the contract's order.
 * @param serialPrefix - prepended to the flow number, to keep ids unique across engines
 */
export function buildFlowRecord(row: Float64Array, at: number, serialPrefix = '', fields: RecordFields = NO_FIELDS): FlowRecord {
  const k = at + Snap.Key;
  const word9 = row[k + 9]!;
  const v: 4 | 6 = word9 & 0x100 ? 6 : 4;
  const proto = word9 & 0xff;
  const vlan = (word9 >>> 12) - 1;
  const ipA = addressText(row, k, v);
  const ipB = addressText(row, k + 4, v);
  const portA = row[k + 8]! >>> 16;
  const portB = row[k + 8]! & 0xffff;
  const clientIsA = (row[at + Snap.Bits]! & 1) !== 0;
  const d0 = at + Snap.Dir0;
  const d1 = d0 + DIR_FIELDS;
  const rec: FlowRecord = {
    type: 'flow',
    flow_id: serialPrefix + row[at + Snap.Serial]!,
    first_seen: round6(row[at + Snap.FirstTs]! / 1e6),
    last_seen: round6(row[at + Snap.LastTs]! / 1e6),
    ip_version: v,
    protocol: protocolName(proto),
  } as FlowRecord;
  if (vlan >= 0) rec.vlan = vlan;
  rec.client = clientIsA ? endpoint(row, d0, ipA, portA) : endpoint(row, d0, ipB, portB);
  rec.server = clientIsA ? endpoint(row, d1, ipB, portB) : endpoint(row, d1, ipA, portA);
  const tunnel = row[at + Snap.Tunnel]!;
  if (tunnel !== 0) rec.tunnel = TUNNEL_NAMES[tunnel];
  for (const key of RECORD_EXTRA_KEYS) {
    const v = fields[key];
    if (v !== undefined) (rec as unknown as Record<string, unknown>)[key] = v;
  }
  const flags0 = row[d0 + SnapDir.TcpFlags]!;
  const flags1 = row[d1 + SnapDir.TcpFlags]!;
  if (proto === 6 && (flags0 | flags1) !== 0) {
    // A side that sent no TCP flags has no `*_flags` field (unknown is absent, never "").
    const tcp = {} as FlowTcp;
    if (flags0 !== 0) tcp.client_flags = tcpFlagsText(flags0);
    if (flags1 !== 0) tcp.server_flags = tcpFlagsText(flags1);
    tcp.retransmissions = row[d0 + SnapDir.Retrans]! + row[d1 + SnapDir.Retrans]!;
    tcp.out_of_order = row[d0 + SnapDir.OutOfOrder]! + row[d1 + SnapDir.OutOfOrder]!;
    const rtt = row[at + Snap.RttUs]!;
    if (rtt >= 0) tcp.rtt_ms = round3(rtt / 1000);
    rec.tcp = tcp;
  }
  rec.end_reason = END_REASON_NAMES[row[at + Snap.Reason]!]!;
  return rec;
}
