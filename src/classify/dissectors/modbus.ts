/**
 * Modbus/TCP (port 502): the MBAP header — transaction id, protocol id 0, a length counting the
 * unit id and PDU, the unit id — then a function code (1..127, or an exception: code | 0x80).
 * Function 90 (0x5a) is Schneider's UMAS, which nDPI reports as the application over Modbus.
 */
import { CONTINUE, type Dissector, MATCH, onPort, REJECT, u16 } from '../dissector.js';

/** The application nDPI names over Modbus frames of function 90 (`Modbus.UMAS`). */
export const MODBUS_UMAS_APP = 'UMAS';

/** True when `b[off, end)` starts with an MBAP header and a valid function code. */
export function isModbusTcp(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 8 || u16(b, off + 2) !== 0) return false;
  const len = u16(b, off + 4);
  if (len < 2 || len > 254 || len + 6 > n) return false;
  const fn = b[off + 7]! & 0x7f;
  return fn !== 0;
}

/** Modbus/TCP on port 502, at the start of either direction. */
export const modbus: Dissector = {
  name: 'Modbus',
  transport: 'tcp',
  accepts: (f) => onPort(f, 502),
  inspect(p) {
    // Function 90 is UMAS: nDPI names the application over Modbus.
    if (p.streamOffset === 0 && isModbusTcp(p.b, p.off, p.end)) return (p.b[p.off + 7]! & 0x7f) === 0x5a ? `Modbus.${MODBUS_UMAS_APP}` : MATCH;
    return p.index >= 1 || (p.packets[0] > 0 && p.packets[1] > 0) ? REJECT : CONTINUE;
  },
};
