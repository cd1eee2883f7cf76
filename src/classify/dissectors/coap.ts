/**
 * CoAP (RFC 7252) over UDP, on its port 5683 or the 6LoWPAN compressed range 61616-61631 (as
 * nDPI: its 4-byte header is too small a signature for any port). Version 1, a token of at most
 * 8 bytes, a code of class 0 (empty, or a method 0.01-0.07), 2 (success), 4 (client error) or
 * 5 (server error); then the options, each a delta/length nibble pair (15 only as the payload
 * marker 0xFF), which must tile the datagram up to the end or the marker.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT } from '../dissector.js';

const PORT = 5683;

const coapPort = (p: number): boolean => p === PORT || (p >= 61616 && p <= 61631);

/** True for a defined request method or response code (class.detail). */
function knownCode(code: number): boolean {
  const cls = code >> 5;
  const detail = code & 0x1f;
  if (cls === 0) return detail <= 7;
  if (cls === 2) return (detail >= 1 && detail <= 5) || detail === 31;
  if (cls === 4) return detail <= 6 || detail === 8 || detail === 9 || detail === 12 || detail === 13 || detail === 15 || detail === 29;
  if (cls === 5) return detail <= 5;
  return false;
}

/** Where the extended value read by `optionValue` ended. */
let nibbleEnd = 0;

/** The value of an option nibble, extended by the byte(s) at `at` for 13 and 14 (its end in `nibbleEnd`), or -1 for 15. */
function optionValue(nibble: number, b: Uint8Array, at: number, end: number): number {
  if (nibble < 13) {
    nibbleEnd = at;
    return nibble;
  }
  if (nibble === 13) {
    if (at >= end) return -1;
    nibbleEnd = at + 1;
    return b[at]! + 13;
  }
  if (nibble === 14) {
    if (at + 2 > end) return -1;
    nibbleEnd = at + 2;
    return ((b[at]! << 8) | b[at + 1]!) + 269;
  }
  return -1;
}

/** True when `b[off, end)` is one CoAP message. */
export function isCoapMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4) return false;
  const b0 = b[off]!;
  const tkl = b0 & 0x0f;
  if (b0 >> 6 !== 1 || tkl > 8 || !knownCode(b[off + 1]!)) return false;
  // An empty message is the 4-byte header alone.
  if (b[off + 1] === 0) return tkl === 0 && end - off === 4;
  let at = off + 4 + tkl;
  if (at > end) return false;
  while (at < end) {
    const o = b[at]!;
    if (o === 0xff) return at + 1 < end; // the payload marker needs a payload after it
    const delta = optionValue(o >> 4, b, at + 1, end);
    if (delta < 0) return false;
    const length = optionValue(o & 0x0f, b, nibbleEnd, end);
    if (length < 0) return false;
    at = nibbleEnd + length;
  }
  return at === end;
}

/** COAP: a well-formed message on 5683 (or 61616-61631). */
export const coap: Dissector = {
  name: 'COAP',
  transport: 'udp',
  // Version 1, any type, a token length of 8 or less.
  first: { bytes: byteSet([0x40, 0x48], [0x50, 0x58], [0x60, 0x68], [0x70, 0x78]), minLength: 4 },
  accepts: (f: FlowInfo) => coapPort(f.serverPort) || coapPort(f.clientPort),
  inspect: (p) => (isCoapMessage(p.b, p.off, p.end) ? MATCH : REJECT),
};
