/**
 * AMQP 0-9-1 (and 0-8/0-9) on TCP: a connection opens with the protocol header `AMQP` + four
 * version bytes; after it every frame is type (1 method, 2 content header, 3 body, 8 heartbeat)
 * + channel (2) + payload size (4) + payload + the frame-end octet 0xCE. A capture that starts
 * mid-connection is recognised from a whole frame whose size lands on the frame-end, a method
 * frame also naming a known class.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u16, u32 } from '../dissector.js';

const FRAME_END = 0xce;
const FRAME_HEADER = 7;
/** Classes of AMQP 0-9-1: connection, channel, exchange, queue, basic, confirm, tx. */
const CLASSES = new Set([10, 20, 40, 50, 60, 85, 90]);

/** True when `b[off, end)` starts with the protocol header. */
function protocolHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off !== 8 || !startsWith(b, off, end, 'AMQP')) return false;
  // 0-9-1 sends 0 0 9 1; older brokers and clients 1 1 0 9 or 1 1 8 0.
  return (b[off + 4] === 0 && b[off + 5] === 0 && b[off + 6] === 9) || (b[off + 4] === 1 && b[off + 5] === 1);
}

/** True when `b[off, end)` starts with a whole, well-formed frame. */
export function amqpFrame(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < FRAME_HEADER + 1) return false;
  const type = b[off]!;
  if (type !== 1 && type !== 2 && type !== 3 && type !== 8) return false;
  const size = u32(b, off + 3);
  if (size > end - off - FRAME_HEADER - 1 || b[off + FRAME_HEADER + size] !== FRAME_END) return false;
  if (type === 8) return size === 0 && u16(b, off + 1) === 0;
  if (type === 1) return size >= 4 && CLASSES.has(u16(b, off + FRAME_HEADER)) && u16(b, off + FRAME_HEADER + 2) <= 120;
  if (type === 2) return size >= 14 && CLASSES.has(u16(b, off + FRAME_HEADER));
  return true;
}

/** AMQP: the protocol header, or a method/header frame at the start of a direction. */
export const amqp: Dissector = {
  name: 'AMQP',
  transport: 'tcp',
  // The protocol header, or a method or content-header frame.
  first: { bytes: byteSet('A', 1, 2), minLength: 8 },
  inspect(p) {
    const { b, off, end } = p;
    if (p.streamOffset === 0 && p.dir === 0 && protocolHeader(b, off, end)) return MATCH;
    // A body or heartbeat frame alone is too little: ask for a method or content header.
    return amqpFrame(b, off, end) && (b[off] === 1 || b[off] === 2) ? MATCH : REJECT;
  },
};
