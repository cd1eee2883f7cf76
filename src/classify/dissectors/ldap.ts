/**
 * LDAP (RFC 4511) over TCP and CLDAP over UDP: a BER LDAPMessage — SEQUENCE, a message id
 * (INTEGER, 1..4 bytes), then a protocol operation with its application tag (bind, search,
 * modify, add, delete, compare, extended … requests and responses) whose length fits the message.
 * A BindRequest carries version 2 or 3.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

/** Application tags of LDAP operations (constructed 0x60.., primitive 0x42 unbind / 0x4a delete). */
const OPS = new Set([0x60, 0x61, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x73, 0x77, 0x78, 0x79, 0x42, 0x4a, 0x50]);

/** A BER length at `o`: [value, bytes used], or undefined. */
function berLength(b: Uint8Array, o: number, end: number): [number, number] | undefined {
  if (o >= end) return undefined;
  const f = b[o]!;
  if (f < 0x80) return [f, 1];
  const k = f & 0x7f;
  if (k === 0 || k > 4 || o + k >= end) return undefined;
  let v = 0;
  for (let i = 1; i <= k; i++) v = v * 256 + b[o + i]!;
  return [v, 1 + k];
}

/** True when `b[off, end)` starts an LDAPMessage; a datagram must hold exactly one. */
export function isLdapMessage(b: Uint8Array, off: number, end: number, datagram: boolean): boolean {
  if (end - off < 7 || b[off] !== 0x30) return false;
  const outer = berLength(b, off + 1, end);
  if (outer === undefined) return false;
  const start = off + 1 + outer[1];
  const total = start - off + outer[0];
  if (datagram ? total !== end - off : total < 7 || outer[0] > 0x1000000) return false;
  if (b[start] !== 0x02) return false;
  const idLen = b[start + 1]!;
  if (idLen < 1 || idLen > 4) return false;
  const op = start + 2 + idLen;
  if (op + 2 > end || !OPS.has(b[op]!)) return false;
  const opLen = berLength(b, op + 1, end);
  if (opLen === undefined || op + 1 + opLen[1] + opLen[0] > off + total) return false;
  if (b[op] === 0x60) {
    const v = op + 1 + opLen[1];
    return v + 3 <= end && b[v] === 0x02 && b[v + 1] === 1 && (b[v + 2] === 2 || b[v + 2] === 3);
  }
  return true;
}

/** LDAP/CLDAP at the start of either direction. */
export const ldap: Dissector = {
  name: 'LDAP',
  transport: 'both',
  // Over UDP a datagram decides at once: a BER SEQUENCE.
  first: { transport: 'udp', bytes: byteSet(0x30), minLength: 7 },
  inspect(p) {
    const udp = p.flow.transport === 17;
    if (p.streamOffset === 0 && isLdapMessage(p.b, p.off, p.end, udp)) return MATCH;
    return udp || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
