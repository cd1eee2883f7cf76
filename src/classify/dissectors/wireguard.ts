/**
 * WireGuard (www.wireguard.com/protocol): every message starts with a type byte and three zero
 * bytes. Handshake initiation (1) is 148 bytes, response (2) 92, cookie reply (3) 64; transport
 * data (4) carries the receiver index, a 64-bit little-endian counter and the encrypted packet
 * (a multiple of 16 bytes, tag included). The response's receiver index is the initiator's
 * sender index. A flow caught mid-session is recognised from two data messages in one direction
 * with the same receiver index and a counter that moves forward by a little. On Tailscale's port
 * (41641) the WireGuard flows are Tailscale's.
 */
import { byteSet, CONTINUE, type Dissector, type FlowInfo, onPort, REJECT, u32, u32le } from '../dissector.js';

const INITIATION = 1;
const RESPONSE = 2;
const COOKIE = 3;
const DATA = 4;
const TAILSCALE_PORT = 41641;
const MAX_COUNTER_STEP = 64;

/** What each direction showed: the initiation's sender index; the last data index and counter. */
class WireGuardFlow {
  initiator = -1;
  readonly dataIndex = [-1, -1];
  readonly counter = [0, 0];
}

const verdict = (f: FlowInfo): string => (onPort(f, TAILSCALE_PORT) ? 'Tailscale' : 'WireGuard');

/** WireGuard (or Tailscale on its port): a handshake pair, or a run of data messages. */
export const wireGuard: Dissector<WireGuardFlow> = {
  name: 'WireGuard',
  transport: 'udp',
  first: { bytes: byteSet([1, 4]), minLength: 32 },
  state: () => new WireGuardFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (n < 32 || b[off + 1] !== 0 || b[off + 2] !== 0 || b[off + 3] !== 0) return REJECT;
    switch (b[off]) {
      case INITIATION:
        if (n !== 148) return REJECT;
        st.initiator = u32(b, off + 4);
        return CONTINUE;
      case RESPONSE:
        if (n !== 92) return REJECT;
        return st.initiator >= 0 && u32(b, off + 8) === st.initiator ? verdict(p.flow) : CONTINUE;
      case COOKIE:
        return n === 64 ? CONTINUE : REJECT;
      case DATA: {
        if ((n - 16) % 16 !== 0) return REJECT;
        const index = u32(b, off + 4);
        // The counter's high word stays 0 for any real session (2^32 messages).
        if (u32le(b, off + 12) !== 0) return REJECT;
        const counter = u32le(b, off + 8);
        const d = p.dir;
        if (st.dataIndex[d] === index && counter > st.counter[d]! && counter - st.counter[d]! <= MAX_COUNTER_STEP) return verdict(p.flow);
        st.dataIndex[d] = index;
        st.counter[d] = counter;
        return p.packets[0] + p.packets[1] >= 6 ? REJECT : CONTINUE;
      }
      default:
        return REJECT;
    }
  },
};
