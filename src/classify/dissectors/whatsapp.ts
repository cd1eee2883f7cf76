/**
 * WhatsApp's chat connection (TCP 443 or 5222): the client opens with a 4-byte prologue —
 * `WA` and the protocol's version bytes, or `ED\0\1` for an edge-routed connection — followed
 * by frames that each start with a 24-bit big-endian length. The prologue and the first
 * frame's length (which must fit the data the segment holds, or run past it) are checked.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const PROLOGUE = 4;
const MAX_FRAME = 0x100000;

/** A WhatsApp prologue and first frame header at `b[off, end)`. */
export function isWhatsAppStart(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < PROLOGUE + 3) return false;
  const wa = b[off] === 0x57 && b[off + 1] === 0x41 && b[off + 2]! >= 1 && b[off + 2]! <= 9 && b[off + 3]! <= 9;
  const ed = b[off] === 0x45 && b[off + 1] === 0x44 && b[off + 2] === 0 && b[off + 3] === 1;
  if (!wa && !ed) return false;
  const len = (b[off + 4]! << 16) | (b[off + 5]! << 8) | b[off + 6]!;
  return len > 0 && len <= MAX_FRAME;
}

/** WhatsApp over TCP: the client's first bytes. */
export const whatsapp: Dissector = {
  name: 'WhatsApp',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && isWhatsAppStart(p.b, p.off, p.end) ? MATCH : REJECT;
  },
};
