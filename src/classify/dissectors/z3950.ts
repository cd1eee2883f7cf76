/**
 * Z39.50 (ANSI/NISO, ISO 23950) on TCP (nDPI's name: `Z3950`, the dot dropped since names with
 * a dot read as MASTER.APP): BER-encoded APDUs, each a context-specific constructed
 * tag — initRequest [20] (0xB4), initResponse [21] (0xB5), searchRequest [22] … close [48]
 * (tags from 31 up in the two-byte form 0xBF nn) — with a definite length, whose contents
 * start with a context-specific element that fits inside.
 *
 * The client's first payload must be an initRequest; it names the flow on port 210, or
 * elsewhere once the server answers with an initResponse (nDPI wants both directions too).
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';

const PORT = 210;
const INIT_REQUEST = 20;
const INIT_RESPONSE = 21;

/** Where the contents of the last element read by `berElement` start, and where they end. */
let contentAt = 0;
let contentEnd = 0;

/** The tag number of the context-specific element at `at` (its bounds in contentAt/contentEnd), or -1. */
function berElement(b: Uint8Array, at: number, end: number): number {
  if (at + 2 > end) return -1;
  const t = b[at]!;
  if ((t & 0xc0) !== 0x80) return -1;
  let tag = t & 0x1f;
  let i = at + 1;
  if (tag === 0x1f) {
    tag = b[i++]!;
    if (tag < 31 || tag > 127 || i >= end) return -1;
  }
  let len = b[i++]!;
  if (len >= 0x80) {
    const k = len & 0x7f;
    if (k === 0 || k > 3 || i + k > end) return -1;
    len = 0;
    for (let j = 0; j < k; j++) len = (len << 8) | b[i + j]!;
    i += k;
  }
  contentAt = i;
  contentEnd = i + len;
  return tag;
}

/** The APDU tag (20-48) of `b[off, end)` when it is a well-formed APDU start, else -1. */
export function z3950Apdu(b: Uint8Array, off: number, end: number): number {
  if (end - off < 6 || (b[off]! & 0xe0) !== 0xa0) return -1;
  const tag = berElement(b, off, end);
  if (tag < INIT_REQUEST || tag > 48 || (tag > 36 && tag < 43)) return -1;
  const outerEnd = contentEnd;
  // The APDU may go on past this segment; it holds at least its first element, which fits in it.
  if (outerEnd < contentAt + 2) return -1;
  const inner = berElement(b, contentAt, end);
  if (inner < 0 || contentEnd > outerEnd) return -1;
  return tag;
}

interface Z3950State {
  init: boolean;
}

/** Z39.50: an initRequest on 210, or an initRequest answered by an initResponse. */
export const z3950: Dissector<Z3950State> = {
  name: 'Z3950',
  transport: 'tcp',
  // The client's initRequest [20]; the server's side needs it first.
  first: { bytes: byteSet(0xb4), minLength: 6 },
  state: () => ({ init: false }),
  inspect(p, st) {
    const tag = z3950Apdu(p.b, p.off, p.end);
    if (p.dir === 0) {
      if (p.index > 0 || tag !== INIT_REQUEST) return REJECT;
      if (p.flow.serverPort === PORT) return MATCH;
      st.init = true;
      return CONTINUE;
    }
    return st.init && tag === INIT_RESPONSE ? MATCH : REJECT;
  },
};
