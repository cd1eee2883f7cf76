/**
 * eDonkey / eMule over TCP: every message is `protocol(1) length(4, little-endian) opcode …`
 * where the protocol byte is 0xe3 (eDonkey), 0xc5 (eMule extensions) or 0xd4 (zlib-packed), and
 * the length counts the bytes after the length field (opcode included). The first message of
 * the client (usually Hello, opcode 0x01) must fill its segment exactly or run past it.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u32le } from '../dissector.js';

const HEADER = 5;
/** Larger messages exist (file parts), but a first message is a hello or a request. */
const MAX_FIRST = 0x40000;

/** An eDonkey message header whose length agrees with `b[off, end)`. */
export function isEdonkeyStart(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + 1) return false;
  const proto = b[off];
  if (proto !== 0xe3 && proto !== 0xc5 && proto !== 0xd4) return false;
  const len = u32le(b, off + 1);
  return len >= 1 && len <= MAX_FIRST && len === end - off - HEADER;
}

/** eDonkey (nDPI's `eDonkey`) over TCP: the first payload of either side. */
export const edonkey: Dissector = {
  name: 'eDonkey',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset === 0 && isEdonkeyStart(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || p.packets[1 - p.dir] > 0 ? REJECT : CONTINUE;
  },
};
