/**
 * Telnet (RFC 854): a session opens with option negotiation — IAC (0xff) followed by WILL, WONT,
 * DO or DONT (0xfb..0xfe) and an option code, or subnegotiation IAC SB … IAC SE. The first
 * payload of either side must start with a negotiation and read as whole commands until its data.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const IAC = 0xff;

/** True when `b[off, end)` starts with Telnet negotiation, every command well-formed. */
export function isTelnetNegotiation(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 3 || b[off] !== IAC || b[off + 1]! < 0xfb) return false;
  let i = off;
  while (i < end && b[i] === IAC) {
    if (i + 1 >= end) return false;
    const cmd = b[i + 1]!;
    if (cmd >= 0xfb && cmd <= 0xfe) {
      if (i + 2 >= end) return false;
      i += 3;
    } else if (cmd === 0xfa) {
      // Subnegotiation: up to IAC SE.
      let j = i + 2;
      while (j + 1 < end && !(b[j] === IAC && b[j + 1] === 0xf0)) j++;
      if (j + 1 >= end) return false;
      i = j + 2;
    } else if (cmd >= 0xf1 && cmd <= 0xf9) i += 2;
    else return false;
  }
  return true;
}

/** Telnet negotiation at the start of either direction. */
export const telnet: Dissector = {
  name: 'Telnet',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isTelnetNegotiation(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
