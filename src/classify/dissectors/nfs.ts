/**
 * NFS: ONC RPC (RFC 5531) calls to program 100003, versions 2..4 — over TCP after a record
 * mark (last-fragment bit and a length that fits), over UDP bare. A call is xid, message type 0,
 * RPC version 2, program, version, procedure, then credentials (flavor and a length under 400).
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const NFS_PROGRAM = 100003;

/** True when `b[o, end)` is an ONC RPC call to NFS. */
export function isNfsCall(b: Uint8Array, o: number, end: number): boolean {
  if (end - o < 40 || u32(b, o + 4) !== 0 || u32(b, o + 8) !== 2 || u32(b, o + 12) !== NFS_PROGRAM) return false;
  const version = u32(b, o + 16);
  if (version < 2 || version > 4 || u32(b, o + 20) > 100) return false;
  return u32(b, o + 24) <= 6 && u32(b, o + 28) <= 400;
}

/** NFS calls from the client (the first payload). */
export const nfs: Dissector = {
  name: 'NFS',
  transport: 'both',
  // The client's opening decides: an RPC call header (its xid may start with any byte).
  first: { dir: 0, minLength: 40 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir === 0 && p.streamOffset === 0) {
      if (p.flow.transport === 17) return isNfsCall(b, off, end) ? MATCH : REJECT;
      if (end - off < 44) return REJECT;
      const mark = u32(b, off);
      const len = mark & 0x7fffffff;
      return len >= 40 && (len <= end - off - 4 || end - off >= 536) && isNfsCall(b, off + 4, end) ? MATCH : REJECT;
    }
    return p.packets[0] > 0 ? REJECT : CONTINUE;
  },
};
