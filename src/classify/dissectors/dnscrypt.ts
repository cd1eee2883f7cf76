/**
 * DNSCrypt (version 2, dnscrypt.info/protocol). Two things give it away on UDP:
 * - the certificate fetch: a DNS TXT query for `2.dnscrypt-cert.<provider>`;
 * - an encrypted exchange: the query is client magic (8) + client public key (32) + client
 *   nonce half (12) + box; the answer starts with the resolver magic `r6fnvWj8` followed by the
 *   full nonce, whose first half repeats the client's.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';
import { sameBytes, startsWithBytes } from './group-c-bytes.js';

const RESOLVER_MAGIC = Uint8Array.from([0x72, 0x36, 0x66, 0x6e, 0x76, 0x57, 0x6a, 0x38]); // "r6fnvWj8"
const CLIENT_NONCE_AT = 8 + 32;
const NONCE_HALF = 12;
/** Client magic, key, nonce half and at least the box's 16-byte tag. */
const MIN_QUERY = CLIENT_NONCE_AT + NONCE_HALF + 16;
/** Resolver magic, full nonce, tag. */
const MIN_ANSWER = 8 + 24 + 16;

/** The client nonce half of the first query, to compare with the answer. */
class DnscryptFlow {
  readonly nonce = new Uint8Array(NONCE_HALF);
  haveNonce = false;
}

/** A DNS query whose first labels are `2` and `dnscrypt-cert` (the certificate request). */
function isCertQuery(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 + 20) return false;
  const flags = u16(b, off + 2);
  if ((flags & 0xf800) !== 0 || u16(b, off + 4) !== 1 || u16(b, off + 6) !== 0) return false;
  let at = off + 12;
  if (b[at] !== 1 || b[at + 1] !== 0x32) return false;
  at += 2;
  const label = 'dnscrypt-cert';
  if (b[at] !== label.length) return false;
  for (let i = 0; i < label.length; i++) {
    const c = b[at + 1 + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== label.charCodeAt(i)) return false;
  }
  return true;
}

/** DNSCrypt: the certificate query, or an answer that echoes the query's nonce. */
export const dnscrypt: Dissector<DnscryptFlow> = {
  name: 'DNScrypt',
  transport: 'udp',
  state: () => new DnscryptFlow(),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.dir === 0) {
      if (p.index === 0 && isCertQuery(b, off, end)) return MATCH;
      if (p.index === 0 && end - off >= MIN_QUERY) {
        st.nonce.set(b.subarray(off + CLIENT_NONCE_AT, off + CLIENT_NONCE_AT + NONCE_HALF));
        st.haveNonce = true;
      }
      return p.index >= 2 ? REJECT : CONTINUE;
    }
    if (end - off < MIN_ANSWER || !startsWithBytes(b, off, end, RESOLVER_MAGIC)) return REJECT;
    // Without the query (one-way capture) the 8-byte magic has to do.
    return !st.haveNonce || sameBytes(b, off + 8, st.nonce, 0, NONCE_HALF) ? MATCH : REJECT;
  },
};
