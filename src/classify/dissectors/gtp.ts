/**
 * GTP control and user plane on their ports (UDP 2123 GTP-C, 2152 GTP-U, 3386 GTP'): GTPv1 —
 * version 1 with protocol type 1, a message type, a length equal to the datagram's less the
 * 8-byte mandatory header — or GTPv2-C (version 2, length less 4), or GTP' (version 0..2,
 * protocol type 0, a 6- or 20-byte header). (Sonda's decoder already opens GTP-U tunnels.)
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const PORTS = new Set([2123, 2152, 3386]);

/** True when `b[off, end)` is a GTP message whose length field agrees with the datagram. */
export function isGtp(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 8) return false;
  const flags = b[off]!;
  const version = flags >> 5;
  const pt = (flags >> 4) & 1;
  const type = b[off + 1]!;
  const len = u16(b, off + 2);
  if (type === 0) return false;
  if (version === 1 && pt === 1) return (flags & 0x08) === 0 && len === n - 8;
  if (version === 2) return (flags & 0x07) === 0 && len === n - 4;
  // GTP': spare bits set; the last bit chooses the 6-byte header over the 20-byte one.
  if (pt === 0 && version <= 2) return (flags & 0x0e) === 0x0e && len === n - (flags & 1 ? 6 : 20);
  return false;
}

/** GTP on its ports, on the first datagram. */
export const gtp: Dissector = {
  name: 'GTP',
  transport: 'udp',
  // Flags: GTPv1 (0x30-0x37), GTPv2-C (0x40/0x48/0x50/0x58), GTP' v0/v1 (0x0e/0x0f/0x2e/0x2f).
  first: { bytes: byteSet(0x0e, 0x0f, 0x2e, 0x2f, [0x30, 0x37], 0x40, 0x48, 0x50, 0x58), minLength: 8 },
  accepts: (f) => PORTS.has(f.serverPort) || PORTS.has(f.clientPort),
  inspect: (p) => (isGtp(p.b, p.off, p.end) ? MATCH : REJECT),
};
