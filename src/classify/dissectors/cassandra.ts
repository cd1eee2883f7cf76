/**
 * Cassandra's CQL native protocol (TCP 9042): a 9-byte frame header — version 3..5 (with the
 * response bit 0x80 from the server), flags, a 16-bit stream id, an opcode and the body length.
 * A connection opens with OPTIONS (0x05) or STARTUP (0x01, carrying `CQL_VERSION`).
 */
import { CONTINUE, type Dissector, indexOf, MATCH, REJECT, u32 } from '../dissector.js';

/** True when `b[off, end)` is a client's first CQL frame (OPTIONS or STARTUP), exactly. */
export function isCqlOpening(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 9 || b[off]! < 3 || b[off]! > 5 || b[off + 1]! > 0x1f) return false;
  const op = b[off + 4]!;
  const len = u32(b, off + 5);
  if (len !== n - 9) return false;
  if (op === 0x05) return len === 0;
  return op === 0x01 && indexOf(b, off + 9, end, 'CQL_VERSION') >= 0;
}

/** Cassandra: the client's opening frame. */
export const cassandra: Dissector = {
  name: 'Cassandra',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 0 && p.streamOffset === 0) return isCqlOpening(p.b, p.off, p.end) ? MATCH : REJECT;
    return p.packets[0] > 0 ? REJECT : CONTINUE;
  },
};
