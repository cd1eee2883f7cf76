/**
 * A cheap necessary condition of a filter, read from the values the decoder already has for a
 * flow's first packet (IP protocol, ports, addresses), so that a flow a filter cannot match is
 * turned away without reading the frame again. Plugins select flows with filters such as
 * `host 203.0.113.7 and tcp port 10000`: most flows fail the gate and the frame predicate never
 * runs.
 *
 * Only the top-level `and` chain is read, and only primitives whose meaning on an untunnelled
 * frame is plain: `tcp`/`udp`/`sctp`/`icmp`, `[tcp|udp|sctp] [src|dst] port N`, and `[ip|ip6]
 * [src|dst] host ADDR` (full addresses). The gate may pass a frame the filter rejects (a `src`
 * is checked as either end, VLAN tags and IPv6 extension headers are ignored), never the
 * reverse — provided the frame carries no tunnel: for a tunnelled packet the decoded values are
 * the inner headers' while the filter reads the outer ones, so callers skip the gate there.
 */
import { parseIpv4, parseIpv6 } from '../flow/ip-text.js';
import { Tok } from './lexer.js';
import type { FilterNode } from './parser.js';

/** The decoded values of a flow's first packet the gate reads (addresses as four 32-bit words; IPv4 in word 0). */
export type FlowGate = (protocol: number, ipVersion: 4 | 6, portA: number, portB: number, addrA: Uint32Array, addrB: Uint32Array) => boolean;

type Requirement =
  | { k: 'proto'; protos: readonly number[] }
  | { k: 'port'; protos: readonly number[]; port: number }
  | { k: 'host4'; addr: number }
  | { k: 'host6'; words: readonly [number, number, number, number] };

const PORT_PROTOS: Readonly<Record<string, readonly number[]>> = { default: [6, 17, 132], tcp: [6], udp: [17], sctp: [132] };
const ABBREV_PROTOS: Readonly<Record<string, readonly number[]>> = { tcp: [6], udp: [17], sctp: [132], icmp: [1] };

/** Adds what `n` requires (when it is one of the plain primitives) to `out`. */
function collect(n: FilterNode, out: Requirement[]): void {
  if (n.k === 'and') {
    collect(n.a, out);
    collect(n.b, out);
    return;
  }
  if (n.k === 'abbrev') {
    const protos = ABBREV_PROTOS[n.proto];
    if (protos !== undefined) out.push({ k: 'proto', protos });
    return;
  }
  if (n.k !== 'id' || n.maskLen !== null || n.mask !== null) return;
  const { q, tok } = n;
  if (q.dir !== 'default' && q.dir !== 'src' && q.dir !== 'dst' && q.dir !== 'or') return;
  if (q.addr === 'port' && tok.kind === Tok.Num && tok.value <= 65535) {
    const protos = PORT_PROTOS[q.proto];
    if (protos !== undefined) out.push({ k: 'port', protos, port: tok.value });
    return;
  }
  if (q.addr !== 'host' && q.addr !== 'default') return;
  if (tok.kind === Tok.Hid && (q.proto === 'default' || q.proto === 'ip')) {
    // A short dotted address (`10.1`) is a prefix in libpcap: parseIpv4 takes full ones only.
    const addr = parseIpv4(tok.text);
    if (addr !== undefined) out.push({ k: 'host4', addr });
  } else if (tok.kind === Tok.Hid6 && (q.proto === 'default' || q.proto === 'ip6')) {
    const words = parseIpv6(tok.text);
    if (words !== undefined) out.push({ k: 'host6', words });
  }
}

const is6 = (a: Uint32Array, w: readonly [number, number, number, number]): boolean => a[0] === w[0] && a[1] === w[1] && a[2] === w[2] && a[3] === w[3];

/** The gate of a parsed filter, or null when its top level names nothing the gate can check. */
export function flowGate(tree: FilterNode): FlowGate | null {
  const reqs: Requirement[] = [];
  collect(tree, reqs);
  if (reqs.length === 0) return null;
  return (protocol, ipVersion, portA, portB, addrA, addrB) => {
    for (const r of reqs) {
      switch (r.k) {
        case 'proto':
          if (!r.protos.includes(protocol)) return false;
          break;
        case 'port':
          if (!r.protos.includes(protocol) || (portA !== r.port && portB !== r.port)) return false;
          break;
        case 'host4':
          if (ipVersion !== 4 || (addrA[0] !== r.addr && addrB[0] !== r.addr)) return false;
          break;
        case 'host6':
          if (ipVersion !== 6 || (!is6(addrA, r.words) && !is6(addrB, r.words))) return false;
          break;
      }
    }
    return true;
  };
}
