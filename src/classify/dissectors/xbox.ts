/**
 * Xbox Live (UDP), as nDPI names it: a message with a zero first word, 0x58 in byte 5 and zeros
 * in bytes 7-9, whose type (byte 4) and size byte (byte 6) form one of five known pairs; or, on
 * Xbox Live's port 3074, two datagrams of the six fixed shapes the console sends there.
 */
import { CONTINUE, type Dissector, MATCH, onPort, type Payload, REJECT, u16, u32, type Verdict } from '../dissector.js';

const XBOX_PORT = 3074;
/** Known (byte 4, byte 6) pairs of the first message family. */
const PAIRS = new Set([0x0c76, 0x0218, 0x0b80, 0x0340, 0x064e]);

/** True when `b[off, end)` is one of the first family's messages. Exported for tests. */
export function xboxMessage(b: Uint8Array, off: number, end: number): boolean {
  return end - off > 12 && u32(b, off) === 0 && b[off + 5] === 0x58 && b[off + 7] === 0 && b[off + 8] === 0 && b[off + 9] === 0 && PAIRS.has((b[off + 4]! << 8) | b[off + 6]!);
}

/** True when `b[off, end)` has one of the shapes seen on port 3074. Exported for tests. */
export function xboxPortShape(b: Uint8Array, off: number, end: number): boolean {
  switch (end - off) {
    case 24:
      return b[off] === 0x00;
    case 42:
      return b[off] === 0x4f && b[off + 2] === 0x0a;
    case 80:
      return u16(b, off) === 0x50bc && b[off + 2] === 0x45;
    case 40:
      return u32(b, off) === 0xcf5f3202;
    case 38:
      return u32(b, off) === 0xc1457f03;
    case 28:
      return u32(b, off) === 0x015f2c00;
    default:
      return false;
  }
}

interface XboxState {
  /** Datagrams of the port-3074 shapes seen. */
  shapes: number;
}

function inspectXbox(p: Payload, st: XboxState): Verdict {
  const { b, off, end } = p;
  if (xboxMessage(b, off, end)) return MATCH;
  if (onPort(p.flow, XBOX_PORT) && xboxPortShape(b, off, end)) return ++st.shapes >= 2 ? MATCH : CONTINUE;
  // One look at each direction's first datagram (nDPI keeps looking a few packets more).
  return p.index === 0 && p.packets[1 - p.dir] === 0 ? CONTINUE : REJECT;
}

/** Xbox: a known message on any port, or two datagrams of the console's shapes on 3074. */
export const xbox: Dissector<XboxState> = {
  name: 'Xbox',
  transport: 'udp',
  state: () => ({ shapes: 0 }),
  inspect: inspectXbox,
};
