/**
 * ATG, automatic tank gauges speaking the Veeder-Root TLS serial protocol over TCP (port
 * 10001): a command is SOH (0x01), a function code — an upper-case letter and five digits or
 * hex digits (e.g. `I20100`, in-tank inventory) — and optionally CR LF; the gauge answers with
 * SOH or LF, the same function code, the report text and ETX.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const isCodeByte = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46);

/** True when `b[off, end)` is an ATG command (SOH, letter, five code characters, CR LF or nothing). */
export function isAtgCommand(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if ((n !== 7 && n !== 9) || b[off] !== 0x01 || b[off + 1]! < 0x41 || b[off + 1]! > 0x5a) return false;
  for (let i = 2; i < 7; i++) if (!isCodeByte(b[off + i]!)) return false;
  return n === 7 || (b[off + 7] === 0x0d && b[off + 8] === 0x0a);
}

/** ATG: the client's command (its first payload). */
export const atg: Dissector = {
  name: 'ATG',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 0 && p.streamOffset === 0) return isAtgCommand(p.b, p.off, p.end) ? MATCH : REJECT;
    return p.packets[0] > 0 ? REJECT : CONTINUE;
  },
};
