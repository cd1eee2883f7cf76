/**
 * Web Services Dynamic Discovery (WS-Discovery, SOAP over UDP on port 3702): an XML SOAP
 * envelope that names the WS-Discovery namespace.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, indexOf, startsWith } from '../dissector.js';

const PORT = 3702;
/** How much of the datagram is searched for the namespace. */
const HEAD = 1024;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** A WS-Discovery message at `b[off, end)`. */
export function isWsDiscovery(b: Uint8Array, off: number, end: number): boolean {
  if (!startsWith(b, off, end, '<?xml') && !startsWith(b, off, end, '<soap:Envelope') && !startsWith(b, off, end, '<s:Envelope')) return false;
  const last = Math.min(end, off + HEAD);
  return indexOf(b, off, last, 'Envelope') >= 0 && indexOf(b, off, last, '/discovery') >= 0;
}

/** WS-Discovery (nDPI's `WSD`) on UDP 3702. */
export const wsd: Dissector = {
  name: 'WSD',
  transport: 'udp',
  // The shortest opening, `<s:Envelope`, and `/discovery` after it.
  first: { bytes: byteSet('<'), minLength: 21 },
  accepts: onPort,
  inspect: (p) => (isWsDiscovery(p.b, p.off, p.end) ? MATCH : REJECT),
};
