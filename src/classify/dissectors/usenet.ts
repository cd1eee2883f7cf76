/**
 * Usenet news, NNTP (RFC 3977): the server greets with `200 ` or `201 ` and text naming NNTP or
 * news service, or the client follows a 200/201 greeting with an NNTP command (MODE READER,
 * CAPABILITIES, AUTHINFO, GROUP, LIST, ARTICLE …).
 */
import { byteSet, CONTINUE, type Dissector, indexOf, MATCH, REJECT, startsWith, startsWithNoCase } from '../dissector.js';

const COMMANDS = ['MODE READER', 'MODE STREAM', 'CAPABILITIES', 'AUTHINFO ', 'GROUP ', 'LIST', 'ARTICLE', 'XOVER', 'NEWNEWS ', 'POST\r'];

/** Whether the server's greeting was a 200/201 line. */
interface NntpState {
  greeted: boolean;
}

/** NNTP: the server's greeting, and a news command or the word NNTP/news in it. */
export const usenet: Dissector<NntpState> = {
  name: 'Usenet',
  transport: 'tcp',
  // The client's side needs the greeting first; the greeting needs its line's end.
  first: { bytes: byteSet('2'), minLength: 5 },
  state: () => ({ greeted: false }),
  inspect(p, st) {
    const { b, off, end } = p;
    if (p.dir === 1 && p.streamOffset === 0) {
      if (!(startsWith(b, off, end, '200 ') || startsWith(b, off, end, '201 '))) return REJECT;
      const eol = indexOf(b, off, Math.min(end, off + 512), '\n');
      if (eol < 0) return REJECT;
      st.greeted = true;
      for (let i = off + 4; i + 4 <= eol; i++) if (startsWithNoCase(b, i, eol, 'NNTP') || startsWithNoCase(b, i, eol, 'news')) return MATCH;
      return CONTINUE;
    }
    if (p.dir === 0 && p.streamOffset === 0) {
      if (!st.greeted) return REJECT;
      return COMMANDS.some((c) => startsWithNoCase(b, off, end, c)) ? MATCH : REJECT;
    }
    return REJECT;
  },
};
