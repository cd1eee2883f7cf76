/**
 * IPsec over UDP: IKE (ISAKMP, RFC 2408 / IKEv2 RFC 7296) on 500 and, behind NAT, on 4500
 * (RFC 3948) after a 4-byte zero non-ESP marker; ESP in UDP on 4500 (SPI, sequence number,
 * encrypted payload). IP protocols 50/51 are named by number elsewhere.
 *
 * An IKE header is: initiator SPI (8, never zero), responder SPI (8), next payload, version
 * (1.0 or 2.0), exchange type, flags, message id (4) and the message length (4), which must be
 * the datagram's. ESP is recognised from two datagrams of one direction with the same SPI and
 * sequence numbers moving forward by a little.
 */
import { CONTINUE, type Dissector, MATCH, onPort, REJECT, u32 } from '../dissector.js';

const IKE_HEADER = 28;
const NAT_T_PORT = 4500;
const MAX_SEQ_STEP = 64;

/** Payload types that may follow an IKEv1 header (RFC 2408, RFC 3947 NAT-D/NAT-OA, private use). */
const v1Payload = (t: number): boolean => t <= 13 || t === 20 || t === 21 || t >= 128;
/**
 * Payload types that may follow an IKEv2 header: none, RFC 7296's 33.. and what came later or is
 * vendor-specific (an implementation in the corpus starts its IKE_AUTH with 127).
 */
const v2Payload = (t: number): boolean => t === 0 || t >= 33;

/** True when `b[off, end)` is exactly one IKE message. */
export function isIkeMessage(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < IKE_HEADER || (u32(b, off) === 0 && u32(b, off + 4) === 0)) return false;
  if (u32(b, off + 24) !== n) return false;
  const next = b[off + 16]!;
  const version = b[off + 17]!;
  const exchange = b[off + 18]!;
  if (version === 0x10) return v1Payload(next) && ((exchange >= 1 && exchange <= 5) || (exchange >= 32 && exchange <= 34));
  if (version === 0x20) return v2Payload(next) && ((exchange >= 34 && exchange <= 37) || exchange === 43);
  return false;
}

/** Per direction: the last ESP SPI and sequence number seen. */
class IpsecFlow {
  readonly spi = [0, 0];
  readonly seq = [0, 0];
}

/** IPSec: an IKE message (500, or 4500 behind the marker) or an ESP run on 4500. */
export const ipsec: Dissector<IpsecFlow> = {
  name: 'IPSec',
  transport: 'udp',
  state: () => new IpsecFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (isIkeMessage(b, off, end)) return MATCH;
    if (!onPort(p.flow, NAT_T_PORT)) return REJECT;
    // NAT keepalive: one 0xFF byte.
    if (n === 1 && b[off] === 0xff) return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
    if (n < 16) return REJECT;
    const spi = u32(b, off);
    if (spi === 0) return isIkeMessage(b, off + 4, end) ? MATCH : REJECT;
    // SPIs 1..255 are reserved (RFC 4303).
    if (spi < 256) return REJECT;
    const seq = u32(b, off + 4);
    const d = p.dir;
    if (st.spi[d] === spi && seq > st.seq[d]! && seq - st.seq[d]! <= MAX_SEQ_STEP) return MATCH;
    st.spi[d] = spi;
    st.seq[d] = seq;
    return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
  },
};
