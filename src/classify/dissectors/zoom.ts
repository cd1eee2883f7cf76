/**
 * Zoom's own media transport over UDP.
 *
 * Towards Zoom's media routers (UDP 8801-8810) every datagram starts with a type byte: 1 and 2
 * are the client's hello and the router's answer (the answer repeats the hello's 16-byte
 * session token at offset 3), 3 and 4 are keep-alives (`0x03 00 00 00`), 5 carries media. A
 * router of Zoom's networks and a well-formed type are enough; elsewhere the hello and its echo
 * must both be seen.
 *
 * Between two clients (peer to peer) the first datagrams are a hello of type 0x1f that names
 * the address the sender sees its peer at (length-prefixed text) and a session UUID. A flow
 * from a port an earlier STUN exchange tied to Zoom (call-cache.ts) is Zoom too.
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u32 } from '../dissector.js';
import { CallEndpointCache, callEndpointsOf } from './call-cache.js';
import { callAppOfFlow } from './call-nets.js';

const MEDIA_PORT_LO = 8801;
const MEDIA_PORT_HI = 8810;
/** Offset and length of the session token in the hello (type 1) and its answer (type 2). */
const TOKEN = 3;
const TOKEN_LEN = 16;

const onMediaPort = (p: number): boolean => p >= MEDIA_PORT_LO && p <= MEDIA_PORT_HI;

/** A datagram of the media-router encapsulation: its type (1..5), or 0. */
export function routerType(b: Uint8Array, off: number, end: number): number {
  const n = end - off;
  if (n < 8) return 0;
  const t = b[off]!;
  if ((t === 1 || t === 2) && b[off + 1] === 0 && n >= TOKEN + TOKEN_LEN) return t;
  if ((t === 3 || t === 4) && b[off + 1] === 0 && b[off + 2] === 0 && b[off + 3] === 0) return t;
  if (t === 5 && n >= 16) return t;
  return 0;
}

/** True for a character of an address in text (IPv4 or IPv6). */
const addrChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x3a || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** The peer-to-peer hello: type 0x1f, then at offset 24 a length-prefixed address text and a 36-byte UUID. */
export function isP2pHello(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 28 || b[off] !== 0x1f || b[off + 1] !== 0x02) return false;
  const n = u32(b, off + 24);
  if (n < 7 || n > 39) return false;
  let o = off + 28;
  if (o + n + 4 + 36 > end) return false;
  for (let i = 0; i < n; i++) if (!addrChar(b[o + i]!)) return false;
  o += n;
  if (u32(b, o) !== 36) return false;
  o += 4;
  // UUID text: 8-4-4-4-12 hex digits.
  for (let i = 0; i < 36; i++) {
    const c = b[o + i]!;
    if (i === 8 || i === 13 || i === 18 || i === 23 ? c !== 0x2d : !addrChar(c) || c === 0x2e || c === 0x3a) return false;
  }
  return true;
}

interface ZoomState {
  /** The client hello's session token (copied), until the router's answer comes. */
  hello: Uint8Array | undefined;
}

/** A flow whose endpoint an earlier STUN exchange tied to Zoom. */
function knownEndpoint(p: Payload): boolean {
  const f = p.flow;
  const tsUs = p.tsUs;
  const callEndpoints = callEndpointsOf(p);
  // Most captures hold no call: no address arrays made for the lookup.
  if (callEndpoints.size === 0) return false;
  return (
    callEndpoints.get(CallEndpointCache.key(f.ipVersion, f.clientAddress, f.clientPort), tsUs) === 'Zoom' ||
    callEndpoints.get(CallEndpointCache.key(f.ipVersion, f.serverAddress, f.serverPort), tsUs) === 'Zoom'
  );
}

/** Zoom media (nDPI's `Zoom` over UDP): router encapsulation on 8801-8810, peer-to-peer hellos. */
export const zoom: Dissector<ZoomState> = {
  name: 'Zoom',
  transport: 'udp',
  state: () => ({ hello: undefined }),
  inspect(p, st) {
    const { b, off, end, flow } = p;
    if (isP2pHello(b, off, end)) return MATCH;
    if (onMediaPort(flow.serverPort) || onMediaPort(flow.clientPort)) {
      const t = routerType(b, off, end);
      if (t === 0) return p.index === 0 && !knownEndpoint(p) ? REJECT : CONTINUE;
      if (callAppOfFlow(flow.ipVersion, flow.serverAddress, flow.clientAddress) === 'Zoom') return MATCH;
      // Elsewhere: the router's answer must repeat the hello's token.
      if (t === 1 && p.dir === 0 && st.hello === undefined) {
        st.hello = b.slice(off + TOKEN, off + TOKEN + TOKEN_LEN);
        return CONTINUE;
      }
      if (t === 2 && p.dir === 1 && st.hello !== undefined) {
        for (let i = 0; i < TOKEN_LEN; i++) if (b[off + TOKEN + i] !== st.hello[i]) return REJECT;
        return MATCH;
      }
      return p.packets[0] + p.packets[1] >= 6 ? REJECT : CONTINUE;
    }
    if (knownEndpoint(p)) return MATCH;
    return p.index >= 1 ? REJECT : CONTINUE;
  },
};
