/**
 * AFP over TCP: the Data Stream Interface (DSI) frames every message with a 16-byte header —
 * flags (0 request, 1 reply), command (1 CloseSession, 2 Command, 3 GetStatus, 4 OpenSession,
 * 5 Tickle, 6 Write, 8 Attention), request id, error code or data offset, total data length and
 * 4 reserved zero bytes. A request and the reply with the same command and request id make AFP.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';

const HEADER = 16;
const COMMANDS = new Set([1, 2, 3, 4, 5, 6, 8]);

/** The DSI header at `off` as (command << 16 | request id), or -1 when it is not one of `flags`. */
export function dsiHeader(b: Uint8Array, off: number, end: number, flags: number): number {
  const n = end - off;
  if (n < HEADER || b[off] !== flags || !COMMANDS.has(b[off + 1]!) || u32(b, off + 12) !== 0) return -1;
  const len = u32(b, off + 8);
  if (len > 0x100000 || (len !== n - HEADER && !(len > n - HEADER && n >= 536))) return -1;
  return (b[off + 1]! << 16) | u16(b, off + 2);
}

/** The client's first request (command and id), -1 before it. */
interface AfpState {
  request: number;
}

/** AFP/DSI: a request answered by its reply. */
export const afp: Dissector<AfpState> = {
  name: 'AFP',
  transport: 'tcp',
  // A request (flags 0): a reply with no request before it is rejected.
  first: { bytes: byteSet(0x00), minLength: 16 },
  state: () => ({ request: -1 }),
  inspect(p, st) {
    if (p.streamOffset !== 0) return REJECT;
    const h = dsiHeader(p.b, p.off, p.end, p.dir);
    if (h < 0) return REJECT;
    if (p.dir === 0) {
      st.request = h;
      return CONTINUE;
    }
    return h === st.request ? MATCH : REJECT;
  },
};
