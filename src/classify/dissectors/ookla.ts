/**
 * Ookla Speedtest's own TCP protocol (nDPI: `Ookla`): newline-ended text commands. The client
 * opens with `HI` (or `HI <guid>`), the server answers `HELLO <version> (<build>) <date> …`; then
 * `GETIP`, `CAPABILITIES`, `PING <ms>`, `DOWNLOAD <n>`, `UPLOAD <n> <m>` and their answers.
 *
 * A client opening names the flow on Speedtest's ports (8080, and 5060 where servers dodge
 * proxies); elsewhere the server's `HELLO` reply must confirm it.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { isPrintableAscii, lineFeed, wordAt } from './group-d-bytes.js';

const PORTS = new Set([8080, 5060]);
const MAX_LINE = 256;

/** True when `b[off, end)` is one line: the ASCII word `w`, then `\n` or a space and printable text to `\n`. */
function commandLine(b: Uint8Array, off: number, end: number, w: string): boolean {
  if (!wordAt(b, off, end, w, ' \r\n')) return false;
  const lf = lineFeed(b, off, end, MAX_LINE);
  return lf === end - 1 && isPrintableAscii(b, off, b[lf - 1] === 0x0d ? lf - 1 : lf);
}

/** True for the client's opening: `HI`, `GETIP` or `CAPABILITIES`, alone on its line. */
export const isOoklaHello = (b: Uint8Array, off: number, end: number): boolean =>
  commandLine(b, off, end, 'HI') || commandLine(b, off, end, 'GETIP') || commandLine(b, off, end, 'CAPABILITIES');

/** True for the server's greeting: `HELLO ` and a version, on one line. */
export const isOoklaGreeting = (b: Uint8Array, off: number, end: number): boolean => commandLine(b, off, end, 'HELLO') && end - off > 8;

interface OoklaState {
  hi: boolean;
}

/** Ookla: `HI` on 8080/5060, or `HI` answered by `HELLO`. */
export const ookla: Dissector<OoklaState> = {
  name: 'Ookla',
  transport: 'tcp',
  // The server's HELLO only counts after the client's HI: a first payload must be the client's.
  first: { bytes: byteSet('HGC'), minLength: 3 },
  state: () => ({ hi: false }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.dir === 1) return st.hi && isOoklaGreeting(b, off, end) ? MATCH : REJECT;
    if (p.index > 0 || !isOoklaHello(b, off, end)) return REJECT;
    if (PORTS.has(p.flow.serverPort)) return MATCH;
    st.hi = true;
    return CONTINUE;
  },
};
