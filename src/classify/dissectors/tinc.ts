/**
 * tinc VPN's meta connection (TCP): both peers start with the ID request line
 * `0 <name> 17[.<minor>]\n` — request 0, the node name (letters, digits, underscore) and
 * protocol version 17. (Its UDP data packets are encrypted from the first byte.)
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const isNameByte = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** True when `b[off, end)` is a tinc ID request line. */
export function isTincId(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 7 || end - off > 80 || b[off] !== 0x30 || b[off + 1] !== 0x20) return false;
  let i = off + 2;
  const name = i;
  while (i < end && isNameByte(b[i]!)) i++;
  if (i === name || i + 3 >= end || b[i] !== 0x20 || b[i + 1] !== 0x31 || b[i + 2] !== 0x37) return false;
  i += 3;
  if (b[i] === 0x2e) {
    const minor = ++i;
    while (i < end && isDigit(b[i]!)) i++;
    if (i === minor) return false;
  }
  return i === end - 1 && b[i] === 0x0a;
}

/** tinc: the ID request line from both peers. */
export const tinc: Dissector<{ seen: number }> = {
  name: 'TINC',
  transport: 'tcp',
  first: { bytes: byteSet('0'), minLength: 7 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    if (p.streamOffset !== 0 || !isTincId(p.b, p.off, p.end)) return REJECT;
    st.seen |= 1 << p.dir;
    return st.seen === 3 ? MATCH : CONTINUE;
  },
};
