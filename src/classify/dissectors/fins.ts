/**
 * Omron FINS (port 9600). Over TCP every frame starts with `FINS`, a 32-bit length (from the
 * command on) and a command 0..3 (node address request/response, frame send, error). Over UDP a
 * frame is the 10-byte FINS header — ICF (gateway bit set; command or response; response
 * required or not), a zero reserved byte, gateway count 0..7, destination and source addresses
 * and a service id — then a known main request code (MRC) and sub-request code.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u32 } from '../dissector.js';

const ICF = new Set([0x80, 0x81, 0xc0, 0xc1]);
const MRC = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0c, 0x21, 0x22, 0x23, 0x26, 0x28]);

/** True when `b[off, end)` is a FINS/UDP frame. */
export function isFinsUdp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 || !ICF.has(b[off]!) || b[off + 1] !== 0 || b[off + 2]! > 7) return false;
  return MRC.has(b[off + 10]!) && b[off + 11]! <= 0x40;
}

/** True when `b[off, end)` starts a FINS/TCP frame. */
export function isFinsTcp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 16 || !startsWith(b, off, end, 'FINS')) return false;
  const len = u32(b, off + 4);
  return len >= 8 && len <= 2048 && u32(b, off + 8) <= 3;
}

/** FINS over UDP and TCP, on the first payload. */
export const fins: Dissector = {
  name: 'FINS',
  transport: 'both',
  // TCP frames start with "FINS", UDP ones with an ICF byte; both are 12 bytes or more.
  first: { bytes: byteSet('F', ...ICF), minLength: 12 },
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    return (p.flow.transport === 6 ? isFinsTcp(p.b, p.off, p.end) : isFinsUdp(p.b, p.off, p.end)) ? MATCH : REJECT;
  },
};
