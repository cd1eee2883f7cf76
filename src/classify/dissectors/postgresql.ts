/**
 * PostgreSQL's frontend/backend protocol: the client opens with a length-prefixed startup
 * packet — StartupMessage (protocol 3.0, then NUL-terminated parameters starting with a known
 * name), SSLRequest, GSSENCRequest or CancelRequest (16 bytes), each with a 32-bit length equal
 * to the packet's.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u32 } from '../dissector.js';

const PROTOCOL_3 = 0x00030000;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PARAMS = ['user\0', 'database\0', 'application_name\0', 'client_encoding\0', 'options\0', 'replication\0'];

/** True when `b[off, end)` is a PostgreSQL startup packet. */
export function isPgStartup(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 8 || u32(b, off) !== n) return false;
  const code = u32(b, off + 4);
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) return n === 8;
  if (code === CANCEL_REQUEST) return n === 16;
  if (code !== PROTOCOL_3 || n < 10 || b[end - 1] !== 0) return false;
  return PARAMS.some((s) => startsWith(b, off + 8, end, s));
}

/** PostgreSQL, on the client's first packet. */
export const postgresql: Dissector = {
  name: 'PostgreSQL',
  transport: 'tcp',
  // A 32-bit length equal to the payload's: its high byte is 0 for any payload under 16 MiB.
  first: { bytes: byteSet(0), minLength: 8 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isPgStartup(p.b, p.off, p.end) ? MATCH : REJECT),
};
