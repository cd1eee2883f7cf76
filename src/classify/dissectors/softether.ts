/**
 * SoftEther VPN's UDP acceleration and NAT traversal (nDPI: "Softether"). The servers answer a
 * client's probe with its public address as text, `IP=<address>,PORT=<port>`; the control
 * messages (NAT-T on UDP 5004) are SoftEther "PACK"s, typed name/value lists that must tile the
 * datagram exactly. Before them a client may send single-byte keep-alives ('A').
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, startsWith, u32, type Verdict } from '../dissector.js';

/** Keep-alive bytes tolerated before a message. */
const MAX_KEEPALIVES = 2;
/** Shortest PACK nDPI looks at. */
const MIN_PACK = 99;

/** True when `b[off, end)` is exactly `IP=<address>,PORT=<digits>`. Exported for tests. */
export function ipPortAnswer(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 13 || n > 60 || !startsWith(b, off, end, 'IP=')) return false;
  // The address: hex digits, dots and colons (IPv4 or IPv6).
  let i = off + 3;
  while (i < end && ((b[i]! >= 0x30 && b[i]! <= 0x3a) || b[i] === 0x2e || ((b[i]! | 0x20) >= 0x61 && (b[i]! | 0x20) <= 0x66))) i++;
  if (i - (off + 3) < 2 || !startsWith(b, i, end, ',PORT=')) return false;
  const d = i + 6;
  if (d === end || end - d > 5) return false;
  for (let j = d; j < end; j++) if (b[j]! < 0x30 || b[j]! > 0x39) return false;
  return true;
}

/** Elements, values and string sizes beyond these are not a PACK's. */
const MAX_ELEMENTS = 1024;
const MAX_NAME = 64;

/**
 * True when `b[off, end)` is exactly one PACK: an element count, then per element its name (a
 * 32-bit size counting one byte more than the name's characters, the printable name), its value
 * type (0 int, 1 data, 2 string, 3 Unicode string, 4 int64), its value count and the values
 * (4 or 8 bytes for numbers, a 32-bit size and the bytes for the others). Exported for tests.
 */
export function softEtherPack(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < MIN_PACK) return false;
  const count = u32(b, off);
  if (count === 0 || count > MAX_ELEMENTS) return false;
  let at = off + 4;
  for (let e = 0; e < count; e++) {
    if (end - at < 12) return false;
    const nameSize = u32(b, at);
    if (nameSize < 2 || nameSize > MAX_NAME + 1 || end - at < 4 + nameSize - 1 + 8) return false;
    for (let i = at + 4; i < at + 3 + nameSize; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return false;
    at += 3 + nameSize;
    const type = u32(b, at);
    const values = u32(b, at + 4);
    at += 8;
    if (type > 4 || values === 0 || values > MAX_ELEMENTS) return false;
    for (let v = 0; v < values; v++) {
      if (type === 0 || type === 4) {
        at += type === 0 ? 4 : 8;
      } else {
        if (end - at < 4) return false;
        at += 4 + u32(b, at);
      }
      if (at > end) return false;
    }
  }
  return at === end;
}

interface SoftEtherState {
  keepalives: number;
}

function inspectSoftEther(p: Payload, st: SoftEtherState): Verdict {
  const { b, off, end } = p;
  if (end - off === 1) return b[off] === 0x41 && ++st.keepalives <= MAX_KEEPALIVES ? CONTINUE : REJECT;
  return ipPortAnswer(b, off, end) || softEtherPack(b, off, end) ? MATCH : REJECT;
}

/** SoftEther: the address answer or a PACK, perhaps after keep-alive bytes. */
export const softEther: Dissector<SoftEtherState> = {
  name: 'Softether',
  transport: 'udp',
  // A PACK's element count (at most 1024) starts with 0; the address answer with 'I'; a keep-alive is 'A'.
  first: { bytes: byteSet(0x00, 'A', 'I') },
  state: () => ({ keepalives: 0 }),
  inspect: inspectSoftEther,
};
