/**
 * FastCGI (TCP): records with an 8-byte header — version 1, type 1..11, request id, content
 * length, padding length, a reserved byte. A request starts with BEGIN_REQUEST (type 1, 8 bytes
 * of content, role 1..3), then PARAMS (type 4) as name/value pairs whose lengths take one byte,
 * or four with the top bit set. The `HTTP_HOST` (else `SERVER_NAME`) parameter is the host.
 * Decided on the client's second segment (where the PARAMS usually are), or the server's reply.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, startsWith, u16, u32 } from '../dissector.js';

const BEGIN_REQUEST = 1;
const PARAMS = 4;

/** Reads a name/value length at `o`: [length, bytes used], or undefined past `end`. */
function pairLength(b: Uint8Array, o: number, end: number): [number, number] | undefined {
  if (o >= end) return undefined;
  if (b[o]! < 0x80) return [b[o]!, 1];
  if (o + 4 > end) return undefined;
  return [u32(b, o) & 0x7fffffff, 4];
}

/** The host parameter among the name/value pairs of `b[o, end)`, or ''. */
function hostParam(b: Uint8Array, o: number, end: number): string {
  let fallback = '';
  for (let n = 0; n < 128 && o < end; n++) {
    const nl = pairLength(b, o, end);
    if (nl === undefined) break;
    const vl = pairLength(b, o + nl[1], end);
    if (vl === undefined) break;
    const name = o + nl[1] + vl[1];
    const value = name + nl[0];
    if (value + vl[0] > end) break;
    const host = startsWith(b, name, value, 'HTTP_HOST') && nl[0] === 9;
    const server = startsWith(b, name, value, 'SERVER_NAME') && nl[0] === 11;
    if ((host || server) && vl[0] > 0 && vl[0] <= 255) {
      let s = '';
      for (let i = value; i < value + vl[0]; i++) s += String.fromCharCode(b[i]!);
      if (host) return s;
      fallback = s;
    }
    o = value + vl[0];
  }
  return fallback;
}

/** Whether BEGIN_REQUEST was seen, and the stream offset where the next record starts. */
interface FcgiState {
  begun: boolean;
  next: number;
}

/** Walks the records of a client payload from `o`: false when one is malformed. */
function records(p: Payload, st: FcgiState, o: number): boolean {
  const { b, end } = p;
  for (let n = 0; n < 16 && o + 8 <= end; n++) {
    const type = b[o]! === 1 ? b[o + 1]! : 0;
    if (type < 1 || type > 11 || b[o + 7] !== 0) return false;
    const len = u16(b, o + 4);
    const body = o + 8;
    if (type === BEGIN_REQUEST) {
      if (len !== 8 || body + 2 > end || u16(b, body) < 1 || u16(b, body) > 3) return false;
      st.begun = true;
    } else if (type === PARAMS && st.begun && len > 0) {
      const host = hostParam(b, body, Math.min(end, body + len));
      if (host !== '') p.host(host);
    } else if (!st.begun) return false;
    o = body + len + b[o + 6]!;
  }
  st.next = p.streamOffset + (o - p.off);
  return true;
}

/** FastCGI: a BEGIN_REQUEST from the client, then its PARAMS (for the host). */
export const fastcgi: Dissector<FcgiState> = {
  name: 'FastCGI',
  transport: 'tcp',
  // Only the client opens: a BEGIN_REQUEST record (version 1) with its role.
  first: { bytes: byteSet(1), minLength: 10 },
  state: () => ({ begun: false, next: -1 }),
  inspect(p, st) {
    if (p.dir !== 0) return st.begun ? MATCH : p.packets[0] === 0 ? REJECT : CONTINUE;
    if (p.streamOffset === 0) return records(p, st, p.off) && st.begun ? CONTINUE : REJECT;
    // The next client segment: when it starts on a record boundary, that record must be sound.
    if (p.streamOffset === st.next && (p.end - p.off < 8 || !records(p, st, p.off))) return REJECT;
    return MATCH;
  },
};
