/**
 * MQTT (OASIS MQTT 3.1, 3.1.1 and 5.0) on TCP. Every control packet is a fixed header — type
 * in the high nibble, flags in the low one (fixed per type but PUBLISH's) — and a remaining
 * length of one to four 7-bit groups.
 *
 * - A connection opens with CONNECT: protocol name "MQTT" (level 4 or 5) or "MQIsdp" (level 3)
 *   and a connect-flags byte whose reserved bit is clear. That alone names the flow.
 * - The broker's first payload may be CONNACK (acknowledge flags 0/1, a known return code);
 *   alone it is four bytes, so it counts only on MQTT's port.
 * - A capture that starts mid-connection shows other packets (PUBLISH, PINGREQ …): on MQTT's
 *   port, a payload made of whole, well-formed packets names it too.
 */
import { byteSet, type Dissector, type FlowInfo, MATCH, REJECT, startsWith, u16 } from '../dissector.js';
import { isPrintableAscii } from './group-d-bytes.js';

const PORT = 1883;

const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;

/** Where the remaining length read by `remainingLength` ended. */
let bodyAt = 0;

/** The remaining length at `b[at]` (its end in `bodyAt`), -1 malformed, -2 cut short. */
function remainingLength(b: Uint8Array, at: number, end: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= end) return -2;
    const c = b[at + i]!;
    v += (c & 0x7f) * 2 ** (7 * i);
    if ((c & 0x80) === 0) {
      // A longer encoding than needed is malformed (and what random bytes look like).
      if (i > 0 && c === 0) return -1;
      bodyAt = at + i + 1;
      return v;
    }
  }
  return -1;
}

/** True when the fixed header's flags are the ones the packet type requires. */
function flagsValid(type: number, flags: number): boolean {
  if (type === PUBLISH) return (flags & 0x06) !== 0x06; // QoS 3 is reserved
  if (type === 6 || type === 8 || type === 10) return flags === 0x02; // PUBREL, SUBSCRIBE, UNSUBSCRIBE
  return flags === 0;
}

/** True when `b[off, end)` starts with a CONNECT packet (the packet may go on past `end`). */
export function isMqttConnect(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 12 || b[off] !== CONNECT << 4) return false;
  const rest = remainingLength(b, off + 1, end);
  if (rest < 10) return false;
  const at = bodyAt;
  if (at + 10 > end) return false;
  const nameLength = u16(b, at);
  let level: number;
  if (nameLength === 4 && startsWith(b, at + 2, end, 'MQTT')) level = b[at + 6]!;
  else if (nameLength === 6 && startsWith(b, at + 2, end, 'MQIsdp')) level = b[at + 8]!;
  else return false;
  const flags = b[at + 3 + nameLength]!;
  if (nameLength === 4 ? level !== 4 && level !== 5 : level !== 3) return false;
  // Reserved bit clear; a will QoS of 3 is malformed; will QoS/retain need the will flag.
  if ((flags & 0x01) !== 0 || (flags & 0x18) === 0x18) return false;
  return (flags & 0x04) !== 0 || (flags & 0x38) === 0;
}

/** True when `b[off, end)` is exactly a CONNACK packet (3.1/3.1.1, or 5.0 with its properties). */
export function isMqttConnack(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4 || b[off] !== CONNACK << 4) return false;
  const rest = remainingLength(b, off + 1, end);
  if (rest < 2 || bodyAt + rest !== end) return false;
  const ackFlags = b[bodyAt]!;
  const code = b[bodyAt + 1]!;
  if (ackFlags > 1) return false;
  if (rest === 2) return code <= 5;
  // 5.0: a reason code (0 success, 0x80 and up failures) and a properties length that fits.
  if (code !== 0 && (code < 0x80 || code > 0x9f)) return false;
  const props = remainingLength(b, bodyAt + 2, end);
  return props >= 0 && bodyAt + props === end;
}

/**
 * True when `b[off, end)` is one or more whole MQTT packets of the kinds a connection carries
 * after its start (PUBLISH … DISCONNECT), each with valid flags and the body its kind needs (a
 * PUBLISH topic is printable), ending exactly at `end`.
 */
export function isMqttPacketRun(b: Uint8Array, off: number, end: number): boolean {
  let at = off;
  let n = 0;
  while (at < end) {
    const type = b[at]! >> 4;
    if (type < PUBLISH || type > 14 || !flagsValid(type, b[at]! & 0x0f)) return false;
    const rest = remainingLength(b, at + 1, end);
    if (rest < 0) return false;
    // PINGREQ, PINGRESP carry nothing; acknowledgements carry at least a packet identifier,
    // (un)subscriptions a topic filter or return code too.
    if (type >= 12 && rest !== 0 && type !== 14) return false;
    if (type >= 4 && type <= 7 && rest < 2) return false;
    if (type >= 8 && type <= 11 && rest < 3) return false;
    if (type === PUBLISH) {
      if (rest < 3 || bodyAt + 2 > end) return false;
      const topic = u16(b, bodyAt);
      if (topic === 0 || topic + 2 > rest || bodyAt + 2 + topic > end || !isPrintableAscii(b, bodyAt + 2, bodyAt + 2 + topic)) return false;
    }
    at = bodyAt + rest;
    n++;
  }
  return n > 0 && at === end;
}

const onMqttPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** MQTT: CONNECT anywhere; CONNACK or whole packets on port 1883. */
export const mqtt: Dissector = {
  name: 'MQTT',
  transport: 'tcp',
  // CONNECT, CONNACK, PUBLISH (not QoS 3) and the others with their fixed flags; PINGREQ is 2 bytes.
  first: { bytes: byteSet(0x10, 0x20, [0x30, 0x35], [0x38, 0x3d], 0x40, 0x50, 0x62, 0x70, 0x82, 0x90, 0xa2, 0xb0, 0xc0, 0xd0, 0xe0), minLength: 2 },
  inspect(p) {
    const { b, off, end } = p;
    if (end - off < 2) return REJECT;
    const type = b[off]! >> 4;
    if (type === CONNECT) return p.streamOffset === 0 && isMqttConnect(b, off, end) ? MATCH : REJECT;
    if (!onMqttPort(p.flow)) return REJECT;
    if (type === CONNACK) return isMqttConnack(b, off, end) ? MATCH : REJECT;
    return isMqttPacketRun(b, off, end) ? MATCH : REJECT;
  },
};
