/**
 * IRC (RFC 1459/2812) on any port: a client registers with `NICK`, `USER`, `PASS` or `CAP LS`
 * lines; a server speaks lines prefixed with `:<server> ` followed by a command or a three-digit
 * numeric reply (`NOTICE`, `001` …). Every line checked must end with LF.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const CLIENT = ['NICK ', 'USER ', 'PASS ', 'CAP LS', 'CAP REQ '];
const SERVER_COMMANDS = ['NOTICE ', 'PRIVMSG ', 'PING ', 'MODE ', 'JOIN ', 'ERROR '];

/** The end of the first line (index of its LF), or -1 when it has none or holds control bytes. */
function firstLine(b: Uint8Array, off: number, end: number): number {
  for (let i = off; i < end && i < off + 512; i++) {
    const c = b[i]!;
    if (c === 0x0a) return i;
    if (c < 0x20 && c !== 0x0d && c !== 0x09) return -1;
  }
  return -1;
}

/** True when `b[off, end)` starts with an IRC line of the given side. */
export function isIrcLine(b: Uint8Array, off: number, end: number, server: boolean): boolean {
  const eol = firstLine(b, off, end);
  if (eol < 0) return false;
  if (!server) return CLIENT.some((c) => startsWith(b, off, eol, c));
  if (b[off] !== 0x3a) return false;
  let i = off + 1;
  while (i < eol && b[i] !== 0x20) i++;
  if (i === off + 1 || i >= eol) return false;
  i++;
  if (SERVER_COMMANDS.some((c) => startsWith(b, i, eol, c))) return true;
  const d = (k: number) => b[i + k]! >= 0x30 && b[i + k]! <= 0x39;
  return i + 4 <= eol && d(0) && d(1) && d(2) && b[i + 3] === 0x20;
}

/** IRC: a client registration line and a server line. */
export const irc: Dissector<{ seen: number }> = {
  name: 'IRC',
  transport: 'tcp',
  // Client NICK/USER/PASS/CAP (`NICK \n` is 6 bytes), server `:prefix`.
  first: { bytes: byteSet('NUPC:'), minLength: 6 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    if (isIrcLine(p.b, p.off, p.end, p.dir === 1)) {
      st.seen |= 1 << p.dir;
      if (st.seen === 3) return MATCH;
    } else if (p.index === 0) return REJECT;
    return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
  },
};
