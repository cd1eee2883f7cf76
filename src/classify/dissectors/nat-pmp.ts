/**
 * NAT Port Mapping Protocol (RFC 6886), UDP port 5351: version 0 and an opcode whose message
 * has a fixed size — requests: 0 (external address, 2 bytes), 1 and 2 (map UDP/TCP, 12 bytes);
 * responses (opcode + 128): 16 bytes for a mapping, 12 for the address. Anything else on the
 * port (PCP, version 2) is not NAT-PMP.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT } from '../dissector.js';

const PORT = 5351;

/** The size a NAT-PMP message of this opcode has, or -1. */
function sizeOf(op: number): number {
  if (op === 0) return 2;
  if (op === 1 || op === 2 || op === 128) return 12;
  if (op === 129 || op === 130) return 16;
  return -1;
}

/** A NAT-PMP message filling `b[off, end)`. */
export const isNatPmp = (b: Uint8Array, off: number, end: number): boolean => end - off >= 2 && b[off] === 0 && sizeOf(b[off + 1]!) === end - off;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** NAT-PMP on UDP 5351. */
export const natPmp: Dissector = {
  name: 'NAT-PMP',
  transport: 'udp',
  accepts: onPort,
  first: { bytes: byteSet(0), minLength: 2 },
  inspect: (p) => (isNatPmp(p.b, p.off, p.end) ? MATCH : REJECT),
};
