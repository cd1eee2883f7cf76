/**
 * Checks a flow record against ../shared/spec/flow-record.md: field names, types, ranges and
 * the "unknown is absent (never null, never empty)" rule. Returns the list of violations, so a
 * test can assert it is empty and print what is wrong when it is not.
 */
import { isIPv4, isIPv6 } from 'node:net';

const TOP_KEYS = new Set([
  'type', 'flow_id', 'first_seen', 'last_seen', 'ip_version', 'protocol', 'vlan', 'client', 'server', 'tunnel', 'app',
  'risks', 'tags', 'process', 'host', 'http', 'tls', 'dns', 'tcp', 'end_reason',
]);
const ENDPOINT_KEYS = new Set(['ip', 'port', 'packets', 'bytes', 'payload_bytes', 'pkt_len', 'iat_ms', 'ttl']);
const TCP_KEYS = new Set(['client_flags', 'server_flags', 'retransmissions', 'out_of_order', 'rtt_ms']);
const END_REASONS = new Set(['idle', 'active', 'fin', 'rst', 'eof']);
const TUNNELS = new Set(['GRE', 'IPIP', '6in4', '4in6', '6in6', 'GTP', 'VXLAN', 'Geneve', 'Teredo', 'CAPWAP']);

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const decimals = (v: number): number => {
  const s = String(v);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
};

/** RFC 5952 text of an IPv6 address (the WHATWG URL serialiser compresses the same way). */
function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function checkNoEmpty(v: unknown, path: string, out: string[]): void {
  if (v === null || v === '') out.push(`${path} is ${JSON.stringify(v)} (unknown fields must be absent)`);
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) checkNoEmpty(x, `${path}[${i}]`, out);
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v as object)) checkNoEmpty(x, `${path}.${k}`, out);
}

function checkDistribution(d: unknown, path: string, out: string[]): void {
  const o = d as Record<string, unknown>;
  for (const k of ['min', 'avg', 'max', 'stddev']) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) out.push(`${path}.${k} not a finite number`);
  if (Object.keys(o).length !== 4) out.push(`${path} has keys ${Object.keys(o)}`);
  if (typeof o.min === 'number' && typeof o.avg === 'number' && typeof o.max === 'number' && !(o.min <= o.avg + 1e-9 && o.avg <= o.max + 1e-9)) out.push(`${path}: not min <= avg <= max`);
  if (typeof o.stddev === 'number' && o.stddev < 0) out.push(`${path}.stddev < 0`);
}

function checkEndpoint(e: unknown, path: string, version: unknown, proto: unknown, out: string[]): void {
  if (typeof e !== 'object' || e === null) {
    out.push(`${path} missing`);
    return;
  }
  const o = e as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ENDPOINT_KEYS.has(k)) out.push(`${path}.${k} is not in the contract`);
  const ip = o.ip;
  if (typeof ip !== 'string') out.push(`${path}.ip not a string`);
  else if (version === 4 && !isIPv4(ip)) out.push(`${path}.ip ${ip} is not IPv4`);
  else if (version === 6 && (!isIPv6(ip) || (!ip.includes('.') && canonicalIpv6(ip) !== ip))) out.push(`${path}.ip ${ip} is not canonical IPv6`);
  if (!isCount(o.port) || (o.port as number) > 65535) out.push(`${path}.port invalid`);
  if (proto !== 'TCP' && proto !== 'UDP' && proto !== 'SCTP' && o.port !== 0) out.push(`${path}.port must be 0 for ${String(proto)}`);
  for (const k of ['packets', 'bytes', 'payload_bytes']) if (!isCount(o[k])) out.push(`${path}.${k} not a count`);
  if (o.pkt_len !== undefined) checkDistribution(o.pkt_len, `${path}.pkt_len`, out);
  if (o.iat_ms !== undefined) checkDistribution(o.iat_ms, `${path}.iat_ms`, out);
  if (o.ttl !== undefined) {
    const t = o.ttl as Record<string, unknown>;
    if (!isCount(t.min) || !isCount(t.max) || (t.min as number) > (t.max as number) || (t.max as number) > 255) out.push(`${path}.ttl invalid`);
  }
}

/** Violations of the flow-record contract in `rec` (empty when it conforms). */
const CONFIDENCES = new Set(['dpi', 'cache', 'ip', 'port', 'guess', 'unknown']);

