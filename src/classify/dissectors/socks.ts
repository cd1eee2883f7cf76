/**
 * SOCKS proxies, named from their opening exchange:
 * - SOCKS5 (RFC 1928): the client's greeting `05 NMETHODS METHODS…` (exactly 2 + NMETHODS
 *   bytes), answered by `05 METHOD` where METHOD is one the client offered or 0xFF (none);
 * - SOCKS4/4a: the client's `04 CMD PORT IPV4 USERID\0 [HOST\0]` (CMD connect or bind),
 *   answered by the 8-byte `00 5A..5D PORT IPV4`.
 * Both directions must agree: a lone first byte of 5 or 4 says too little.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

/** Which greeting the client sent, and (SOCKS5) the methods it offered as a bit set over 0..255. */
class SocksFlow {
  version = 0;
  readonly methods = new Uint32Array(8);
}

/** SOCKS5 method numbers in use: the assigned ones, the private range, and "no acceptable". */
const knownMethod = (m: number): boolean => m <= 0x09 || m >= 0x80;

function client5(b: Uint8Array, off: number, end: number, st: SocksFlow): boolean {
  const n = b[off + 1]!;
  if (n === 0 || end - off !== 2 + n) return false;
  for (let i = 0; i < n; i++) {
    const m = b[off + 2 + i]!;
    if (!knownMethod(m) || m === 0xff) return false;
    st.methods[m >> 5] = st.methods[m >> 5]! | (1 << (m & 31));
  }
  return true;
}

function client4(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  // Version, command, port, address, then a NUL-terminated user id (and a host name for 4a).
  if (n < 9 || n > 512 || (b[off + 1] !== 1 && b[off + 1] !== 2) || b[end - 1] !== 0) return false;
  const socks4a = b[off + 4] === 0 && b[off + 5] === 0 && b[off + 6] === 0 && b[off + 7] !== 0;
  let nuls = 0;
  for (let i = off + 8; i < end; i++) if (b[i] === 0) nuls++;
  return nuls === (socks4a ? 2 : 1);
}

/** SOCKS: a valid greeting from the client and the matching answer from the server. */
export const socks: Dissector<SocksFlow> = {
  name: 'SOCKS',
  transport: 'tcp',
  state: () => new SocksFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    // The client may go on (a SOCKS5 request) before the answer shows: keep waiting for it.
    if (p.streamOffset !== 0) return p.dir === 0 && st.version !== 0 ? CONTINUE : REJECT;
    if (p.dir === 0) {
      if (end - off < 2) return REJECT;
      if (b[off] === 5 && client5(b, off, end, st)) st.version = 5;
      else if (b[off] === 4 && client4(b, off, end)) st.version = 4;
      else return REJECT;
      return CONTINUE;
    }
    if (st.version === 0) return p.packets[0] === 0 ? CONTINUE : REJECT;
    if (st.version === 5) {
      if (end - off !== 2 || b[off] !== 5) return REJECT;
      const m = b[off + 1]!;
      return m === 0xff || (st.methods[m >> 5]! & (1 << (m & 31))) !== 0 ? MATCH : REJECT;
    }
    return end - off === 8 && b[off] === 0 && b[off + 1]! >= 0x5a && b[off + 1]! <= 0x5d ? MATCH : REJECT;
  },
};
