/**
 * RIPE Atlas measurement probes: the UDP (and TCP) test payload is the text
 * `MGLNDD_<address>_<port>` that lets the measurement be matched to its target.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

/** True when `b[off, end)` is an Atlas marker: `MGLNDD_`, an address, `_`, digits. */
export function isAtlasMarker(b: Uint8Array, off: number, end: number): boolean {
  if (end - off > 80 || !startsWith(b, off, end, 'MGLNDD_')) return false;
  let i = off + 7;
  const addr = i;
  // IPv4 or IPv6 text: digits, hex letters, dots, colons.
  while (i < end && (isHex(b[i]!) || b[i] === 0x2e || b[i] === 0x3a)) i++;
  if (i === addr || i >= end || b[i] !== 0x5f) return false;
  const port = ++i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  // Some probes end the marker with a newline.
  if (i < end && (b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (i < end && b[i] === 0x0a) i++;
  return i > port && i === end;
}

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/** RIPE Atlas measurement payloads, on the first payload. */
export const ripeAtlas: Dissector = {
  name: 'RipeAtlas',
  transport: 'both',
  first: { bytes: byteSet('M'), minLength: 10 },
  inspect: (p) => (p.streamOffset === 0 && isAtlasMarker(p.b, p.off, p.end) ? MATCH : REJECT),
};
