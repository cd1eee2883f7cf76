/**
 * SNMP (RFC 3416/3412) on UDP: a BER SEQUENCE that fills the datagram, holding the version
 * INTEGER (0 v1, 1 v2c, 3 v3), then for v1/v2c the community OCTET STRING and a PDU with a
 * context tag 0xA0..0xA8 (get … report), and for v3 the msgGlobalData SEQUENCE.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;

/** Where the value of the last length read by `berLength` starts. */
let valueAt = 0;

/** A BER length at `at` (its value's offset in `valueAt`), or -1: indefinite, too long, cut. */
function berLength(b: Uint8Array, at: number, end: number): number {
  if (at >= end) return -1;
  const first = b[at]!;
  if (first < 0x80) {
    valueAt = at + 1;
    return first;
  }
  const k = first & 0x7f;
  if (k === 0 || k > 3 || at + 1 + k > end) return -1;
  let v = 0;
  for (let i = 0; i < k; i++) v = (v << 8) | b[at + 1 + i]!;
  valueAt = at + 1 + k;
  return v;
}

/** True when `b[off, end)` is one SNMP message. */
export function isSnmpMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 || b[off] !== SEQUENCE) return false;
  const seq = berLength(b, off + 1, end);
  if (seq < 0 || valueAt + seq !== end) return false;
  let at = valueAt;
  if (b[at] !== INTEGER || b[at + 1] !== 1) return false;
  const version = b[at + 2]!;
  at += 3;
  if (version === 3) return b[at] === SEQUENCE;
  if (version > 1 || b[at] !== OCTET_STRING) return false;
  const community = berLength(b, at + 1, end);
  if (community < 0 || community > 255) return false;
  at = valueAt + community;
  if (at >= end) return false;
  const pdu = b[at]!;
  if (pdu < 0xa0 || pdu > 0xa8) return false;
  const body = berLength(b, at + 1, end);
  return body >= 0 && valueAt + body === end;
}

/** SNMP: the first datagram of either direction is an SNMP message. */
export const snmp: Dissector = {
  name: 'SNMP',
  transport: 'udp',
  first: { bytes: byteSet(SEQUENCE), minLength: 12 },
  inspect: (p) => (isSnmpMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
