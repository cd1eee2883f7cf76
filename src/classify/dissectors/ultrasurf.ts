/**
 * UltraSurf, the censorship-circumvention proxy: its TCP sessions open with a fixed 8-byte
 * value (0xCC1C30415BA43866) before the encrypted stream.
 */
import { byteSet, type Dissector, MATCH, type Payload, REJECT, u32, type Verdict } from '../dissector.js';

/** True when `b[off, end)` starts with UltraSurf's 8-byte opening. Exported for tests. */
export function ultraSurfOpening(b: Uint8Array, off: number, end: number): boolean {
  return end - off >= 8 && b[off] === 0xcc && u32(b, off) === 0xcc1c3041 && u32(b, off + 4) === 0x5ba43866;
}

function inspectUltraSurf(p: Payload): Verdict {
  return p.streamOffset === 0 && ultraSurfOpening(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** UltraSurf: the opening value at the start of a direction. */
export const ultraSurf: Dissector = {
  name: 'UltraSurf',
  transport: 'tcp',
  first: { bytes: byteSet(0xcc), minLength: 8 },
  inspect: inspectUltraSurf,
};
