/**
 * Syslog (RFC 3164, RFC 5424; over TCP with RFC 6587 octet counting): a message starts with
 * `<PRI>` (0..191, no leading zeros), then the RFC 5424 version `1 `, an RFC 3164 timestamp
 * (`Mmm dd `), or an ISO 8601 date (`YYYY-`) as many senders write.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** True when `b[off, end)` starts a syslog message (after an optional octet count). */
export function isSyslog(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 10) return false;
  let i = off;
  // RFC 6587 octet counting: "<len> <PRI>…".
  if (isDigit(b[i]!)) {
    const start = i;
    while (i < end && isDigit(b[i]!) && i - start < 6) i++;
    if (i >= end || b[i] !== 0x20) return false;
    i++;
  }
  if (i >= end || b[i] !== 0x3c) return false;
  const pri = ++i;
  let v = 0;
  while (i < end && isDigit(b[i]!) && i - pri < 3) v = v * 10 + (b[i++]! - 0x30);
  if (i === pri || i >= end || b[i] !== 0x3e || v > 191 || (b[pri] === 0x30 && i - pri > 1)) return false;
  i++;
  if (end - i < 6) return false;
  if (b[i] === 0x31 && b[i + 1] === 0x20) return true;
  if (MONTHS.some((m) => startsWith(b, i, end, m)) && b[i + 3] === 0x20) return true;
  return isDigit(b[i]!) && isDigit(b[i + 1]!) && isDigit(b[i + 2]!) && isDigit(b[i + 3]!) && b[i + 4] === 0x2d;
}

/** Syslog messages from the client (the sender). */
export const syslog: Dissector = {
  name: 'Syslog',
  transport: 'both',
  // The client's opening decides (a digit of RFC 6587's octet count, or `<PRI>`); a server speaking first waits.
  first: { dir: 0, bytes: byteSet([0x30, 0x39], '<'), minLength: 10 },
  inspect(p) {
    if (p.dir === 0 && p.streamOffset === 0) return isSyslog(p.b, p.off, p.end) ? MATCH : REJECT;
    return p.packets[0] > 0 ? REJECT : CONTINUE;
  },
};
