/**
 * Steam Datagram Relay (Valve's relay network for SteamNetworkingSockets): clients measure
 * their latency to relays with ping requests that carry the ASCII tag `sdping` after a two-byte
 * message header, padded to a fixed size.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const MIN_PING = 32;

/** SteamDatagramRelay: a relay ping as the first datagram, either way. */
export const steamDatagramRelay: Dissector = {
  name: 'SteamDatagramRelay',
  transport: 'udp',
  first: { bytes: byteSet(0x01), minLength: 32 },
  inspect: (p) => (p.end - p.off >= MIN_PING && p.b[p.off] === 0x01 && startsWith(p.b, p.off + 2, p.end, 'sdping') ? MATCH : REJECT),
};
