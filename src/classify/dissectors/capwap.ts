/**
 * CAPWAP (RFC 5415) over UDP: control channel 5246, data channel 5247 (whose 802.3/802.11
 * frames the decoder usually opens as a tunnel; what is left are keep-alives and frames it
 * cannot open). Every datagram starts with a preamble byte: 0 (version 0, a CAPWAP header
 * follows) or 1 (a DTLS header: three reserved zero bytes, then a DTLS record).
 *
 * - CAPWAP header: HLEN (in 4-byte words, at least 2) inside the datagram, a wireless binding
 *   id of 0, 1 (IEEE 802.11) or 3 (EPCGlobal). On the control port a control header follows:
 *   a message type of enterprise 0 and 1-26, and a message element length (every byte after
 *   the sequence number) that lands on the datagram's end.
 * - DTLS: a record of a defined content type (20-23), version DTLS 1.0/1.2, a length that
 *   lands on the datagram's end.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';

const CONTROL_PORT = 5246;
const DATA_PORT = 5247;

/** True when `b[off, end)` is a DTLS-preamble datagram: zeros, then one DTLS record filling it. */
export function isCapwapDtls(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4 + 13 || b[off] !== 1 || b[off + 1] !== 0 || b[off + 2] !== 0 || b[off + 3] !== 0) return false;
  const r = off + 4;
  const type = b[r]!;
  const version = u16(b, r + 1);
  if (type < 20 || type > 23 || (version !== 0xfeff && version !== 0xfefd)) return false;
  return r + 13 + u16(b, r + 11) === end;
}

/** The CAPWAP header length in bytes at `off` when its fields hold, else -1. */
function headerLength(b: Uint8Array, off: number, end: number): number {
  if (end - off < 8 || b[off] !== 0) return -1;
  const hlen = (b[off + 1]! >> 3) * 4;
  const wbid = (b[off + 2]! >> 1) & 0x1f;
  if (hlen < 8 || off + hlen > end || (wbid !== 0 && wbid !== 1 && wbid !== 3)) return -1;
  return hlen;
}

/** True when `b[off, end)` is a CAPWAP control message filling the datagram. */
export function isCapwapControl(b: Uint8Array, off: number, end: number): boolean {
  const hlen = headerLength(b, off, end);
  if (hlen < 0) return false;
  const c = off + hlen;
  if (c + 8 > end) return false;
  const type = u32(b, c);
  // The message element length counts every byte after the sequence number (itself included).
  return type >= 1 && type <= 26 && c + 5 + u16(b, c + 5) === end;
}

/** True when `b[off, end)` is a CAPWAP data datagram (a header, then the frame or keep-alive elements). */
export function isCapwapData(b: Uint8Array, off: number, end: number): boolean {
  const hlen = headerLength(b, off, end);
  return hlen > 0 && off + hlen < end;
}

/** CAPWAP: control messages on 5246, data on 5247, either DTLS-wrapped. */
export const capwap: Dissector = {
  name: 'CAPWAP',
  transport: 'udp',
  // Preamble 0 or 1; a data datagram is the shortest: an 8-byte header and a byte.
  first: { bytes: byteSet(0, 1), minLength: 9 },
  accepts: (f) => f.serverPort === CONTROL_PORT || f.clientPort === CONTROL_PORT || f.serverPort === DATA_PORT || f.clientPort === DATA_PORT,
  inspect(p) {
    const { b, off, end } = p;
    if (isCapwapDtls(b, off, end)) return MATCH;
    const f = p.flow;
    if ((f.serverPort === CONTROL_PORT || f.clientPort === CONTROL_PORT) && isCapwapControl(b, off, end)) return MATCH;
    if ((f.serverPort === DATA_PORT || f.clientPort === DATA_PORT) && isCapwapData(b, off, end)) return MATCH;
    return REJECT;
  },
};
