/**
 * HL7 version 2 on TCP, framed by MLLP (a 0x0B start byte, the message, 0x1C 0x0D). Every
 * message opens with its MSH segment: `MSH`, the field separator (usually `|`), the encoding
 * characters (`^~\&`, and `#` from v2.7), the separator again, then the sending application.
 * A direction is HL7 when a payload starts (after the start byte, which may come alone) with
 * such a header followed by at least a sending application's worth of fields.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, type Verdict } from '../dissector.js';

const START_BLOCK = 0x0b;
/** The shortest message named: a header alone could be a coincidence in text. */
const MIN_MESSAGE = 24;

/** True for the separators and encoding characters HL7 allows: printable, not a letter or digit. */
function delimiter(c: number): boolean {
  return c > 0x20 && c < 0x7f && !(c >= 0x30 && c <= 0x39) && !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

/** True when `b[at, end)` starts an MSH segment header. Exported for tests. */
export function mshHeader(b: Uint8Array, at: number, end: number): boolean {
  if (end - at < 9 || b[at] !== 0x4d || b[at + 1] !== 0x53 || b[at + 2] !== 0x48) return false;
  const sep = b[at + 3]!;
  if (!delimiter(sep)) return false;
  // Four (or five) distinct encoding characters, then the separator.
  let n = 0;
  for (let i = at + 4; i < at + 9 && i < end; i++) {
    const c = b[i]!;
    if (c === sep) break;
    if (!delimiter(c)) return false;
    for (let j = at + 4; j < i; j++) if (b[j] === c) return false;
    n++;
  }
  return (n === 4 || n === 5) && b[at + 4 + n] === sep;
}

interface Hl7State {
  /** Payloads that were a lone MLLP start byte. */
  starts: number;
}

function inspectHl7(p: Payload, st: Hl7State): Verdict {
  const { b, off, end } = p;
  if (end - off === 1 && b[off] === START_BLOCK) return ++st.starts <= 2 ? CONTINUE : REJECT;
  const at = b[off] === START_BLOCK ? off + 1 : off;
  return end - at >= MIN_MESSAGE && mshHeader(b, at, end) ? MATCH : REJECT;
}

/** HL7: an MSH segment header at the start of a payload, MLLP-framed or not. */
export const hl7: Dissector<Hl7State> = {
  name: 'HL7',
  transport: 'tcp',
  // MSH, or the MLLP start byte (which may come alone: no minimum length).
  first: { bytes: byteSet('M', 0x0b) },
  state: () => ({ starts: 0 }),
  inspect: inspectHl7,
};
