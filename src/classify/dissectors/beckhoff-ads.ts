/**
 * Beckhoff ADS over TCP (AMS/TCP, port 48898): a 6-byte AMS/TCP header (reserved 0, 32-bit
 * little-endian length of the AMS packet), then the 32-byte AMS header — target and source
 * AMS NetId and port, command id 0..9, state flags, the data length (the AMS length less 32),
 * error code and invoke id.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16le, u32le } from '../dissector.js';

/** True when `b[off, end)` starts with an AMS/TCP packet whose lengths agree. */
export function isAmsTcp(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 38 || b[off] !== 0 || b[off + 1] !== 0) return false;
  const len = u32le(b, off + 2);
  if (len < 32 || len > 0x100000 || (len + 6 > n && n < 536)) return false;
  const cmd = u16le(b, off + 22);
  return cmd <= 9 && u32le(b, off + 26) === len - 32;
}

/** Beckhoff ADS at the start of either direction. */
export const beckhoffAds: Dissector = {
  name: 'BeckhoffADS',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isAmsTcp(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
