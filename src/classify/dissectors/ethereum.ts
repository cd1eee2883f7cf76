/**
 * Ethereum peer-to-peer: node discovery v4 over UDP and the RLPx handshake over TCP.
 *
 * Discovery v4 packet: `hash(32) ‖ signature(65) ‖ type(1) ‖ RLP list`, where the signature's
 * last byte is the recovery id (0 or 1), the type is 1..6 (ping, pong, findnode, neighbors,
 * ENR request, ENR response) and the RLP list runs exactly to the datagram's end.
 *
 * RLPx (EIP-8): the initiator's auth and the recipient's ack are each `size(2) ‖ ECIES`, where
 * the size counts the bytes after it and the ECIES message starts with the uncompressed
 * public-key marker 0x04. The pre-EIP-8 forms are 307 (auth) and 210 (ack) bytes of ECIES.
 */
import { CONTINUE, type Dissector, type FlowInfo, MATCH, REJECT, u16 } from '../dissector.js';

/** Offset of the discovery packet type (after hash and signature). */
const DISC_TYPE = 97;
/** ECIES overhead: public key 65, IV 16, MAC 32. */
const ECIES_MIN = 65 + 16 + 32;
/** EIP-8 handshake messages are padded with 100+ random bytes, never kilobytes. */
const RLPX_MAX = 2048;

/** True on the Ethereum P2P ports (30303 and its usual neighbours). */
const onEthPort = (f: FlowInfo): boolean => (f.serverPort >= 30300 && f.serverPort <= 30305) || (f.clientPort >= 30300 && f.clientPort <= 30305);

/** Where the RLP list whose header is at `o` ends, or -1 when `o` holds no list header within `end`. */
function rlpListEnd(b: Uint8Array, o: number, end: number): number {
  if (o >= end) return -1;
  const p = b[o]!;
  if (p < 0xc0) return -1; // not a list
  if (p <= 0xf7) return o + 1 + (p - 0xc0);
  const n = p - 0xf7; // length of the length
  if (n > 3 || o + 1 + n > end) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[o + 1 + i]!;
  if (len < 56 || b[o + 1] === 0) return -1; // canonical RLP uses the short form below 56
  return o + 1 + n + len;
}

/** A discovery v4 datagram in `b[off, end)`. */
export function isDiscv4(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < DISC_TYPE + 2 || end - off > 1280) return false;
  const type = b[off + DISC_TYPE]!;
  if (type < 1 || type > 6 || b[off + DISC_TYPE - 1]! > 1) return false;
  return rlpListEnd(b, off + DISC_TYPE + 1, end) === end;
}

/** An RLPx auth or ack message (EIP-8 or pre-EIP-8) filling `b[off, end)`. */
export function isRlpxHandshake(b: Uint8Array, off: number, end: number, dir: 0 | 1): boolean {
  const n = end - off;
  if (n === (dir === 0 ? 307 : 210)) return b[off] === 0x04;
  if (n < 2 + ECIES_MIN + 64 || n > RLPX_MAX) return false;
  return u16(b, off) === n - 2 && b[off + 2] === 0x04;
}

interface EthState {
  /** The initiator's auth was seen (TCP). */
  auth: boolean;
}

/** Ethereum (nDPI's `ETHEREUM`): discovery v4 datagrams, RLPx handshakes. */
export const ethereum: Dissector<EthState> = {
  name: 'ETHEREUM',
  transport: 'both',
  // UDP: a discovery packet starts with its hash (any byte); TCP handshakes are longer still.
  first: { minLength: DISC_TYPE + 2 },
  state: () => ({ auth: false }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.flow.transport === 17) return isDiscv4(b, off, end) ? MATCH : REJECT;
    if (p.streamOffset !== 0) return REJECT;
    if (!isRlpxHandshake(b, off, end, p.dir)) return REJECT;
    if (p.dir === 1) return st.auth ? MATCH : REJECT; // the initiator speaks first
    st.auth = true;
    // Off the P2P ports one message is not enough: wait for the ack.
    return onEthPort(p.flow) ? MATCH : CONTINUE;
  },
};
