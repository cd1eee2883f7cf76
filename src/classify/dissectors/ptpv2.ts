/**
 * PTP version 2 (IEEE 1588-2008/2019) over UDP, event port 319 and general port 320. The
 * 34-byte common header: transportSpecific/messageType (a defined type: Sync, Delay_Req,
 * Pdelay_Req/Resp, Follow_Up, Delay_Resp, Pdelay_Resp_Follow_Up, Announce, Signaling,
 * Management), versionPTP 2 in the low nibble (minor version in the high one), messageLength
 * covering the header and at most the datagram (some stacks pad), and the body the type needs.
 */
import { byteSet, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const HEADER = 34;
const EVENT_PORT = 319;
const GENERAL_PORT = 320;

/** Body length each message type needs at least (index: messageType). */
const MIN_LENGTH = [44, 44, 54, 54, -1, -1, -1, -1, 44, 54, 54, 64, 44, 48, -1, -1];

const ptpPort = (p: number): boolean => p === EVENT_PORT || p === GENERAL_PORT;

/** True when `b[off, end)` is one PTPv2 message. */
export function isPtpV2Message(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER) return false;
  const min = MIN_LENGTH[b[off]! & 0x0f]!;
  if (min < 0 || (b[off + 1]! & 0x0f) !== 2) return false;
  const length = u16(b, off + 2);
  return length >= min && length <= end - off;
}

/** PTPv2: a well-formed message on 319 or 320. */
export const ptpv2: Dissector = {
  name: 'PTPv2',
  transport: 'udp',
  accepts: (f) => ptpPort(f.serverPort) || ptpPort(f.clientPort),
  // A defined message type in the low nibble; every type's message is 44 bytes or more.
  first: { bytes: byteSet(...Array.from({ length: 256 }, (_, v) => v).filter((v) => MIN_LENGTH[v & 0x0f]! >= 0)), minLength: 44 },
  inspect: (p) => (isPtpV2Message(p.b, p.off, p.end) ? MATCH : REJECT),
};
