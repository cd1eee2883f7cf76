/**
 * Rx, the AFS remote procedure call transport (UDP 7000..7009): a 28-byte header — epoch,
 * connection id, call number, sequence number, serial (32 bits each), then packet type 1..13,
 * flags, user status, security index (0..3), a spare/checksum word and the service id. Two
 * well-formed packets of the same connection (epoch and connection id) make the flow Rx.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const HEADER = 28;

/** True when `b[off, end)` has a plausible Rx header. */
export function isRxHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER) return false;
  const type = b[off + 20]!;
  if (type < 1 || type > 13 || b[off + 23]! > 3) return false;
  if (u32(b, off) === 0) return false; // epoch: the connection's start time
  // Sequence and serial numbers count packets of a call: small.
  return u32(b, off + 12) < 0x100000 && u32(b, off + 16) < 0x1000000;
}

/** The first packet's epoch and connection id; `seen` once set. */
interface RxState {
  seen: boolean;
  epoch: number;
  cid: number;
}

/** Rx: two packets of one connection. */
export const rx: Dissector<RxState> = {
  name: 'RX',
  transport: 'udp',
  first: { minLength: HEADER },
  state: () => ({ seen: false, epoch: 0, cid: 0 }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (!isRxHeader(b, off, end)) return REJECT;
    // Connection ids: the low two bits are the channel, the rest identifies the connection.
    const epoch = u32(b, off);
    const cid = u32(b, off + 4) & ~3;
    if (!st.seen) {
      st.seen = true;
      st.epoch = epoch;
      st.cid = cid;
      return CONTINUE;
    }
    return epoch === st.epoch && cid === st.cid ? MATCH : REJECT;
  },
};
