/**
 * MPEG transport streams over UDP (or RTP): a datagram of one to seven 188-byte TS packets, each
 * starting with the sync byte 0x47, the PID's reserved bits consistent and the scrambling
 * control and adaptation field control valid. With an RTP header (12 bytes, version 2), the TS
 * packets follow it.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const TS = 188;

/** True when `b[o, end)` is a whole number (1..7) of TS packets. */
export function isTsPackets(b: Uint8Array, o: number, end: number): boolean {
  const n = end - o;
  if (n < TS || n % TS !== 0 || n / TS > 7) return false;
  for (let p = o; p < end; p += TS) {
    if (b[p] !== 0x47) return false;
    // adaptation_field_control 00 is reserved.
    if ((b[p + 3]! & 0x30) === 0) return false;
  }
  return true;
}

/**
 * MPEG-TS: a datagram of several TS packets (their sync bytes 188 apart are evidence enough),
 * or two datagrams of one (bare or after an RTP header).
 */
export const mpegTs: Dissector<{ seen: number }> = {
  name: 'MPEG_TS',
  transport: 'udp',
  // The sync byte, or RTP version 2 before it.
  first: { bytes: byteSet(0x47, [0x80, 0xbf]), minLength: 188 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (end - off < TS) return REJECT;
    const at = isTsPackets(b, off, end) ? off : b[off]! >> 6 === 2 && isTsPackets(b, off + 12, end) ? off + 12 : -1;
    if (at < 0) return REJECT;
    return end - at >= 2 * TS || ++st.seen >= 2 ? MATCH : CONTINUE;
  },
};
