/**
 * Zabbix agent/server/proxy protocol on TCP: every message starts with the header `ZBXD`, a
 * flags byte (0x01 protocol, plus 0x02 compressed, 0x04 large packet) and the data length,
 * little-endian: 4 bytes (and 4 reserved for the uncompressed size), or 8 and 8 with the large
 * flag. The data length must cover what follows in the payload or run past it.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith, u32le } from '../dissector.js';

const HEADER = 13;

/** True when `b[off, end)` starts with a Zabbix header whose length agrees with the payload. */
export function isZabbixHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER || !startsWith(b, off, end, 'ZBXD')) return false;
  const flags = b[off + 4]!;
  if ((flags & 0x01) === 0 || (flags & ~0x07) !== 0) return false;
  if ((flags & 0x04) !== 0) {
    // Large packet: 8-byte lengths; the high words of a sane size are zero.
    return end - off >= 21 && u32le(b, off + 9) === 0 && u32le(b, off + 17) === 0;
  }
  const length = u32le(b, off + 5);
  return length <= 0x40000000 && HEADER + length >= end - off;
}

/** Zabbix: either side's first payload starts with the ZBXD header. */
export const zabbix: Dissector = {
  name: 'Zabbix',
  transport: 'tcp',
  first: { bytes: byteSet('Z'), minLength: 13 },
  inspect: (p) => (isZabbixHeader(p.b, p.off, p.end) ? MATCH : REJECT),
};
