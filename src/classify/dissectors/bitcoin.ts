/**
 * Bitcoin's peer-to-peer protocol: every message starts with a 24-byte header
 * `magic(4) command(12) length(4, little-endian) checksum(4)`. The magic names the network
 * (main, testnet3, testnet4, signet, regtest); the command is lower-case ASCII padded with NULs.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u32, u32le } from '../dissector.js';

const HEADER = 24;
/** Protocol limit on a message's payload (32 MiB). */
const MAX_PAYLOAD = 0x2000000;
const MAGICS = new Set([0xf9beb4d9, 0x0b110907, 0x1c163f28, 0x0a03cf40, 0xfabfb5da]);

/** A Bitcoin message header at `b[off, end)`. */
export function isBitcoinHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER || !MAGICS.has(u32(b, off))) return false;
  // Command: 1..12 characters [a-z0-9], then NULs only.
  let i = off + 4;
  const cmdEnd = off + 16;
  while (i < cmdEnd && b[i] !== 0) {
    const c = b[i]!;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
    i++;
  }
  if (i === off + 4) return false;
  for (; i < cmdEnd; i++) if (b[i] !== 0) return false;
  return u32le(b, off + 16) <= MAX_PAYLOAD;
}

/** Bitcoin (nDPI's `BITCOIN`) over TCP: a message header at the start of either direction. */
export const bitcoin: Dissector = {
  name: 'BITCOIN',
  transport: 'tcp',
  inspect: (p) => (p.streamOffset === 0 && isBitcoinHeader(p.b, p.off, p.end) ? MATCH : p.index >= 1 || p.dir === 0 ? REJECT : CONTINUE),
};
