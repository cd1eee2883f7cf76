/**
 * SOME/IP (AUTOSAR) on UDP and TCP. A 16-byte header: message id (service, method), a length
 * counting the bytes after it (request id, versions, type, return code and payload: at least
 * 8), request id (client, session), protocol version 1, interface version, a message type of
 * the specification (request, fire-and-forget, notification, response, error, each optionally
 * with the TP flag 0x20, and the 0x40/0x41 acknowledgements) and a return code of 0-0x5e.
 * A datagram or segment holds one or more messages back to back; they must end exactly at the
 * payload's end. As nDPI, only on SOME/IP's ports: the ports are a convention, but the header
 * holds little that other binary protocols could not show by chance.
 */
import { type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const HEADER = 16;
const PROTOCOL_VERSION = 1;
const MAX_LENGTH = 1 << 24;

const knownType = (t: number): boolean => {
  const base = t & ~0x20;
  return base === 0x00 || base === 0x01 || base === 0x02 || base === 0x80 || base === 0x81 || t === 0x40 || t === 0x41;
};

/** True when `b[off, end)` is one or more SOME/IP messages; with `cut`, the last may run past `end`. */
export function isSomeIpRun(b: Uint8Array, off: number, end: number, cut: boolean): boolean {
  if (end - off < HEADER) return false;
  let at = off;
  while (at < end) {
    if (end - at < HEADER) return false;
    const length = u32(b, at + 4);
    if (length < 8 || length > MAX_LENGTH || b[at + 12] !== PROTOCOL_VERSION || !knownType(b[at + 14]!) || b[at + 15]! > 0x5e) return false;
    at += 8 + length;
  }
  return at === end || cut;
}

/** SOME/IP's ports (service discovery 30490, nDPI's defaults 30491, 30501). */
const PORTS = new Set([30490, 30491, 30501]);

/**
 * SOMEIP: on its ports, the first payload of a direction is a run of well-formed messages ending
 * at its end (on TCP the last may run on into the next segment).
 */
export const someip: Dissector = {
  name: 'SOMEIP',
  transport: 'both',
  first: { minLength: 16 },
  accepts: (f) => PORTS.has(f.serverPort) || PORTS.has(f.clientPort),
  inspect: (p) => (isSomeIpRun(p.b, p.off, p.end, p.flow.transport === 6) ? MATCH : REJECT),
};
