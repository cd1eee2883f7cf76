/**
 * TP-Link Smart Home Protocol (Kasa plugs and bulbs, port 9999): JSON "encrypted" with an
 * autokey XOR whose first key is 171 — each byte is XORed with the previous cipher byte. Over
 * UDP the datagram is the cipher text; over TCP it follows a 32-bit big-endian length.
 * Decrypted, the message must start like a JSON object: `{"` and a key of word characters.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, u32 } from '../dissector.js';

const PORT = 9999;
const FIRST_KEY = 171;
/** Characters decrypted to check the JSON start. */
const PROBE = 6;

/** True when `b[off, end)` decrypts to the start of a JSON object with a word key. */
export function isShpCipher(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < PROBE) return false;
  let key = FIRST_KEY;
  for (let i = 0; i < PROBE; i++) {
    const c = b[off + i]!;
    const plain = c ^ key;
    key = c;
    if (i === 0 ? plain !== 0x7b : i === 1 ? plain !== 0x22 : !isKeyChar(plain)) return false;
  }
  return true;
}

const isKeyChar = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x22;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** TP-Link Smart Home Protocol (nDPI's `TPLINK_SHP`) on port 9999. */
export const tplinkShp: Dissector = {
  name: 'TPLINK_SHP',
  transport: 'both',
  // TCP: the length's high byte (at most 0x10000); UDP: '{' XORed with the first key 171.
  first: { bytes: byteSet(0x00, 0xd0), minLength: 6 },
  accepts: onPort,
  inspect(p) {
    const { b, off, end } = p;
    if (p.flow.transport === 17) return isShpCipher(b, off, end) ? MATCH : REJECT;
    if (p.streamOffset !== 0 || end - off < 4 + PROBE) return REJECT;
    const len = u32(b, off);
    return len > 0 && len <= 0x10000 && isShpCipher(b, off + 4, end) ? MATCH : REJECT;
  },
};
