/**
 * Ceph's messenger protocol: both peers open with a banner, `ceph v027` (msgr v1) or
 * `ceph v2\n` (msgr v2, port 3300).
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** Ceph messenger banners at the start of either direction. */
export const ceph: Dissector = {
  name: 'Ceph',
  transport: 'tcp',
  inspect(p) {
    const { b, off, end } = p;
    if (p.streamOffset === 0 && (startsWith(b, off, end, 'ceph v027') || startsWith(b, off, end, 'ceph v2\n'))) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
