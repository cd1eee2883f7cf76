/**
 * Viber's own transport, on Viber's ports (UDP 7985/7987 and 5242/5243, TCP 4244, 5242, 5243,
 * 7985).
 *
 * - UDP: `session(2) type(1) 0x00 …`: every datagram of a flow, both ways, repeats the same
 *   two-byte session id; the type is a small number. Two datagrams must agree.
 * - TCP: each message starts with its own length (16-bit little-endian, header included).
 */
import { CONTINUE, type Dissector, type FlowInfo, MATCH, REJECT, u16le } from '../dissector.js';

const UDP_PORTS = new Set([7985, 7987, 5242, 5243, 4244]);
const TCP_PORTS = new Set([4244, 5242, 5243, 7985]);
const MAX_TYPE = 0x3f;

const onPorts = (f: FlowInfo, set: Set<number>): boolean => set.has(f.serverPort) || set.has(f.clientPort);

interface ViberState {
  /** Session id of the first datagram (-1 before it). */
  session: number;
}

/** Viber over UDP and TCP. */
export const viber: Dissector<ViberState> = {
  name: 'Viber',
  transport: 'both',
  first: { minLength: 8 },
  accepts: (f) => onPorts(f, f.transport === 6 ? TCP_PORTS : UDP_PORTS),
  state: () => ({ session: -1 }),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (p.flow.transport === 6) {
      if (p.streamOffset !== 0 || n < 8) return REJECT;
      return p.dir === 0 && u16le(b, off) === n ? MATCH : p.dir === 0 ? REJECT : CONTINUE;
    }
    if (n < 12 || b[off + 3] !== 0 || b[off + 2]! > MAX_TYPE || b[off + 2] === 0) return REJECT;
    const session = u16le(b, off);
    if (st.session < 0) {
      st.session = session;
      return CONTINUE;
    }
    return session === st.session ? MATCH : REJECT;
  },
};
