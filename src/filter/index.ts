/**
 * tcpdump filter expressions (pcap-filter(7)) compiled to a fast predicate over frames.
 *
 * The predicate means what tcpdump means: it reads the frame's bytes the way libpcap's BPF
 * code would (outermost headers after the link layer, no tunnel followed, IPv4 ports only in
 * first fragments, `vlan`/`mpls` moving the offsets of what follows them, a read past the
 * captured bytes rejecting the frame). See `parser.ts` and `lower.ts` for the details kept.
 *
 * @example
 * ```ts
 * const filter = compileFilter('tcp port 443 and not src net 10.0.0.0/8');
 * if (filter.matches(decoder, data, offset, caplen, wireLen, linkType)) { … }
 * ```
 */
import { LinkType } from '../capture/frame.js';
import type { PacketDecoder } from '../decode/decoder.js';
import { type Backend, compilePredicate, type FramePredicate } from './compile.js';
import { FilterSyntaxError } from './error.js';
import { type FlowGate, flowGate } from './flow-gate.js';
import { LowerError, lowerFilter } from './lower.js';
import { type FilterNode, parseFilter } from './parser.js';

export { FilterSyntaxError } from './error.js';
export type { FlowGate } from './flow-gate.js';
export { filterSupportsLinkType } from './lower.js';

/** A compiled filter. One per thread is enough: it holds no per-packet state between calls. */
export interface PacketFilter {
  /** The expression as given. */
  readonly expression: string;
  /**
   * Whether a frame passes the filter. Only the frame's bytes are read (`d` is not consulted,
   * so it may be called before or after `d.decode()`); nothing is allocated. Frames of a link
   * type the filter does not know (802.11, radiotap …) or to which the expression cannot
   * apply (`vlan` on Linux cooked captures, where tcpdump refuses to compile it) never match.
   *
   * @param data - buffer holding the frame `data[offset, offset + caplen)`; read during the call only
   * @param wireLen - the frame's length on the wire (`len`, `greater`, `less` use it)
   * @param linkType - LINKTYPE_* of the frame
   */
  matches(d: PacketDecoder, data: Uint8Array, offset: number, caplen: number, wireLen: number, linkType: number): boolean;
  /**
   * A cheap necessary condition on a packet's decoded IP protocol, ports and addresses (see
   * `flow-gate.ts`), or null. Valid only for packets that came through no tunnel: when it says
   * false, `matches` would too.
   */
  readonly flowGate: FlowGate | null;
}

/** Options of {@link compileFilter}. */
export interface CompileFilterOptions {
  /** `function` (default, fastest) or `closure` (no `new Function`, for locked-down hosts). */
  backend?: Backend;
}

const NEVER: FramePredicate = () => false;
const ALWAYS: FramePredicate = () => true;

class CompiledFilter implements PacketFilter {
  private lastLinkType = -1;
  private current: FramePredicate = NEVER;
  private readonly byLinkType = new Map<number, FramePredicate>();
  readonly flowGate: FlowGate | null;

  constructor(
    readonly expression: string,
    private readonly tree: FilterNode,
    private readonly backend: Backend,
  ) {
    this.flowGate = flowGate(tree);
  }

  matches(_d: PacketDecoder, data: Uint8Array, offset: number, caplen: number, wireLen: number, linkType: number): boolean {
    if (linkType !== this.lastLinkType) this.select(linkType);
    return this.current(data, offset, caplen, wireLen);
  }

  /**
   * The predicate for frames of one link type, built the first time it is seen. With
   * `strict`, an expression that cannot apply throws `LowerError` instead of never matching.
   */
  predicateFor(linkType: number, strict = false): FramePredicate {
    let p = this.byLinkType.get(linkType);
    if (p === undefined) {
      if (this.tree.k === 'true') p = ALWAYS;
      else {
        try {
          p = compilePredicate(lowerFilter(this.tree, linkType), this.backend);
        } catch (e) {
          // Not applicable to this link type: libpcap would refuse to compile it for such a capture.
          if (strict || !(e instanceof LowerError)) throw e;
          p = NEVER;
        }
      }
      this.byLinkType.set(linkType, p);
    }
    return p;
  }

  private select(linkType: number): void {
    this.current = this.predicateFor(linkType);
    this.lastLinkType = linkType;
  }
}

/**
 * Compiles a tcpdump filter expression. An empty (or blank) expression matches every frame.
 *
 * Everything libpcap refuses whatever the capture (bad syntax, `port 1.2.3.4`, `net
 * 10.0.0.1/8`, `tcp[0:3]`, a literal division by zero …) throws here, checked against
 * Ethernet; what only some link types refuse makes the filter match nothing on those.
 * Host and network names are not resolved (no DNS): use addresses. `gre` alone is accepted as
 * `proto 47` (tcpdump has no such keyword). Not supported: `protochain`, `gateway`, `byte`,
 * `inbound`/`outbound`, `ifindex`, `geneve`, 802.11, ATM, SS7 and pflog primitives.
 *
 * @throws FilterSyntaxError with `.position` (0-based) and a message showing the expression
 *   with a caret under that position
 */
export function compileFilter(expression: string, options: CompileFilterOptions = {}): PacketFilter {
  const tree = parseFilter(expression);
  const filter = new CompiledFilter(expression, tree, options.backend ?? 'function');
  try {
    filter.predicateFor(LinkType.Ethernet, true);
  } catch (e) {
    if (e instanceof LowerError) throw new FilterSyntaxError(e.message, expression, e.pos);
    throw e;
  }
  return filter;
}
