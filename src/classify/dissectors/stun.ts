/**
 * STUN (RFC 5389/8489, with TURN's methods of RFC 8656, and the classic RFC 3489 form without
 * the magic cookie), over UDP, and over TCP plain or with RFC 4571 length framing.
 *
 * A message: `type(2) length(2) cookie(4) transaction(12) attributes…`, the type's top two bits
 * zero, the length a multiple of 4 and exactly the attributes' size; the attributes (TLV,
 * values padded to 4) must tile the message. Without the cookie only the binding and
 * shared-secret types of RFC 3489 are taken.
 *
 * The application (nDPI's `STUN.<App>`) comes from what the messages carry (WhatsApp's own
 * methods and attributes, Microsoft's MS-TURN attributes), from the relay's network
 * (call-nets.ts), or from an endpoint an earlier STUN flow tied to an application
 * (call-cache.ts): a client port that talked to a call relay, or a peer it asked the relay to
 * permit.
 *
 * The REALM attribute names the flow's host, as nDPI reports it (`telegram.org`). A TURN
 * Allocate request carries none (the server's 401 answer does), so a flow that opens with one
 * is named at its next payload, with the realm if that payload shows it.
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u16, u32 } from '../dissector.js';
import { CallEndpointCache, callEndpointsOf } from './call-cache.js';
import { type CallApp, callAppOfFlow } from './call-nets.js';

const HEADER = 20;
const COOKIE = 0x2112a442;

/** Message types of RFC 3489 (binding and shared secret: request, response, error). */
const CLASSIC_TYPES = new Set([0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112]);

/** Attributes only Microsoft's MS-TURN speaks (MS-Version, MS-Sequence-Number, MS-Service-Quality, MS-Implementation-Version). */
const MS_ATTRS = new Set([0x8008, 0x8050, 0x8055, 0x8070]);

const XOR_PEER_ADDRESS = 0x0012;
const REALM = 0x0014;
const ALLOCATE_REQUEST = 0x0003;
/** Longest realm taken as a host name. */
const MAX_REALM = 128;
/** Peer addresses kept from one message (as address, port pairs). */
const MAX_PEERS = 16;

/** What one message says, filled by `readStun` (reused). */
export interface StunInfo {
  /** Message type (method and class bits). */
  type: number;
  /** Has the RFC 5389 magic cookie. */
  cookie: boolean;
  /** An application the message's own content names. */
  app: CallApp | undefined;
  /** XOR-PEER-ADDRESS values seen (IPv4 only): address, port pairs. */
  peers: number[];
  /** Where the REALM value is in the buffer just read (length 0: none). */
  realmOff: number;
  realmLen: number;
}

/** A fresh `StunInfo`. */
export const newStunInfo = (): StunInfo => ({ type: 0, cookie: false, app: undefined, peers: [], realmOff: 0, realmLen: 0 });

/**
 * Reads the STUN message at `b[off, end)`, which must end exactly where the message does.
 * Returns true and fills `info` when it is one.
 */
export function readStun(b: Uint8Array, off: number, end: number, info: StunInfo): boolean {
  if (end - off < HEADER || (b[off]! & 0xc0) !== 0) return false;
  const type = u16(b, off);
  const len = u16(b, off + 2);
  if ((len & 3) !== 0 || off + HEADER + len !== end) return false;
  const cookie = u32(b, off + 4) === COOKIE;
  if (!cookie && !CLASSIC_TYPES.has(type)) return false;
  info.type = type;
  info.cookie = cookie;
  info.app = undefined;
  info.peers.length = 0;
  info.realmLen = 0;
  // WhatsApp's relays speak their own message types (0x08xx: methods 0x200 and up).
  if (cookie && (type & 0xff00) === 0x0800) info.app = 'WhatsAppCall';
  let o = off + HEADER;
  while (o < end) {
    if (end - o < 4) return false;
    const at = u16(b, o);
    const al = u16(b, o + 2);
    const next = o + 4 + ((al + 3) & ~3);
    if (next > end) return false;
    if (at >= 0x4000 && at <= 0x40ff && cookie) info.app = 'WhatsAppCall';
    else if (MS_ATTRS.has(at)) info.app = 'Skype_TeamsCall';
    else if (at === REALM && al > 0 && al <= MAX_REALM) {
      info.realmOff = o + 4;
      info.realmLen = al;
    } else if (at === XOR_PEER_ADDRESS && cookie && al === 8 && b[o + 5] === 1 && info.peers.length < MAX_PEERS) {
      // Family 1 (IPv4): port and address XORed with the cookie.
      info.peers.push((u32(b, o + 8) ^ COOKIE) >>> 0, u16(b, o + 6) ^ (COOKIE >>> 16));
    }
    o = next;
  }
  return true;
}

