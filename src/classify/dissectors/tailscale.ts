/**
 * Tailscale: besides WireGuard (see wireguard.ts), peers exchange "disco" messages for path
 * discovery (tailscale/disco): a 6-byte magic, `TS` and the UTF-8 speech balloon (F0 9F 92 AC),
 * the sender's 32-byte disco public key, a 24-byte nonce and the sealed message.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';
import { hexPattern, startsWithBytes } from './group-c-bytes.js';

const MAGIC = hexPattern('5453f09f92ac');
/** Magic, key, nonce and at least the box's tag. */
const MIN_DISCO = 6 + 32 + 24 + 16;

/** Tailscale: a disco message as the first datagram, either way. */
export const tailscale: Dissector = {
  name: 'Tailscale',
  transport: 'udp',
  first: { bytes: byteSet('T'), minLength: 78 },
  inspect: (p) => (p.end - p.off >= MIN_DISCO && startsWithBytes(p.b, p.off, p.end, MAGIC) ? MATCH : REJECT),
};
