/**
 * BitTorrent: the peer wire handshake over TCP (BEP 3), and over UDP the DHT's KRPC messages
 * (BEP 5), uTP connection set-up (BEP 29), the UDP tracker's connect request (BEP 15) and
 * local service discovery (BEP 14).
 *
 * - Handshake: the byte 19 and `BitTorrent protocol`, from either peer, at the stream's start.
 * - KRPC: a bencoded dictionary (`d…e`) with the message-type key `1:y1:` followed by q, r or e.
 * - uTP: a SYN (type 4, version 1) and the answer: a STATE with the SYN's connection id that
 *   acknowledges the SYN's sequence number.
 * - Tracker connect: 16 bytes, the protocol id 0x41727101980 and action 0.
 * - Local service discovery: an HTTP-like `BT-SEARCH * HTTP/1.1` datagram.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, indexOf, startsWith, u16, u32 } from '../dissector.js';

const HANDSHAKE = '\x13BitTorrent protocol';
const UTP_HEADER = 20;
const UTP_SYN = 0x41;
const UTP_STATE = 0x21;

/** A KRPC message (bencoded dictionary with a `y` key of q, r or e) filling `b[off, end)`. */
export function isKrpc(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 || b[off] !== 0x64 /* d */ || b[end - 1] !== 0x65 /* e */) return false;
  const c = b[off + 1]!;
  if (c < 0x31 || c > 0x39 || b[off + 2] !== 0x3a) return false; // a key: `<digit>:`
  const y = indexOf(b, off, end, '1:y1:');
  if (y < 0 || y + 5 >= end) return false;
  const t = b[y + 5];
  return t === 0x71 || t === 0x72 || t === 0x65; // q r e
}

/** A UDP tracker connect request. */
const isTrackerConnect = (b: Uint8Array, off: number, end: number): boolean =>
  end - off === 16 && u32(b, off) === 0x417 && u32(b, off + 4) === 0x27101980 && u32(b, off + 8) === 0;

interface BtState {
  /** uTP SYN seen from the client: its connection id and sequence number (-1: none). */
  synId: number;
  synSeq: number;
}

/** BitTorrent over TCP and UDP. */
export const bittorrent: Dissector<BtState> = {
  name: 'BitTorrent',
  transport: 'both',
  state: () => ({ synId: -1, synSeq: -1 }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.flow.transport === 6) {
      if (p.streamOffset === 0 && startsWith(b, off, end, HANDSHAKE)) return MATCH;
      return p.index >= 1 || p.dir === 0 ? REJECT : CONTINUE;
    }
    if (isKrpc(b, off, end) || isTrackerConnect(b, off, end) || startsWith(b, off, end, 'BT-SEARCH * HTTP/1.1\r\n')) return MATCH;
    if (end - off >= UTP_HEADER && b[off + 1]! <= 2) {
      const type = b[off]!;
      if (type === UTP_SYN && p.dir === 0 && st.synId < 0) {
        st.synId = u16(b, off + 2);
        st.synSeq = u16(b, off + 16);
        return CONTINUE;
      }
      if (type === UTP_STATE && p.dir === 1 && st.synId >= 0) {
        return u16(b, off + 2) === st.synId && u16(b, off + 18) === st.synSeq ? MATCH : REJECT;
      }
    }
    return p.index >= 1 ? REJECT : CONTINUE;
  },
};
