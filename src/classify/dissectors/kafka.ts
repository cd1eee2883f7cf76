/**
 * Apache Kafka on TCP (nDPI: `Kafka`). Every request is a 4-byte size (the bytes that follow)
 * then a header: api_key (int16, 0 Produce … 74 in Kafka 3.x), api_version (int16), a
 * correlation id (int32) and the client id (int16 length, then that many bytes, -1 for null).
 * The first request of a connection names it when the header holds together: a known api key,
 * a version in range, a printable client id inside the request, and a size that covers at least
 * the header (the request may run past the payload: a produce batch in several segments).
 */
import { byteSet, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';
import { isPrintableAscii } from './group-d-bytes.js';

const MAX_API_KEY = 74;
const MAX_API_VERSION = 16;
const HEADER = 14;
const MAX_REQUEST = 100 * 1024 * 1024;

/** True when `b[off, end)` starts with a Kafka request header that agrees with its size. */
export function isKafkaRequest(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER) return false;
  const size = u32(b, off);
  if (size > MAX_REQUEST || u16(b, off + 4) > MAX_API_KEY || u16(b, off + 6) > MAX_API_VERSION) return false;
  const idLength = u16(b, off + 12);
  // A null client id (-1) is legal but leaves nothing to check: it is not enough.
  if (idLength === 0 || idLength === 0xffff || HEADER + idLength > size + 4 || off + HEADER + idLength > end) return false;
  if (!isPrintableAscii(b, off + HEADER, off + HEADER + idLength)) return false;
  // More bytes than this request: the next must at least start with a sane size.
  const next = off + 4 + size;
  return next >= end || (next + 4 <= end && u32(b, next) >= HEADER - 4 && u32(b, next) <= MAX_REQUEST);
}

/** Kafka: the client's first payload is a request header (the server answers, never opens). */
export const kafka: Dissector = {
  name: 'Kafka',
  transport: 'tcp',
  // The size's top byte (at most 100 MiB); header and a one-byte client id.
  first: { bytes: byteSet([0, 6]), minLength: 15 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isKafkaRequest(p.b, p.off, p.end) ? MATCH : REJECT),
};
