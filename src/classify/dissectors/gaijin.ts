/**
 * Gaijin Entertainment (War Thunder, Enlisted, Crossout) on UDP:
 * - the game client's telemetry is StatsD text (`name,tag=value,…:1|c`) tagged with Gaijin's
 *   `circuit=` and `project=` tags;
 * - game servers (UDP 20000–20999) speak ENet: the client's CONNECT command (from peer 0xFFF,
 *   channel 0xFF, with an MTU, a power-of-two window and a channel count) answered by
 *   VERIFY_CONNECT. ENet itself is a generic library, so only Gaijin's server port range names it.
 */
import { byteSet, CONTINUE, type Dissector, indexOf, MATCH, type Payload, REJECT, u16, u32, type Verdict } from '../dissector.js';
import { isPrintable } from './group-c-bytes.js';

const ENET_PORT_MIN = 20000;
const ENET_PORT_MAX = 20999;
const ENET_CONNECT = 2;
const ENET_VERIFY_CONNECT = 3;
const ENET_NO_PEER = 0x0fff;

/** StatsD text with Gaijin's tags. */
function isTelemetry(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 32 || n > 1500 || !isPrintable(b, off, end)) return false;
  return indexOf(b, off, end, ',circuit=') > off && indexOf(b, off, end, ',project=') > off && indexOf(b, off, end, '|') > off;
}

/** The ENet command at `at` (after the 4-byte protocol header with its sent time). */
function enetCommand(b: Uint8Array, off: number, end: number): number {
  if (end - off < 8 || (b[off]! & 0x80) === 0 || b[off + 5] !== 0xff) return -1;
  return b[off + 4]! & 0x0f;
}

/** A CONNECT from an unassigned peer with sane MTU, window and channel count. */
function isConnect(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if ((n !== 52 && n !== 56) || enetCommand(b, off, end) !== ENET_CONNECT || (u16(b, off) & 0x0fff) !== ENET_NO_PEER) return false;
  const mtu = u32(b, off + 12);
  const window = u32(b, off + 16);
  const channels = u32(b, off + 20);
  return mtu >= 576 && mtu <= 4096 && window >= 4096 && window <= 65536 && (window & (window - 1)) === 0 && channels >= 1 && channels <= 255;
}

/** The ENet exchange seen so far. */
class GaijinFlow {
  connect = false;
}

function inspectEnet(p: Payload, st: GaijinFlow): Verdict {
  const { b, off, end } = p;
  if (p.dir === 0) {
    if (p.index === 0 && isConnect(b, off, end)) {
      st.connect = true;
      return CONTINUE;
    }
    return st.connect && p.packets[1] === 0 && p.index < 4 ? CONTINUE : REJECT;
  }
  const n = end - off;
  return st.connect && (n === 48 || n === 52) && enetCommand(b, off, end) === ENET_VERIFY_CONNECT ? MATCH : REJECT;
}

/** GaijinEntertainment: tagged telemetry, or an ENet handshake on Gaijin's server ports. */
export const gaijin: Dissector<GaijinFlow> = {
  name: 'GaijinEntertainment',
  transport: 'udp',
  // Telemetry is printable text; an ENet CONNECT's first byte has 0x80 and peer 0xFFF's low nibble.
  first: { bytes: byteSet(0x09, 0x0a, 0x0d, [0x20, 0x7e], 0x8f, 0x9f, 0xaf, 0xbf, 0xcf, 0xdf, 0xef, 0xff), minLength: 32 },
  state: () => new GaijinFlow(),
  inspect(p, st) {
    if (p.dir === 0 && p.index === 0 && isTelemetry(p.b, p.off, p.end)) return MATCH;
    const port = p.flow.serverPort;
    return port >= ENET_PORT_MIN && port <= ENET_PORT_MAX ? inspectEnet(p, st) : REJECT;
  },
};
