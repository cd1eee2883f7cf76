/**
 * Remote Desktop Protocol.
 *
 * TCP (MS-RDPBCGR 2.2.1.1/2.2.1.2): the client's X.224 Connection Request in a TPKT carries a
 * `Cookie: mstshash=…` (or a routing token) and/or an RDP Negotiation Request; the server's
 * Connection Confirm may carry the Negotiation Response. When the server selects TLS or CredSSP
 * the rest of the connection is TLS, which nDPI reports as `TLS.RDP`; with standard RDP security
 * it is `RDP`. Other users of X.224 over TPKT (S7comm, ISO-TSAP) send TSAP parameters instead.
 *
 * UDP on 3389 (MS-RDPEUDP 2.2): each datagram starts with a FEC header (snSourceAck,
 * uReceiveWindowSize, uFlags). The SYN carries 0xFFFFFFFF as snSourceAck and two MTUs in
 * 1132..1232, the SYN+ACK the same MTUs; a connection caught later is recognised when one side
 * acknowledges a sequence number the other side sent.
 */
import { CONTINUE, type Dissector, MATCH, onPort, type Payload, REJECT, startsWith, u16, u32, u32le, type Verdict } from '../dissector.js';

const PORT = 3389;
const TPKT_VERSION = 3;
const X224_CR = 0xe0;
const X224_CC = 0xd0;
const NEG_REQ = 0x01;
const NEG_RSP = 0x02;
const NEG_FAILURE = 0x03;
const CORRELATION_INFO = 0x06;

/** Flow state: what the client asked for, and (UDP) sequence numbers each side sent. */
class RdpFlow {
  /** TCP: a Connection Request asking for TLS/CredSSP was seen; wait for the confirm. */
  awaitingConfirm = false;
  /** UDP: the last few snCoded values per direction (0 = empty slot). */
  readonly sent = [new Uint32Array(4), new Uint32Array(4)] as const;
  readonly count = [0, 0];
}

/** The TPKT length when `b[off, end)` is exactly one TPKT with an X.224 TPDU of `code`; else -1. */
function x224(b: Uint8Array, off: number, end: number, code: number): number {
  const n = end - off;
  if (n < 11 || b[off] !== TPKT_VERSION || b[off + 1] !== 0 || u16(b, off + 2) !== n) return -1;
  if (b[off + 4] !== n - 5 || (b[off + 5]! & 0xf0) !== code) return -1;
  return n;
}

/**
 * The Connection Request's variable part (from byte 11): an optional cookie or routing token
 * line, then optionally the Negotiation Request and correlation info. The requested protocols
 * (0 when no request), -1 when the part has another shape, -2 when it is empty.
 */
function connectionRequest(b: Uint8Array, off: number, end: number): number {
  let at = off + 11;
  if (at === end) return -2;
  if (startsWith(b, at, end, 'Cookie: ')) {
    while (at + 1 < end && !(b[at] === 0x0d && b[at + 1] === 0x0a)) at++;
    if (at + 1 >= end) return -1;
    at += 2;
    if (at === end) return 0;
  }
  if (end - at < 8 || b[at] !== NEG_REQ || b[at + 2] !== 8 || b[at + 3] !== 0) return -1;
  const requested = u32le(b, at + 4);
  at += 8;
  if (at === end) return requested;
  return end - at === 36 && b[at] === CORRELATION_INFO && b[at + 2] === 36 && b[at + 3] === 0 ? requested : -1;
}

/** The protocol the Connection Confirm selects: 0 standard security, -1 not a confirm. */
function connectionConfirm(b: Uint8Array, off: number, end: number): number {
  const at = off + 11;
  if (at === end) return 0;
  if (end - at !== 8 || b[at + 2] !== 8 || b[at + 3] !== 0) return -1;
  if (b[at] === NEG_FAILURE) return 0;
  return b[at] === NEG_RSP ? u32le(b, at + 4) : -1;
}

function inspectTcp(p: Payload, st: RdpFlow): Verdict {
  const { b, off, end } = p;
  if (p.streamOffset !== 0) return REJECT;
  if (p.dir === 0) {
    if (x224(b, off, end, X224_CR) < 0) return REJECT;
    const requested = connectionRequest(b, off, end);
    if (requested === -1 || (requested === -2 && !onPort(p.flow, PORT))) return REJECT;
    if (requested <= 0) return MATCH;
    st.awaitingConfirm = true;
    return CONTINUE;
  }
  if (!st.awaitingConfirm) return p.packets[0] === 0 ? CONTINUE : REJECT;
  if (x224(b, off, end, X224_CC) < 0) return REJECT;
  const selected = connectionConfirm(b, off, end);
  if (selected < 0) return REJECT;
  return selected === 0 ? MATCH : 'TLS.RDP';
}

const FLAG_SYN = 0x0001;
const FLAG_ACK = 0x0004;
const FLAG_DATA = 0x0008;
const FLAG_FEC = 0x0010;
const FLAG_ACK_OF_ACKS = 0x0100;
const MTU_MIN = 1132;
const MTU_MAX = 1232;

const mtuOk = (v: number): boolean => v >= MTU_MIN && v <= MTU_MAX;

/** The snCoded of a data datagram (after the ACK vector and ack-of-acks), or -1. */
function codedSequence(b: Uint8Array, off: number, end: number, flags: number): number {
  if ((flags & FLAG_DATA) === 0 || (flags & (FLAG_FEC | FLAG_SYN)) !== 0) return -1;
  let at = off + 8;
  if ((flags & FLAG_ACK) !== 0) {
    if (end - at < 2) return -1;
    const size = u16(b, at);
    if (size > 2048) return -1;
    at += 2 + size;
    at += (4 - ((2 + size) & 3)) & 3;
  }
  if ((flags & FLAG_ACK_OF_ACKS) !== 0) at += 4;
  // snCoded and snSourceStart: equal for a source packet.
  if (end - at < 8 || u32(b, at) !== u32(b, at + 4)) return -1;
  return u32(b, at);
}

function inspectUdp(p: Payload, st: RdpFlow): Verdict {
  const { b, off, end } = p;
  if (end - off < 8) return REJECT;
  const ack = u32(b, off);
  const flags = u16(b, off + 6);
  if ((flags & FLAG_SYN) !== 0) {
    if (end - off < 16 || !mtuOk(u16(b, off + 12)) || !mtuOk(u16(b, off + 14))) return REJECT;
    // The SYN acknowledges nothing; the SYN+ACK acknowledges the client's initial number.
    return ((flags & FLAG_ACK) === 0) === (ack === 0xffffffff) ? MATCH : REJECT;
  }
  const other = st.sent[1 - p.dir]!;
  for (let i = 0; i < other.length; i++) if (other[i] !== 0 && other[i] === ack) return MATCH;
  const coded = codedSequence(b, off, end, flags);
  if (coded <= 0 && (flags & FLAG_ACK) === 0) return REJECT;
  if (coded > 0) {
    const k = st.count[p.dir]!;
    st.count[p.dir] = k + 1;
    st.sent[p.dir]![k & 3] = coded;
  }
  return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
}

/** RDP over TCP (X.224 with an RDP cookie or negotiation) and over UDP 3389 (MS-RDPEUDP). */
export const rdp: Dissector<RdpFlow> = {
  name: 'RDP',
  transport: 'both',
  accepts: (f) => f.transport === 6 || onPort(f, PORT),
  state: () => new RdpFlow(),
  inspect: (p, st) => (p.flow.transport === 6 ? inspectTcp(p, st) : inspectUdp(p, st)),
};