interface StunState {
  info: StunInfo;
  /** The flow opened with an Allocate request: named at its next payload. */
  allocate: boolean;
  /** The application found so far. */
  app: CallApp | undefined;
}

/** The realm as a host name: printable ASCII only, else nothing. */
function realmText(b: Uint8Array, off: number, len: number): string | undefined {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = b[off + i]!;
    if (c === 0 && i > 0) break; // NUL padding some servers add
    if (c <= 0x20 || c >= 0x7f) return undefined;
    s += String.fromCharCode(c);
  }
  return s === '' ? undefined : s;
}

/** The verdict once the flow is known to be STUN. */
function named(p: Payload, st: StunState): string | typeof MATCH {
  const app = st.app ?? flowApp(p, st.info);
  if (app === undefined) return MATCH;
  remember(p, st.info, app);
  return `STUN.${app}`;
}

/** Where a message starts in a TCP stream's first chunk: plain, or after an RFC 4571 length. */
function tcpMessage(p: Payload, info: StunInfo): boolean {
  const { b, off, end } = p;
  if (readStun(b, off, end, info)) return true;
  return end - off > 2 + HEADER && u16(b, off) === end - off - 2 && readStun(b, off + 2, end, info);
}

/** The application of a STUN flow: the message's own, the relay's network, or a known endpoint. */
function flowApp(p: Payload, info: StunInfo): CallApp | undefined {
  const f = p.flow;
  const tsUs = p.tsUs;
  const own = info.app ?? callAppOfFlow(f.ipVersion, f.serverAddress, f.clientAddress);
  if (own !== undefined) return own;
  const callEndpoints = callEndpointsOf(p);
  return (
    callEndpoints.get(CallEndpointCache.key(f.ipVersion, f.clientAddress, f.clientPort), tsUs) ??
    callEndpoints.get(CallEndpointCache.key(f.ipVersion, f.serverAddress, f.serverPort), tsUs)
  );
}

/** Ties the flow's endpoints (and the peers it named) to its application, for later flows. */
function remember(p: Payload, info: StunInfo, app: CallApp): void {
  const f = p.flow;
  const tsUs = p.tsUs;
  const callEndpoints = callEndpointsOf(p);
  callEndpoints.set(CallEndpointCache.key(f.ipVersion, f.clientAddress, f.clientPort), app, tsUs);
  callEndpoints.set(CallEndpointCache.key(f.ipVersion, f.serverAddress, f.serverPort), app, tsUs);
  for (let i = 0; i < info.peers.length; i += 2) callEndpoints.set(CallEndpointCache.key(4, [info.peers[i]!], info.peers[i + 1]!), app, tsUs);
}

/** STUN and TURN; names the call application when it can (`STUN.WhatsAppCall` …). */
export const stun: Dissector<StunState> = {
  name: 'STUN',
  transport: 'both',
  state: () => ({ info: newStunInfo(), allocate: false, app: undefined }),
  inspect(p, st) {
    const isStun = p.flow.transport === 6 ? p.streamOffset === 0 && tcpMessage(p, st.info) : readStun(p.b, p.off, p.end, st.info);
    if (!isStun) {
      // A parse that failed half-way may have left findings behind.
      st.info.peers.length = 0;
      st.info.app = undefined;
      if (st.allocate) return named(p, st);
      return p.index >= 1 || (p.flow.transport === 6 && p.streamOffset !== 0) ? REJECT : CONTINUE;
    }
    const info = st.info;
    if (info.realmLen > 0) {
      const realm = realmText(p.b, info.realmOff, info.realmLen);
      if (realm !== undefined) p.host(realm);
    }
    st.app ??= flowApp(p, info);
    if (!st.allocate && info.type === ALLOCATE_REQUEST && info.realmLen === 0 && p.packets[0] + p.packets[1] === 1) {
      st.allocate = true;
      return CONTINUE;
    }
    return named(p, st);
  },
};
