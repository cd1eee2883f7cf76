/**
 * DTLS (RFC 6347, RFC 9147's legacy record header): datagrams made of whole records
 * `type(1) version(2) epoch(2) sequence(6) length(2) fragment`, the records tiling the datagram
 * exactly. Versions: 1.0 (0xfeff), 1.2 (0xfefd), 1.3's legacy value (0xfefc) and OpenSSL's
 * pre-standard 0x0100. Handshake records of epoch 0 must hold a handshake message whose length
 * fits. Any datagram of a session can be recognised, so flows picked up in their middle are too.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const RECORD_HEADER = 13;
const HANDSHAKE = 22;

const knownVersion = (v: number): boolean => v === 0xfeff || v === 0xfefd || v === 0xfefc || v === 0x0100;

/** True when `b[off, end)` is one or more whole DTLS records. */
export function isDtlsDatagram(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < RECORD_HEADER + 1) return false;
  let o = off;
  while (o < end) {
    if (end - o < RECORD_HEADER) return false;
    const type = b[o]!;
    if (type < 20 || type > 24 || !knownVersion(u16(b, o + 1))) return false;
    const len = u16(b, o + 11);
    const next = o + RECORD_HEADER + len;
    if (len === 0 || next > end) return false;
    // A clear handshake message: type 1..24 and a 24-bit length within the record.
    if (type === HANDSHAKE && u16(b, o + 3) === 0) {
      if (len < 12 || b[o + 13]! < 1 || b[o + 13]! > 24) return false;
      const fragLen = (b[o + 22]! << 16) | (b[o + 23]! << 8) | b[o + 24]!;
      if (fragLen + 12 > len) return false;
    }
    o = next;
  }
  return true;
}

/** DTLS over UDP. */
export const dtls: Dissector = {
  name: 'DTLS',
  transport: 'udp',
  inspect: (p) => (isDtlsDatagram(p.b, p.off, p.end) ? MATCH : p.index >= 1 ? REJECT : CONTINUE),
};
