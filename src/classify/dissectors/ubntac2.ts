/**
 * Ubiquiti device discovery (nDPI's `UBNTAC2`), UDP port 10001: `version(1) command(1)
 * length(2)` then TLVs `type(1) length(2) value` that fill exactly `length` bytes. Version 1
 * or 2; a version-1 request is the bare 4-byte header.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, u16 } from '../dissector.js';

const PORT = 10001;

/** A discovery packet filling `b[off, end)`. */
export function isUbntDiscovery(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4) return false;
  const version = b[off]!;
  if ((version !== 1 && version !== 2) || u16(b, off + 2) !== end - off - 4) return false;
  let o = off + 4;
  while (o < end) {
    if (end - o < 3) return false;
    o += 3 + u16(b, o + 1);
  }
  return o === end;
}

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** Ubiquiti discovery on UDP 10001. */
export const ubntac2: Dissector = {
  name: 'UBNTAC2',
  transport: 'udp',
  first: { bytes: byteSet(1, 2), minLength: 4 },
  accepts: onPort,
  inspect: (p) => (isUbntDiscovery(p.b, p.off, p.end) ? MATCH : REJECT),
};
