/**
 * Discord voice over UDP: the keep-alive and the IP discovery exchange that start every voice
 * connection (Discord's developer documentation, "Voice connections").
 *
 * - Keep-alive: 8 bytes, `13 37 ca fe` and a 32-bit counter.
 * - IP discovery: 74 bytes, `type(2)` 1 request / 2 response, `length(2)` = 70, `SSRC(4)`, the
 *   address as NUL-padded text (64), `port(2)`; the request's address is empty.
 *
 * Media between those is RTP/RTCP (SRTP); a flow seen from its middle (RTP first) is given a
 * few datagrams to show a keep-alive.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';

const KEEPALIVE_MAGIC = 0x1337cafe;
const DISCOVERY_LEN = 74;
/** Datagrams a flow that looks like RTP gets before we give up waiting for a keep-alive. */
const RTP_WAIT = 12;

/** An IP discovery request or response filling `b[off, end)`. */
export function isIpDiscovery(b: Uint8Array, off: number, end: number): boolean {
  if (end - off !== DISCOVERY_LEN || u16(b, off + 2) !== DISCOVERY_LEN - 4) return false;
  const type = u16(b, off);
  if (type === 1) {
    for (let i = off + 8; i < off + 72; i++) if (b[i] !== 0) return false;
    return true;
  }
  if (type !== 2) return false;
  // The response's address: printable text, then NUL padding only.
  let i = off + 8;
  const last = off + 72;
  while (i < last && b[i] !== 0) {
    const c = b[i]!;
    if (c < 0x21 || c > 0x7e) return false;
    i++;
  }
  if (i === off + 8) return false;
  for (; i < last; i++) if (b[i] !== 0) return false;
  return true;
}

/** Discord voice (nDPI's `Discord` over UDP). */
export const discord: Dissector = {
  name: 'Discord',
  transport: 'udp',
  inspect(p) {
    const { b, off, end } = p;
    const n = end - off;
    if (n === 8 && u32(b, off) === KEEPALIVE_MAGIC) return MATCH;
    if (isIpDiscovery(b, off, end)) return MATCH;
    // RTP or RTCP (version 2): maybe a voice flow picked up in its middle.
    if (n >= 12 && b[off]! >> 6 === 2 && p.packets[0] + p.packets[1] < RTP_WAIT) return CONTINUE;
    return p.index >= 1 ? REJECT : CONTINUE;
  },
};
