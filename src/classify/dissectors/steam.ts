/**
 * Steam's LAN discovery (In-Home Streaming / Remote Play, UDP 27036 broadcasts): the packet
 * signature 0xFFFFFFFF 0x214C5FA0, a little-endian header length, the protobuf header, a
 * little-endian body length and the body, which ends the datagram exactly.
 */
import { byteSet, type Dissector, MATCH, REJECT, u32, u32le } from '../dissector.js';

const SIGNATURE_HI = 0xffffffff;
const SIGNATURE_LO = 0x214c5fa0;

/** A discovery packet whose two lengths add up to the datagram. */
export function isSteamDiscovery(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 16 || u32(b, off) !== SIGNATURE_HI || u32(b, off + 4) !== SIGNATURE_LO) return false;
  const header = u32le(b, off + 8);
  if (header > n - 16) return false;
  return u32le(b, off + 12 + header) === n - 16 - header;
}

/** Steam: a LAN discovery packet as the first datagram. */
export const steam: Dissector = {
  name: 'Steam',
  transport: 'udp',
  first: { bytes: byteSet(0xff), minLength: 16 },
  inspect: (p) => (isSteamDiscovery(p.b, p.off, p.end) ? MATCH : REJECT),
};
