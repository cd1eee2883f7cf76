/**
 * Thunder (Xunlei), the Chinese download accelerator, on TCP or UDP. Its protocol messages start
 * with a little-endian 32-bit version between 0x30 and 0x3F; nDPI names a flow after four such
 * payloads in a row, and so does Sonda (one or two such words are easy to meet by chance).
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, type Verdict } from '../dissector.js';

const IN_A_ROW = 4;

/** True when `b[off, end)` starts with a Thunder version word and has more. Exported for tests. */
export function thunderMessage(b: Uint8Array, off: number, end: number): boolean {
  const v = b[off]!;
  return end - off > 8 && v >= 0x30 && v < 0x40 && b[off + 1] === 0 && b[off + 2] === 0 && b[off + 3] === 0;
}

interface ThunderState {
  seen: number;
}

function inspectThunder(p: Payload, st: ThunderState): Verdict {
  if (!thunderMessage(p.b, p.off, p.end)) return REJECT;
  return ++st.seen >= IN_A_ROW ? MATCH : CONTINUE;
}

/** Thunder: four payloads in a row starting with its version word. */
export const thunder: Dissector<ThunderState> = {
  name: 'Thunder',
  transport: 'both',
  first: { bytes: byteSet([0x30, 0x3f]), minLength: 9 },
  state: () => ({ seen: 0 }),
  inspect: inspectThunder,
};