/** `app`: protocol is MASTER or MASTER.APP, halves consistent, confidence from the contract's list. */
function checkApp(v: unknown, out: string[]): void {
  const a = v as Record<string, unknown>;
  for (const k of Object.keys(a)) if (!['protocol', 'master', 'app', 'category', 'confidence'].includes(k)) out.push(`app.${k} is not in the contract`);
  for (const k of ['protocol', 'master', 'app'] as const) if (typeof a[k] !== 'string' || a[k] === '') out.push(`app.${k} missing`);
  if (a.category !== undefined && typeof a.category !== 'string') out.push('app.category not a string');
  if (!CONFIDENCES.has(a.confidence as string)) out.push(`app.confidence ${String(a.confidence)} invalid`);
  const expected = a.app === a.master ? a.master : `${String(a.master)}.${String(a.app)}`;
  if (a.protocol !== expected) out.push(`app.protocol ${String(a.protocol)} is not master[.app] (${expected})`);
}

export function flowContractViolations(rec: unknown): string[] {
  const out: string[] = [];
  if (typeof rec !== 'object' || rec === null) return ['not an object'];
  const r = rec as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!TOP_KEYS.has(k)) out.push(`${k} is not in the contract`);
  checkNoEmpty(r, 'record', out);
  if (r.type !== 'flow') out.push('type must be "flow"');
  if (typeof r.flow_id !== 'string' || r.flow_id === '') out.push('flow_id must be a non-empty string');
  for (const k of ['first_seen', 'last_seen']) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) out.push(`${k} not a timestamp`);
    else if (decimals(v) > 6) out.push(`${k} has more than microsecond precision`);
  }
  if (typeof r.first_seen === 'number' && typeof r.last_seen === 'number' && r.first_seen > r.last_seen) out.push('first_seen > last_seen');
  if (r.ip_version !== 4 && r.ip_version !== 6) out.push('ip_version must be 4 or 6');
  if (typeof r.protocol !== 'string' || r.protocol === '') out.push('protocol must be a string');
  if (r.vlan !== undefined && (!isCount(r.vlan) || (r.vlan as number) > 4095)) out.push('vlan invalid');
  checkEndpoint(r.client, 'client', r.ip_version, r.protocol, out);
  checkEndpoint(r.server, 'server', r.ip_version, r.protocol, out);
  const c = r.client as Record<string, number> | undefined;
  const s = r.server as Record<string, number> | undefined;
  if (c && s && c.packets + s.packets === 0) out.push('a flow has at least one packet');
  if (r.tunnel !== undefined && !TUNNELS.has(r.tunnel as string)) out.push(`tunnel ${String(r.tunnel)} unknown`);
  if (r.tcp !== undefined) {
    const t = r.tcp as Record<string, unknown>;
    if (r.protocol !== 'TCP') out.push('tcp object on a non-TCP flow');
    for (const k of Object.keys(t)) if (!TCP_KEYS.has(k)) out.push(`tcp.${k} is not in the contract`);
    for (const k of ['client_flags', 'server_flags']) if (t[k] !== undefined && (typeof t[k] !== 'string' || !/^[SAPFRUEC]+$/.test(t[k] as string))) out.push(`tcp.${k} invalid`);
    if (!isCount(t.retransmissions) || !isCount(t.out_of_order)) out.push('tcp counters invalid');
    if (t.rtt_ms !== undefined && (typeof t.rtt_ms !== 'number' || t.rtt_ms < 0)) out.push('tcp.rtt_ms invalid');
  }
  if (!END_REASONS.has(r.end_reason as string)) out.push(`end_reason ${String(r.end_reason)} invalid`);
  if (r.app !== undefined) checkApp(r.app, out);
  for (const k of ['risks', 'tags'] as const) {
    const v = r[k];
    if (v !== undefined && (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === ''))) out.push(`${k} is not a non-empty array of names`);
  }
  if (r.process !== undefined) {
    const p = r.process as Record<string, unknown>;
    if (!isCount(p.pid) || typeof p.name !== 'string' || Object.keys(p).some((k) => k !== 'pid' && k !== 'name')) out.push(`process ${JSON.stringify(p)} is not {pid, name}`);
  }
  return out;
}
