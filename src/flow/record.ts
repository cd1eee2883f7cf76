import { TUNNEL_NAMES } from '../decode/decoder.js';
import { KEY_WORDS, keyIpVersion, keyProtocol, keyVlan } from './flow-key.js';
import type { FlowTable } from './flow-table.js';
import { END_REASON_NAMES, type EndReason } from './flow-tracker.js';
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
  client_flags: string;
  server_flags: string;
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

function addressText(keys: Uint32Array, base: number, v: 4 | 6): string {
  return v === 4 ? ipv4Text(keys[base]!) : ipv6Text(keys[base]!, keys[base + 1]!, keys[base + 2]!, keys[base + 3]!);
}

function distribution(n: number, min: number, sum: number, sumSq: number, max: number, scale: number): Distribution {
  const avg = sum / n;
  const variance = Math.max(0, sumSq / n - avg * avg);
  return { min: round3(min * scale), avg: round3(avg * scale), max: round3(max * scale), stddev: round3(Math.sqrt(variance) * scale) };
}

function endpoint(t: FlowTable, f: number, dir: number, ip: string, port: number): FlowEndpoint {
  const di = 2 * f + dir;
  const packets = t.packets[di]!;
  const e: FlowEndpoint = { ip, port, packets, bytes: t.bytes[di]!, payload_bytes: t.payload[di]! };
  if (packets > 0) {
    e.pkt_len = distribution(packets, t.lenMin[di]!, t.bytes[di]!, t.lenSumSq[di]!, t.lenMax[di]!, 1);
    e.ttl = { min: t.ttlMin[di]!, max: t.ttlMax[di]! };
  }
  if (packets > 1 && Number.isFinite(t.iatMin[di]!)) {
    // One sample per arrival after the first (a reassembled datagram counts its fragments as
    // packets but arrives once, so the average is then slightly low).
    e.iat_ms = distribution(packets - 1, t.iatMin[di]!, t.iatSum[di]!, t.iatSumSq[di]!, t.iatMax[di]!, 1e-3);
  }
  return e;
}

/**
 * Builds the record of flow `f` from the table (the first place per-flow strings are made).
 * @param serialPrefix - prepended to the flow number, to keep ids unique across engines
 */
export function buildFlowRecord(t: FlowTable, f: number, reason: EndReason, serialPrefix = ''): FlowRecord {
  const keys = t.keys;
  const base = f * KEY_WORDS;
  const v = keyIpVersion(keys, base);
  const proto = keyProtocol(keys, base);
  const vlan = keyVlan(keys, base);
  const ipA = addressText(keys, base, v);
  const ipB = addressText(keys, base + 4, v);
  const portA = keys[base + 8]! >>> 16;
  const portB = keys[base + 8]! & 0xffff;
  const clientIsA = (t.bits[f]! & 1) !== 0;
  const rec: FlowRecord = {
    type: 'flow',
    flow_id: serialPrefix + t.serial[f]!,
    first_seen: round6(t.firstTs[f]! / 1e6),
    last_seen: round6(t.lastTs[f]! / 1e6),
    ip_version: v,
    protocol: protocolName(proto),
    client: clientIsA ? endpoint(t, f, 0, ipA, portA) : endpoint(t, f, 0, ipB, portB),
    server: clientIsA ? endpoint(t, f, 1, ipB, portB) : endpoint(t, f, 1, ipA, portA),
    end_reason: END_REASON_NAMES[reason],
  };
  if (vlan >= 0) rec.vlan = vlan;
  const tunnel = t.tunnel[f]!;
  if (tunnel !== 0) rec.tunnel = TUNNEL_NAMES[tunnel];
  if (proto === 6 && (t.tcpFlags[2 * f]! | t.tcpFlags[2 * f + 1]!) !== 0) {
    const tcp: FlowTcp = {
      client_flags: tcpFlagsText(t.tcpFlags[2 * f]!),
      server_flags: tcpFlagsText(t.tcpFlags[2 * f + 1]!),
      retransmissions: t.retrans[2 * f]! + t.retrans[2 * f + 1]!,
      out_of_order: t.outOfOrder[2 * f]! + t.outOfOrder[2 * f + 1]!,
    };
    if (t.rttUs[f]! >= 0) tcp.rtt_ms = round3(t.rttUs[f]! / 1000);
    rec.tcp = tcp;
  }
  return rec;
}
