/**
 * Megaco/H.248 in its text encoding (RFC 3525, UDP/TCP 2944): a message starts with the
 * protocol token and version — `MEGACO/1` or the compact `!/1` (versions 1..3) — a blank, and the
 * sender's mId: `[IPv4]`, `[IPv6]` or a `<domain name>`.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, startsWithNoCase } from '../dissector.js';

/** True when `b[off, end)` starts a text Megaco message. */
export function isMegacoText(b: Uint8Array, off: number, end: number): boolean {
  let i: number;
  if (startsWithNoCase(b, off, end, 'MEGACO/')) i = off + 7;
  else if (startsWith(b, off, end, '!/')) i = off + 2;
  else return false;
  if (i + 3 > end || b[i]! < 0x31 || b[i]! > 0x33) return false;
  i++;
  if (b[i] !== 0x20 && b[i] !== 0x09) return false;
  while (i < end && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i < end && (b[i] === 0x5b || b[i] === 0x3c);
}

/** Megaco text messages, on the first payload. */
export const megaco: Dissector = {
  name: 'Megaco',
  transport: 'both',
  first: { bytes: byteSet('Mm!'), minLength: 5 },
  inspect: (p) => (p.streamOffset === 0 && isMegacoText(p.b, p.off, p.end) ? MATCH : REJECT),
};
