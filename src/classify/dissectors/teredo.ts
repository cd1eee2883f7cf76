/**
 * Teredo (RFC 4380): IPv6 carried in UDP over IPv4, to or from the Teredo port 3544. A datagram
 * may start with an authentication indicator (0x0001, client id and auth value lengths, the id,
 * the value, an 8-byte nonce, a confirmation byte) and/or an origin indication (0x0000, port and
 * address, 8 bytes); then comes an IPv6 header (version 6) with a Teredo address (2001:0::/32)
 * at one end, or a link-local one in the qualification exchange. Sonda's decoder already opens
 * the tunnels whose inner packet is whole (the flow is then the inner one); this names the rest
 * (cut or padded inner packets) when the datagram is unicast IPv4 on port 3544, as nDPI does.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, onPort, type Payload, REJECT, type Verdict } from '../dissector.js';

const TEREDO_PORT = 3544;
const IPV6_HEADER = 40;

/** Offset of the IPv6 packet after the optional indicators, or -1 when they do not fit. Exported for tests. */
export function teredoPayload(b: Uint8Array, off: number, end: number): number {
  let at = off;
  if (end - at >= 4 && b[at] === 0 && b[at + 1] === 1) {
    const id = b[at + 2]!;
    const auth = b[at + 3]!;
    at += 4 + id + auth + 8 + 1;
  }
  if (end - at >= 8 && b[at] === 0 && b[at + 1] === 0) at += 8;
  if (end - at < IPV6_HEADER || b[at]! >> 4 !== 6) return -1;
  // One end is a Teredo address (2001:0::/32) or, while qualifying, link-local (fe80::/10).
  return teredoSide(b, at + 8) || teredoSide(b, at + 24) ? at : -1;
}

/** True when the IPv6 address at `a` is in 2001:0::/32 or fe80::/10. */
function teredoSide(b: Uint8Array, a: number): boolean {
  return (b[a] === 0x20 && b[a + 1] === 0x01 && b[a + 2] === 0 && b[a + 3] === 0) || (b[a] === 0xfe && (b[a + 1]! & 0xc0) === 0x80);
}

/** IPv4 multicast (224.0.0.0/4). */
const multicast = (a: Uint32Array): boolean => a[0]! >>> 28 === 0xe;

function inspectTeredo(p: Payload): Verdict {
  return teredoPayload(p.b, p.off, p.end) >= 0 ? MATCH : REJECT;
}

/** Teredo: IPv6 to or from a Teredo address (after the indicators) in unicast IPv4 on port 3544. */
export const teredo: Dissector = {
  name: 'Teredo',
  transport: 'udp',
  // An indicator (0x0001 or 0x0000) or the IPv6 header itself (version 6).
  first: { bytes: byteSet(0x00, [0x60, 0x6f]), minLength: 40 },
  accepts: (f: FlowInfo) => f.ipVersion === 4 && onPort(f, TEREDO_PORT) && !multicast(f.serverAddress) && !multicast(f.clientAddress),
  inspect: inspectTeredo,
};
