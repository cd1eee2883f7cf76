/**
 * DICOM upper layer (PS3.8) on TCP. An association starts with an A-ASSOCIATE-RQ PDU (type 1;
 * the acceptor answers with A-ASSOCIATE-AC, type 2): type, a reserved zero byte, the PDU length
 * (32 bits, the bytes after the 6-byte header), protocol version 1, two reserved bytes, the called
 * and calling AE titles (16 bytes each, ASCII padded with spaces), 32 reserved bytes, then the
 * variable items — the application context item (0x10) first.
 */
import { byteSet, type Dissector, MATCH, type Payload, REJECT, u16, u32, type Verdict } from '../dissector.js';

/** Header (6) + version (2) + reserved (2) + AE titles (32) + reserved (32). */
const FIXED = 74;
const APPLICATION_CONTEXT = 0x10;

/** True when the 16 bytes at `at` are an AE title: printable ASCII. */
function aeTitle(b: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 16; i++) if (b[i]! < 0x20 || b[i]! > 0x7e) return false;
  return true;
}

/** True when `b[off, end)` starts an A-ASSOCIATE-RQ or -AC PDU. Exported for tests. */
export function associatePdu(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 10) return false;
  const type = b[off];
  if ((type !== 1 && type !== 2) || b[off + 1] !== 0) return false;
  const len = u32(b, off + 2);
  // The PDU may continue in later segments, never end before the fixed fields.
  if (len < FIXED - 6 || len > 1 << 20 || end - off > len + 6) return false;
  if (u16(b, off + 6) !== 1 || b[off + 8] !== 0 || b[off + 9] !== 0) return false;
  // What is here of the titles and the first item must fit too.
  if (end - off >= 42 && (!aeTitle(b, off + 10) || !aeTitle(b, off + 26))) return false;
  return end - off <= FIXED || b[off + FIXED] === APPLICATION_CONTEXT;
}

function inspectDicom(p: Payload): Verdict {
  return p.streamOffset === 0 && associatePdu(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** DICOM: the association request (or accept) at the start of a direction. */
export const dicom: Dissector = {
  name: 'DICOM',
  transport: 'tcp',
  first: { bytes: byteSet(1, 2), minLength: 10 },
  inspect: inspectDicom,
};
