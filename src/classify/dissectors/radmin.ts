/**
 * Radmin (Famatech's remote administration, TCP 4899). Its messages, clear in the connection's
 * first exchange, start with the big-endian word 0x01000000 and a length byte counting what
 * follows a 9-byte header: the client's opening request is 10 bytes (length 1), the server's
 * answer 46 (length 37), the keep-alives 14 (length 5). A flow is Radmin when both directions
 * open with such a message, or one direction sends two of them.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, u32, type Verdict } from '../dissector.js';

const MAGIC = 0x01000000;
const HEADER = 9;

/** True when `b[off, end)` is one whole Radmin message. Exported for tests. */
export function radminMessage(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return n > HEADER && n <= HEADER + 255 && u32(b, off) === MAGIC && b[off + 4]! + HEADER === n;
}

interface RadminState {
  /** Messages seen, per direction. */
  seen: [number, number];
}

function inspectRadmin(p: Payload, st: RadminState): Verdict {
  if (!radminMessage(p.b, p.off, p.end)) return REJECT;
  const seen = st.seen;
  seen[p.dir]++;
  return (seen[0] > 0 && seen[1] > 0) || seen[p.dir] >= 2 ? MATCH : CONTINUE;
}

/** Radmin: its framed messages open both directions (or come twice from one). */
export const radmin: Dissector<RadminState> = {
  name: 'Radmin',
  transport: 'tcp',
  first: { bytes: byteSet(0x01), minLength: HEADER + 1 },
  state: () => ({ seen: [0, 0] }),
  inspect: inspectRadmin,
};
