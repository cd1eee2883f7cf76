/**
 * ISO transport over TCP (RFC 1006 TPKT + ISO 8073 COTP), shared by the protocols on port 102:
 * a TPKT header (version 3, reserved 0, 16-bit length of the whole packet) and a COTP header
 * (its length, then the PDU type: 0xe0 connection request, 0xd0 connection confirm, 0xf0 data).
 */
import { u16 } from '../dissector.js';

/** COTP PDU types. */
export const COTP_CR = 0xe0;
export const COTP_CC = 0xd0;
export const COTP_DT = 0xf0;

/**
 * The COTP PDU type of the TPKT packet at `off` (its length must be at least what is present, or
 * span past it), or -1 when there is none. `cotpUserData` gives where a DT's user data starts.
 */
export function cotpType(b: Uint8Array, off: number, end: number): number {
  if (end - off < 7 || b[off] !== 3 || b[off + 1] !== 0) return -1;
  const len = u16(b, off + 2);
  const li = b[off + 4]!;
  if (len < 7 || li < 2 || 5 + li > len) return -1;
  const type = b[off + 5]! & 0xf0;
  return type === COTP_CR || type === COTP_CC || type === COTP_DT ? type : -1;
}

/** Start of a COTP DT's user data (after TPKT and COTP headers). */
export const cotpUserData = (b: Uint8Array, off: number): number => off + 5 + b[off + 4]!;
