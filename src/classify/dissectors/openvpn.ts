/**
 * OpenVPN's control channel over UDP and TCP (where each packet has a 16-bit length prefix).
 * A packet starts with opcode (5 bits) and key id (3 bits), then, for control packets, the
 * sender's 64-bit session id. A session opens with hard-reset packets (client v1/v2/v3, server
 * v1/v2, key id 0); the server's reply acknowledges the client's session id in clear (without
 * tls-crypt). Two ways to be sure:
 * - a hard reset in one direction, and a packet of the other direction whose ack array ends
 *   with its session id;
 * - a hard reset followed by two control or ack packets with the same session id (one-sided
 *   captures, tls-crypt where the acknowledgement is encrypted). All with key id 0.
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u16, u32 } from '../dissector.js';

const HARD_RESET = new Set([1, 2, 7, 8, 10]);
/** Soft reset, control, ack, control with wrapped key: packets that repeat the session id. */
const CONTROL = new Set([3, 4, 5, 11]);
/** Opcode, session id, and at least a packet id or an empty ack array. */
const MIN_CONTROL = 14;

interface VpnState {
  /** Session id of each direction (high, low words); `seen` says whether it is set. */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly seen: [boolean, boolean];
  /** Control packets of each direction that repeated its session id. */
  readonly same: [number, number];
  /** TCP: stream offset of each direction's next packet (its length prefix); -1 once lost. */
  readonly next: [number, number];
}

/**
 * Bytes between the session id and the ack array: none, or tls-auth's HMAC (SHA-1, SHA-256,
 * SHA-512) with its packet id and time.
 */
const AUTH_SIZES = [0, 28, 40, 72];

/**
 * True when the control packet at `at` acknowledges session (hi, lo): an ack array of 1..8
 * packet ids followed by that remote session id, wherever tls-auth puts the array — and then
 * the packet's own message id, except in a bare ACK, which ends with the session id.
 */
function acknowledges(b: Uint8Array, at: number, end: number, hi: number, lo: number): boolean {
  const bareAck = b[at]! >> 3 === 5;
  for (const auth of AUTH_SIZES) {
    const arr = at + 9 + auth;
    if (arr >= end) return false;
    const n = b[arr]!;
    if (n < 1 || n > 8) continue;
    const sid = arr + 1 + 4 * n;
    if (bareAck ? sid + 8 !== end : sid + 12 > end) continue;
    if (u32(b, sid) === hi && u32(b, sid + 4) === lo) return true;
  }
  return false;
}

/** `examine` results besides MATCH (1): plausible so far, or not OpenVPN. */
const SAW = 2;
const NO = 0;

/** Looks at one OpenVPN packet `b[at, end)` of direction `d`: MATCH, SAW (plausible) or NO. */
function examine(st: VpnState, d: 0 | 1, b: Uint8Array, at: number, end: number): number {
  if (end - at < MIN_CONTROL) return NO;
  const o = 1 - d;
  const opcode = b[at]! >> 3;
  const key = b[at]! & 7;
  if (!HARD_RESET.has(opcode) && !CONTROL.has(opcode)) return NO;
  const hi = u32(b, at + 1);
  const lo = u32(b, at + 5);
  if (key !== 0) return NO;
  if (st.seen[o] && acknowledges(b, at, end, st.hi[o]!, st.lo[o]!)) return MATCH;
  if (!st.seen[d]) {
    if (!HARD_RESET.has(opcode) || (hi === 0 && lo === 0)) return NO;
    st.hi[d] = hi;
    st.lo[d] = lo;
    st.seen[d] = true;
    return SAW;
  }
  if (hi !== st.hi[d] || lo !== st.lo[d]) return NO;
  // Retransmitted hard resets prove nothing; control and ack packets after one do.
  if (!CONTROL.has(opcode)) return SAW;
  return ++st.same[d] >= 2 ? MATCH : SAW;
}

/** TCP: every packet that starts in this chunk, following the length prefixes. */
function examineStream(st: VpnState, p: Payload): number {
  const d = p.dir;
  const { b, off, end } = p;
  let result = NO;
  for (let n = 0; n < 8 && st.next[d] >= 0; n++) {
    const at = off + (st.next[d] - p.streamOffset);
    if (at < off) {
      st.next[d] = -1; // a gap skipped the boundary
      break;
    }
    if (at + 2 > end) break;
    const len = u16(b, at);
    if (len < MIN_CONTROL || len > 1600) {
      st.next[d] = -1;
      return NO;
    }
    st.next[d] += 2 + len;
    const r = examine(st, d, b, at + 2, Math.min(end, at + 2 + len));
    if (r === MATCH) return MATCH;
    if (r === NO) return NO;
    result = SAW;
  }
  return result;
}

/** OpenVPN control channel: hard resets with an acknowledged or repeated session id. */
export const openvpn: Dissector<VpnState> = {
  name: 'OpenVPN',
  transport: 'both',
  state: () => ({ hi: new Uint32Array(2), lo: new Uint32Array(2), seen: [false, false], same: [0, 0], next: [0, 0] }),
  inspect(p, st) {
    const r = p.flow.transport === 6 ? examineStream(st, p) : examine(st, p.dir, p.b, p.off, p.end);
    if (r === MATCH) return MATCH;
    // A flow whose first packets show no hard reset (either side) is not followed further.
    if (!st.seen[0] && !st.seen[1] && p.packets[0] + p.packets[1] >= 2) return REJECT;
    return p.packets[0] + p.packets[1] >= 12 ? REJECT : CONTINUE;
  },
};
