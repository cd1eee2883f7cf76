/**
 * Dofus (Ankama's game, TCP 5555). Dofus 3 frames its messages as a length byte (the rest of the
 * payload) followed by a protobuf message whose first field is a length-delimited field 1 (tag
 * 0x0A) of the remaining length. nDPI checks this on port 5555 only, and so does Sonda.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, onPort, type Payload, REJECT, type Verdict } from '../dissector.js';

const DOFUS_PORT = 5555;

/** True when `b[off, end)` is one framed Dofus 3 message. Exported for tests. */
export function dofusMessage(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return n > 3 && b[off]! + 1 === n && b[off + 1] === 0x0a && b[off + 2]! + 2 === b[off];
}

function inspectDofus(p: Payload): Verdict {
  return dofusMessage(p.b, p.off, p.end) ? MATCH : REJECT;
}

/** Dofus: a framed message on port 5555. */
export const dofus: Dissector = {
  name: 'Dofus',
  transport: 'tcp',
  // The length byte counts the rest of a 4-byte or longer payload.
  first: { bytes: byteSet([3, 0xff]), minLength: 4 },
  accepts: (f: FlowInfo) => onPort(f, DOFUS_PORT),
  inspect: inspectDofus,
};
