/**
 * Cisco Skinny (SCCP, TCP 2000): every message has a 32-bit little-endian length (message id
 * and data), a header version (0 basic, 0x11..0x17 later call managers) and a 32-bit message id;
 * phones open with small ids (Register 0x0001, KeepAlive 0x0000 …). Tried on port 2000 only, as
 * the header alone is short.
 */
import { CONTINUE, type Dissector, MATCH, onPort, REJECT, u32le } from '../dissector.js';

const VERSIONS = new Set([0x00, 0x11, 0x12, 0x14, 0x15, 0x16, 0x17]);

/** True when `b[off, end)` starts with an SCCP message whose length fits the segment. */
export function isSccp(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 12) return false;
  const len = u32le(b, off);
  if (len < 4 || len > 4096 || len + 8 > n || !VERSIONS.has(u32le(b, off + 4))) return false;
  return u32le(b, off + 8) <= 0x1ff;
}

/** Skinny: the first messages of both directions (or the phone's alone, if the CM is silent). */
export const ciscoSkinny: Dissector = {
  name: 'CiscoSkinny',
  transport: 'tcp',
  // The first byte is the low byte of the length: any.
  first: { minLength: 12 },
  accepts: (f) => onPort(f, 2000),
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    if (!isSccp(p.b, p.off, p.end)) return REJECT;
    return p.dir === 0 ? MATCH : CONTINUE;
  },
};
