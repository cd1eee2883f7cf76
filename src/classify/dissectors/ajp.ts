/**
 * AJP13, the Apache JServ Protocol (Tomcat connectors). Packets from the web server start with
 * 0x12 0x34, those from the container with "AB" (0x41 0x42); then a 16-bit payload length and a
 * prefix code: 2 forward request, 7 shutdown, 8 ping, 10 CPing from the web server; 3 body chunk,
 * 4 headers, 5 end response, 6 get body chunk, 9 CPong reply from the container.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, REJECT, u16 } from '../dissector.js';

const FROM_WEB_SERVER = new Set([2, 7, 8, 10]);
const FROM_CONTAINER = new Set([3, 4, 5, 6, 9]);

/** True when `b[off, end)` starts an AJP13 packet of the given side with a plausible length. */
export function isAjpPacket(b: Uint8Array, off: number, end: number, container: boolean): boolean {
  if (end - off < 5) return false;
  if (container ? b[off] !== 0x41 || b[off + 1] !== 0x42 : b[off] !== 0x12 || b[off + 1] !== 0x34) return false;
  const len = u16(b, off + 2);
  if (len === 0 || len > 8188) return false;
  // A request is usually in one segment: its length may not exceed what the first segment allows.
  if (len + 4 < end - off) return false;
  return (container ? FROM_CONTAINER : FROM_WEB_SERVER).has(b[off + 4]!);
}

/** AJP13: a web-server packet and a container packet at the start of the two directions. */
export const ajp: Dissector<{ seen: number }> = {
  name: 'AJP',
  transport: 'tcp',
  first: { bytes: byteSet(0x12, 0x41), minLength: 5 },
  state: () => ({ seen: 0 }),
  inspect(p, st) {
    if (p.streamOffset !== 0 || !isAjpPacket(p.b, p.off, p.end, p.dir === 1)) return REJECT;
    st.seen |= 1 << p.dir;
    // CPing/CPong or a forward request answered: both sides speak AJP.
    return st.seen === 3 ? MATCH : CONTINUE;
  },
};
