/**
 * SSDP, UPnP discovery (HTTP over UDP, UPnP Device Architecture §1): `M-SEARCH * HTTP/1.1` and
 * `NOTIFY * HTTP/1.1` requests, and `HTTP/1.1 200 OK` search responses carrying an `ST:` or
 * `USN:` header. nDPI reports a request's `HOST:` header (e.g. `239.255.255.250:1900`) as the host.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, startsWithNoCase } from '../dissector.js';

/** The end of the line starting at `o` (the index of its CR or LF, or `end`). */
function lineEnd(b: Uint8Array, o: number, end: number): number {
  while (o < end && b[o] !== 0x0d && b[o] !== 0x0a) o++;
  return o;
}

/** The start of the next line after the one ending at `o`. */
function nextLine(b: Uint8Array, o: number, end: number): number {
  if (o < end && b[o] === 0x0d) o++;
  if (o < end && b[o] === 0x0a) o++;
  return o;
}

/**
 * The value of header `name` (with its colon, e.g. `HOST:`) in the header lines from `o`, with
 * surrounding blanks removed; undefined when absent. Reads at most 32 lines.
 */
export function headerValue(b: Uint8Array, o: number, end: number, name: string): string | undefined {
  for (let n = 0; n < 32 && o < end; n++) {
    const e = lineEnd(b, o, end);
    if (e === o) return undefined; // blank line: end of headers
    if (startsWithNoCase(b, o, e, name)) {
      let s = o + name.length;
      let t = e;
      while (s < t && (b[s] === 0x20 || b[s] === 0x09)) s++;
      while (t > s && (b[t - 1] === 0x20 || b[t - 1] === 0x09)) t--;
      let v = '';
      for (let i = s; i < t; i++) v += String.fromCharCode(b[i]!);
      return v;
    }
    o = nextLine(b, e, end);
  }
  return undefined;
}

/** SSDP requests and search responses. */
export const ssdp: Dissector = {
  name: 'SSDP',
  transport: 'udp',
  first: { bytes: byteSet('MNH'), minLength: 13 },
  inspect(p) {
    const { b, off, end } = p;
    const request = startsWith(b, off, end, 'M-SEARCH * HTTP/1.') || startsWith(b, off, end, 'NOTIFY * HTTP/1.');
    if (request) {
      const host = headerValue(b, nextLine(b, lineEnd(b, off, end), end), end, 'HOST:');
      if (host !== undefined && host !== '') p.host(host);
      return MATCH;
    }
    if (startsWith(b, off, end, 'HTTP/1.1 200 ')) {
      const h = nextLine(b, lineEnd(b, off, end), end);
      if (headerValue(b, h, end, 'ST:') !== undefined || headerValue(b, h, end, 'USN:') !== undefined) return MATCH;
    }
    return REJECT;
  },
};
