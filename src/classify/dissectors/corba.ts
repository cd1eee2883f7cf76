/**
 * CORBA's GIOP (General Inter-ORB Protocol) over TCP (IIOP) and UDP: a 12-byte header —
 * `GIOP`, version 1.0..1.3, flags (bit 0: little endian), message type 0..7 (Request, Reply,
 * CancelRequest, LocateRequest, LocateReply, CloseConnection, MessageError, Fragment) and the
 * message size in the sender's byte order. Multicast (MIOP) packets start with `MIOP` and
 * version 1.0.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith, u32, u32le } from '../dissector.js';

/** True when `b[off, end)` starts with a GIOP header whose size fits (or starts) the payload. */
export function isGiop(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 || !startsWith(b, off, end, 'GIOP') || b[off + 4] !== 1 || b[off + 5]! > 3) return false;
  const flags = b[off + 6]!;
  if (b[off + 7]! > 7 || flags > 0x03) return false;
  const size = flags & 1 ? u32le(b, off + 8) : u32(b, off + 8);
  return size <= 0x1000000;
}

/** True when `b[off, end)` starts with a MIOP header (version 1.0). */
export const isMiop = (b: Uint8Array, off: number, end: number): boolean => end - off >= 16 && startsWith(b, off, end, 'MIOP') && b[off + 4] === 0x10;

/** CORBA GIOP/MIOP at the start of either direction. */
export const corba: Dissector = {
  name: 'Corba',
  transport: 'both',
  // Over UDP a datagram decides at once: a GIOP or MIOP header.
  first: { transport: 'udp', bytes: byteSet('GM'), minLength: 12 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.streamOffset === 0 && (isGiop(b, off, end) || isMiop(b, off, end))) return MATCH;
    return p.flow.transport === 17 || p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
