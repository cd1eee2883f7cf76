/**
 * RTSP (RFC 2326, RFC 7826): a request line `METHOD rtsp://… RTSP/1.0` or `RTSP/2.0`, or a
 * status line `RTSP/1.0 200 …`, at the start of either direction of a TCP stream (or of a UDP
 * datagram, which RTSP 1.0 allows).
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const METHODS = ['OPTIONS ', 'DESCRIBE ', 'ANNOUNCE ', 'SETUP ', 'PLAY ', 'PAUSE ', 'TEARDOWN ', 'GET_PARAMETER ', 'SET_PARAMETER ', 'REDIRECT ', 'RECORD ', 'PLAY_NOTIFY '];
/** How far into the payload the request line's end is looked for. */
const MAX_LINE = 1024;

/** True when the line starting at `o` (within `end`) carries ` RTSP/1.` or ` RTSP/2.` before its CR LF. */
function lineHasVersion(b: Uint8Array, o: number, end: number): boolean {
  const last = Math.min(end, o + MAX_LINE);
  for (let i = o; i + 8 <= last; i++) {
    if (b[i] === 0x0d || b[i] === 0x0a) return false;
    if (b[i] === 0x20 && startsWith(b, i + 1, last, 'RTSP/') && (b[i + 6] === 0x31 || b[i + 6] === 0x32) && b[i + 7] === 0x2e) return true;
  }
  return false;
}

/** An RTSP request or status line at `b[off, end)`. */
export function isRtspStart(b: Uint8Array, off: number, end: number): boolean {
  if (startsWith(b, off, end, 'RTSP/1.') || startsWith(b, off, end, 'RTSP/2.')) return end - off >= 12 && b[off + 8] === 0x20;
  for (const m of METHODS) if (startsWith(b, off, end, m)) return lineHasVersion(b, off + m.length - 1, end);
  return false;
}

/** RTSP over TCP or UDP. */
export const rtsp: Dissector = {
  name: 'RTSP',
  transport: 'both',
  // The client's opening decides: a method (upper case) or a status line, with its version.
  first: { dir: 0, bytes: byteSet('ROADSPTG'), minLength: 12 },
  inspect(p) {
    if (p.streamOffset === 0 && isRtspStart(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || p.dir === 0 ? REJECT : CONTINUE;
  },
};
