/**
 * VNC, the Remote Framebuffer protocol (RFC 6143): the server opens with the version banner
 * `RFB 003.008\n` (12 bytes, three-digit major and minor), the client answers with its own.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** True when `b[off, end)` is an RFB version banner. */
export function isRfbBanner(b: Uint8Array, off: number, end: number): boolean {
  if (end - off !== 12 || !startsWith(b, off, end, 'RFB ') || b[off + 7] !== 0x2e || b[off + 11] !== 0x0a) return false;
  for (const i of [4, 5, 6, 8, 9, 10]) if (!isDigit(b[off + i]!)) return false;
  return true;
}

/** VNC version banners at the start of either direction. */
export const vnc: Dissector = {
  name: 'VNC',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isRfbBanner(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
