/**
 * iSCSI (RFC 7143, TCP 3260): a session opens with the initiator's Login Request — a 48-byte
 * basic header with opcode 0x43 (immediate login), version-max >= version-min, a 24-bit data
 * segment length — followed by text key=value pairs such as `InitiatorName=` or `SessionType=`.
 */
import { byteSet, type Dissector, indexOf, MATCH, REJECT } from '../dissector.js';

const KEYS = ['InitiatorName=', 'SessionType=', 'AuthMethod=', 'TargetName='];

/** True when `b[off, end)` starts with an iSCSI Login Request carrying login keys. */
export function isIscsiLogin(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 48 + 8 || b[off] !== 0x43 || b[off + 2]! < b[off + 3]! || b[off + 4] !== 0) return false;
  const dataLen = (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!;
  if (dataLen < 8 || dataLen > 65536) return false;
  const data = off + 48;
  const stop = Math.min(end, data + dataLen);
  return KEYS.some((k) => indexOf(b, data, stop, k) >= 0);
}

/** iSCSI: the initiator's login. */
export const iscsi: Dissector = {
  name: 'iSCSI',
  transport: 'tcp',
  first: { bytes: byteSet(0x43), minLength: 56 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isIscsiLogin(p.b, p.off, p.end) ? MATCH : REJECT),
};
