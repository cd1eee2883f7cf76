/**
 * Kerberos V5 (RFC 4120) over UDP and TCP (where each message has a 4-byte length prefix,
 * RFC 4120 §7.2.2). A message is a DER application-tagged SEQUENCE whose first two fields are
 * the protocol version (5) and the message type, which must agree with the application tag:
 * AS-REQ [10], AS-REP [11], TGS-REQ [12], TGS-REP [13], AP-REQ [14], AP-REP [15], KRB-ERROR [30].
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u32 } from '../dissector.js';

/** Reads a DER length at `o`: [value, bytes used], or undefined when malformed or out of bounds. */
function derLength(b: Uint8Array, o: number, end: number): [number, number] | undefined {
  if (o >= end) return undefined;
  const first = b[o]!;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  if (n === 0 || n > 3 || o + n >= end) return undefined;
  let v = 0;
  for (let i = 1; i <= n; i++) v = v * 256 + b[o + i]!;
  return [v, n + 1];
}

/** `[ctx] INTEGER small` as DER: a<ctx> 03 02 01 <value>; the value, or -1. */
function smallField(b: Uint8Array, o: number, end: number, ctx: number): number {
  if (o + 5 > end || b[o] !== 0xa0 + ctx || b[o + 1] !== 3 || b[o + 2] !== 2 || b[o + 3] !== 1) return -1;
  return b[o + 4]!;
}

/**
 * True when `b[off, end)` starts a Kerberos message whose outer length is `total` bytes (the
 * datagram, or the TCP record); the bytes may stop before the message does (a TCP segment).
 */
export function isKerberosMessage(b: Uint8Array, off: number, end: number, total: number): boolean {
  const tag = b[off]!;
  const type = tag - 0x60;
  if (!((type >= 10 && type <= 15) || type === 30)) return false;
  const outer = derLength(b, off + 1, end);
  if (outer === undefined || 1 + outer[1] + outer[0] !== total) return false;
  let o = off + 1 + outer[1];
  if (b[o] !== 0x30) return false;
  const seq = derLength(b, o + 1, end);
  if (seq === undefined || 1 + seq[1] + seq[0] !== outer[0]) return false;
  o += 1 + seq[1];
  // KDC-REQ starts with [1] pvno, [2] msg-type; replies, AP messages and errors with [0], [1].
  const request = type === 10 || type === 12;
  const pvnoCtx = request ? 1 : 0;
  if (smallField(b, o, end, pvnoCtx) !== 5) return false;
  return smallField(b, o + 5, end, pvnoCtx + 1) === type;
}

function inspectUdp(p: Payload): boolean {
  const n = p.end - p.off;
  return n >= 16 && isKerberosMessage(p.b, p.off, p.end, n);
}

function inspectTcp(p: Payload): boolean {
  const { b, off, end } = p;
  if (p.streamOffset !== 0 || end - off < 20) return false;
  const mark = u32(b, off);
  return mark < 0x1000000 && isKerberosMessage(b, off + 4, end, mark);
}

/** Kerberos requests, replies and errors in the first payload of either direction. */
export const kerberos: Dissector = {
  name: 'Kerberos',
  transport: 'both',
  inspect(p) {
    if (p.flow.transport === 6 ? inspectTcp(p) : inspectUdp(p)) return MATCH;
    // The first message of each direction decides (a reply may be all a capture has).
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
