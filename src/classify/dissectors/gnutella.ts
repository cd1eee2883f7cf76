/**
 * Gnutella (0.6) and its relatives, as nDPI names them "Gnutella":
 * - TCP: the handshake `GNUTELLA CONNECT/0.6` (the servent's answer `GNUTELLA/0.6 200 OK`);
 *   and LimeWire's TLS, a ClientHello offering only TLS_DH_anon_WITH_AES_128_CBC_SHA (0x0034),
 *   which no browser sends.
 * - UDP: a Gnutella message (16-byte GUID, payload type, TTL, hops, 32-bit little-endian payload
 *   length = the rest of the datagram) carrying a Mojito DHT message from gtk-gnutella (vendor
 *   `GTKG` after the opcode) or ending with the GGEP trailer nDPI knows; and Gnutella2's UDP
 *   framing, `GND` with flags 0x10.
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, startsWith, u16, u32, u32le, type Verdict } from '../dissector.js';

const HEADER = 23;
/** The last four bytes of the Gnutella messages nDPI recognises by their end. */
const TRAILER = 0x82514b40;
const GTKG = 0x47544b47;
/** TLS_DH_anon_WITH_AES_128_CBC_SHA: LimeWire's only cipher suite. */
const ANON_DH_AES128 = 0x0034;

/** True when `b[off, end)` is a Gnutella UDP message nDPI names. Exported for tests. */
export function gnutellaDatagram(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n <= HEADER || u32le(b, off + 19) !== n - HEADER) return false;
  return (n > 27 && u32(b, off + 24) === GTKG) || u32(b, end - 4) === TRAILER;
}

/** True when `b[off, end)` is Gnutella2's UDP framing (`GND`, flags 0x10, sequence, part, count). */
export function g2Datagram(b: Uint8Array, off: number, end: number): boolean {
  return end - off >= 8 && b[off] === 0x47 && b[off + 1] === 0x4e && b[off + 2] === 0x44 && b[off + 3] === 0x10;
}

/**
 * True when `b[off, end)` is a TLS ClientHello record whose lengths agree and which offers the
 * anonymous Diffie-Hellman suite alone. Exported for tests.
 */
export function anonDhHello(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 49 || b[off] !== 0x16 || b[off + 1] !== 3 || b[off + 2]! > 3 || u16(b, off + 3) !== n - 5) return false;
  // Handshake: ClientHello with a 24-bit length that fills the record.
  if (b[off + 5] !== 1 || b[off + 6] !== 0 || u16(b, off + 7) !== n - 9 || b[off + 9] !== 3) return false;
  // LimeWire sends a 32-byte session id; nDPI's patterns read the suites where that puts them
  // whatever the length byte says, so both places are tried.
  const sid = b[off + 43]!;
  let cs = off + 44 + (sid <= 32 ? sid : 32);
  if (!onlyAnonDh(b, cs, end)) cs = off + 76;
  if (!onlyAnonDh(b, cs, end)) return false;
  // One compression method, null; extensions (if any) fill the rest.
  if (b[cs + 4] !== 1 || b[cs + 5] !== 0) return false;
  const ext = cs + 6;
  return ext === end || (ext + 2 <= end && u16(b, ext) === end - ext - 2);
}

/** True when the cipher suites at `cs` are the anonymous DH suite alone. */
function onlyAnonDh(b: Uint8Array, cs: number, end: number): boolean {
  return cs + 6 <= end && u16(b, cs) === 2 && u16(b, cs + 2) === ANON_DH_AES128;
}

function inspectGnutella(p: Payload): Verdict {
  const { b, off, end } = p;
  if (p.flow.transport === 17) return gnutellaDatagram(b, off, end) || g2Datagram(b, off, end) ? MATCH : REJECT;
  const n = end - off;
  // A lone byte (a probe before the hello) decides nothing.
  if (n < 2) return CONTINUE;
  if (b[off] === 0x47 /* G */) {
    if (startsWith(b, off, end, 'GNUTELLA CONNECT/') && n > 17) return MATCH;
    if (startsWith(b, off, end, 'GNUTELLA/0.') && n > 12) return MATCH;
    return REJECT;
  }
  return anonDhHello(b, off, end) ? MATCH : REJECT;
}

/** Gnutella: the handshake or LimeWire's TLS hello on TCP; gtk-gnutella's and G2's datagrams on UDP. */
export const gnutella: Dissector = {
  name: 'Gnutella',
  transport: 'both',
  inspect: inspectGnutella,
};
