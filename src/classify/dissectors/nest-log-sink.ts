/**
 * Nest's log upload (nDPI's `NestLogSink`), TCP port 11095: Weave messages, each preceded on
 * TCP by a 16-bit little-endian length; the Weave header starts with a 16-bit little-endian
 * field whose top nibble is the message format version (1). The first message of either
 * direction must fill its segment exactly. On this port only.
 */
import { CONTINUE, type Dissector, type FlowInfo, MATCH, REJECT, u16le } from '../dissector.js';

const PORT = 11095;
const MIN = 2 + 8;

const onPort = (f: FlowInfo): boolean => f.serverPort === PORT || f.clientPort === PORT;

/** A length-prefixed Weave message at `b[off, end)`. */
export function isWeaveMessage(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < MIN) return false;
  const len = u16le(b, off);
  return len >= 8 && len === end - off - 2 && u16le(b, off + 2) >> 12 === 1;
}

/** Nest log sink over TCP 11095. */
export const nestLogSink: Dissector = {
  name: 'NestLogSink',
  transport: 'tcp',
  accepts: onPort,
  inspect(p) {
    if (p.streamOffset === 0 && isWeaveMessage(p.b, p.off, p.end)) return MATCH;
    return p.index >= 1 || p.packets[1 - p.dir] > 0 ? REJECT : CONTINUE;
  },
};
