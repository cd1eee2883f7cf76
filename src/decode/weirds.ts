/**
 * Anomalies in packet bytes, named as Zeek's weird.log names them (snake_case). One table for
 * the whole engine, so a summary, an exporter or a test can name every counter. Add new names
 * at the end: the index is the counter's slot.
 */
export const WEIRD_NAMES = [
  'unknown_link_type',
  'truncated_link_header',
  'truncated_vlan',
  'vlan_stack_too_deep',
  'truncated_mpls',
  'mpls_stack_too_deep',
  'truncated_pppoe',
  'truncated_llc',
  'truncated_arp',
  'truncated_ip',
  'bad_ip_version',
  'bad_ip_header_len',
  'bad_ip_total_len',
  'truncated_ipv6',
  'truncated_ipv6_ext_header',
  'bad_ipv6_ext_header',
  'truncated_tcp',
  'bad_tcp_header_len',
  'bad_tcp_option',
  'truncated_udp',
  'bad_udp_length',
  'truncated_icmp',
  'truncated_sctp',
  'truncated_gre',
  'unknown_gre_version',
  'truncated_tunnel',
  'tunnel_too_deep',
  'fragment_overlap',
  'fragment_inconsistent_overlap',
  'fragment_too_large',
  'fragment_timeout',
  'fragment_evicted',
  'excessive_fragments',
  'truncated_frame',
  'gre_source_routing',
] as const;

export type WeirdName = (typeof WEIRD_NAMES)[number];

/** Slot of each weird name, for the hot path: `weirds.hit(W.truncated_ip)`. */
export const W = Object.fromEntries(WEIRD_NAMES.map((n, i) => [n, i])) as { readonly [K in WeirdName]: number };

/**
 * Per-engine weird counters (no global state: one engine per worker). Decoders count the
 * fixed names above by slot (`hit`, no lookup on the hot path); application parsers and
 * plugins, whose anomalies are rarer and not known here, count by name (`hitName`).
 */
export class WeirdCounters {
  readonly counts = new Float64Array(WEIRD_NAMES.length);
  private readonly named = new Map<string, number>();
  hit(slot: number): void {
    this.counts[slot]!++;
  }
  /** Counts an anomaly by its snake_case name (Zeek weird style), e.g. `dns_pointer_loop`. */
  hitName(name: string): void {
    const slot = (W as Record<string, number | undefined>)[name];
    if (slot !== undefined) this.counts[slot]!++;
    else this.named.set(name, (this.named.get(name) ?? 0) + 1);
  }
  /** Non-zero counters by name, for summaries and records. */
  toObject(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < WEIRD_NAMES.length; i++) if (this.counts[i]! > 0) out[WEIRD_NAMES[i]!] = this.counts[i]!;
    for (const [k, v] of [...this.named].sort()) out[k] = v;
    return out;
  }
  total(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    for (const c of this.named.values()) n += c;
    return n;
  }
}
