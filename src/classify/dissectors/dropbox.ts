/**
 * Dropbox LAN sync discovery (UDP 17500): each client broadcasts a JSON object announcing
 * itself — a JSON object with `host_int`, `version`, `displayname`, `port` and `namespaces`, in
 * any order. Three of them must be there.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, indexOf, startsWith } from '../dissector.js';

const PORT = 17500;
const HEAD = 1024;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** A LAN sync announcement at `b[off, end)`. */
export function isLanSyncAnnouncement(b: Uint8Array, off: number, end: number): boolean {
  if (!startsWith(b, off, end, '{"') || b[end - 1] !== 0x7d) return false;
  const last = Math.min(end, off + HEAD);
  return indexOf(b, off, last, '"host_int"') >= 0 && indexOf(b, off, last, '"namespaces"') >= 0 && indexOf(b, off, last, '"version"') >= 0;
}

/** Dropbox LAN sync on UDP 17500. */
export const dropbox: Dissector = {
  name: 'Dropbox',
  transport: 'udp',
  // `{`, the three quoted keys (neighbours may share a quote: 29 bytes), `}`.
  first: { bytes: byteSet('{'), minLength: 31 },
  accepts: onPort,
  inspect: (p) => (isLanSyncAnnouncement(p.b, p.off, p.end) ? MATCH : REJECT),
};
