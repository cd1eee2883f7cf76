/**
 * Nintendo Switch online play (UDP): its session datagrams start with the 5 bytes
 * 32 AB 98 64 02 and are longer than 48 bytes.
 */
import { byteSet, type Dissector, MATCH, type Payload, REJECT, u32, type Verdict } from '../dissector.js';

/** True when `b[off, end)` starts with the session header. Exported for tests. */
export function nintendoDatagram(b: Uint8Array, off: number, end: number): boolean {
  return end - off > 48 && u32(b, off) === 0x32ab9864 && b[off + 4] === 0x02;
}

function inspectNintendo(p: Payload): Verdict {
  return nintendoDatagram(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** Nintendo: the session header on the first datagram. */
export const nintendo: Dissector = {
  name: 'Nintendo',
  transport: 'udp',
  first: { bytes: byteSet(0x32), minLength: 49 },
  inspect: inspectNintendo,
};
