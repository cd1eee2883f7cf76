/**
 * Elasticsearch's node-to-node transport protocol on TCP (port 9300; nDPI names it by this,
 * HTTP on 9200 stays HTTP). Every message starts with `ES` and an int32 message length (the
 * bytes after it; -1 is a ping, six bytes alone); then a request id (int64), a status byte
 * (request/response, error, compressed, handshake: bits 0-3) and the sender's version id, a
 * positive int32 (e.g. 7170099 for 7.17.0).
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u32 } from '../dissector.js';

const MAX_MESSAGE = 100 * 1024 * 1024;

/** True when `b[off, end)` starts with a transport message header (or is a ping). */
export function isEsTransport(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 6 || !startsWith(b, off, end, 'ES')) return false;
  const length = u32(b, off + 2);
  if (length === 0xffffffff) return end - off === 6;
  if (length < 13 || length > MAX_MESSAGE || end - off < 6 + 13) return false;
  const status = b[off + 14]!;
  const version = u32(b, off + 15);
  return (status & 0xf0) === 0 && version > 0 && version < 0x10000000;
}

/** Elasticsearch: either side's first payload is a transport message. */
export const elasticsearch: Dissector = {
  name: 'Elasticsearch',
  transport: 'tcp',
  first: { bytes: byteSet('E'), minLength: 6 },
  inspect: (p) => (isEsTransport(p.b, p.off, p.end) ? MATCH : REJECT),
};
