/**
 * TFTP (RFC 1350, options RFC 2347..2349, 7440). Opcodes: 1 RRQ and 2 WRQ (file name and
 * transfer mode as NUL-terminated text, then options), 3 DATA (block number and up to a block of
 * data), 4 ACK (block number, exactly 4 bytes), 5 ERROR (code 0..8 and a NUL-terminated
 * message), 6 OACK (option/value pairs). Requests, errors and option acknowledgements decide
 * alone; a transfer (on its own ports) needs a DATA answered by the ACK of the same block, or an
 * ACK answered by the next block's DATA.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const MODES = ['netascii', 'octet', 'mail'];
const OPTIONS = ['blksize', 'tsize', 'timeout', 'windowsize'];

/**
 * Reads NUL-terminated printable strings from `o` to exactly `end`: the strings (lower case), or
 * undefined when a byte is not printable, a string is empty or too long, or the last lacks its NUL.
 */
function strings(b: Uint8Array, o: number, end: number, max: number): string[] | undefined {
  const out: string[] = [];
  let s = '';
  for (let i = o; i < end; i++) {
    const c = b[i]!;
    if (c === 0) {
      if (s === '') return undefined;
      out.push(s.toLowerCase());
      if (out.length > max) return undefined;
      s = '';
    } else if (c < 0x20 || c > 0x7e || s.length >= 255) return undefined;
    else s += String.fromCharCode(c);
  }
  return s === '' && out.length > 0 ? out : undefined;
}

/** The last DATA or ACK seen: opcode, block, direction; opcode 0 when none. */
interface TftpState {
  opcode: number;
  block: number;
  dir: number;
}

/** TFTP requests, option acknowledgements, errors, and DATA/ACK exchanges. */
export const tftp: Dissector<TftpState> = {
  name: 'TFTP',
  transport: 'udp',
  first: { bytes: byteSet(0x00), minLength: 4 },
  state: () => ({ opcode: 0, block: 0, dir: 0 }),
  inspect(p, st) {
    const { b, off, end } = p;
    const n = end - off;
    if (n < 4 || b[off] !== 0) return REJECT;
    const op = b[off + 1]!;
    if (op === 1 || op === 2) {
      const s = strings(b, off + 2, end, 16);
      return s !== undefined && s.length >= 2 && s.length % 2 === 0 && MODES.includes(s[1]!) ? MATCH : REJECT;
    }
    if (op === 6) {
      const s = strings(b, off + 2, end, 16);
      return s !== undefined && s.length % 2 === 0 && OPTIONS.includes(s[0]!) ? MATCH : REJECT;
    }
    if (op === 5) {
      const code = u16(b, off + 2);
      return code <= 8 && n >= 5 && b[end - 1] === 0 && (n === 5 || strings(b, off + 4, end, 1) !== undefined) ? MATCH : REJECT;
    }
    if ((op !== 3 && op !== 4) || (op === 4 && n !== 4) || n > 4 + 65464) return REJECT;
    const block = u16(b, off + 2);
    if (st.opcode !== 0 && st.dir !== p.dir) {
      if (st.opcode === 3 && op === 4 && block === st.block) return MATCH;
      if (st.opcode === 4 && op === 3 && block === ((st.block + 1) & 0xffff)) return MATCH;
      return REJECT;
    }
    if (p.packets[0] + p.packets[1] > 4) return REJECT;
    st.opcode = op;
    st.block = block;
    st.dir = p.dir;
    return CONTINUE;
  },
};
