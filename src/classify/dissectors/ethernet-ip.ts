/**
 * EtherNet/IP (ODVA CIP over TCP/UDP 44818): a 24-byte encapsulation header — command
 * (16-bit little endian: ListServices, ListIdentity, ListInterfaces, RegisterSession,
 * UnRegisterSession, SendRRData, SendUnitData, IndicateStatus, Cancel), the length of the data
 * after the header, session handle, status, sender context (8 bytes) and options (always 0).
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16le, u32le } from '../dissector.js';

const HEADER = 24;
const COMMANDS = new Set([0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006f, 0x0070, 0x0072, 0x0073]);

/**
 * True when `b[off, end)` starts with an encapsulation header (not NOP: a run of zeros would
 * pass) whose data length fits what follows.
 */
export function isEnipHeader(b: Uint8Array, off: number, end: number, datagram: boolean): boolean {
  const n = end - off;
  if (n < HEADER || !COMMANDS.has(u16le(b, off)) || u32le(b, off + 20) !== 0) return false;
  const len = u16le(b, off + 2);
  if (len === n - HEADER) return true;
  // A segment may start a long message, or hold several: then the next header must look right too.
  if (datagram) return false;
  if (len > n - HEADER) return n >= 536;
  const next = off + HEADER + len;
  return end - next >= 4 && COMMANDS.has(u16le(b, next));
}

/** EtherNet/IP encapsulation at the start of either direction. */
export const ethernetIp: Dissector = {
  name: 'EthernetIP',
  transport: 'both',
  // Over UDP a datagram decides at once: a known command's low byte, a full header.
  first: { transport: 'udp', bytes: byteSet(...[...COMMANDS].map((c) => c & 0xff)), minLength: HEADER },
  inspect(p) {
    const udp = p.flow.transport === 17;
    if (p.streamOffset === 0 && isEnipHeader(p.b, p.off, p.end, udp)) return MATCH;
    return udp || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
