/**
 * SMB over TCP (direct hosting on 445, or after a NetBIOS session on 139): each message is
 * framed by a 4-byte NetBIOS session header (type 0x00, then a 24-bit length) and starts with
 * the SMB protocol id: 0xFF 'SMB' for SMB1 (MS-CIFS), 0xFE 'SMB' for SMB 2/3 (MS-SMB2) and 0xFD
 * 'SMB' for an SMB 3 encrypted (transform) message. nDPI reports these flows under NetBIOS, as
 * `NetBIOS.SMBv1` and `NetBIOS.SMBv23`.
 */
import { byteSet, type Dissector, REJECT, u16, u32 } from '../dissector.js';

const SESSION_MESSAGE = 0x00;
const SMB1 = 0xff534d42;
const SMB2 = 0xfe534d42;
const SMB3_TRANSFORM = 0xfd534d42;
/** The smallest SMB1 header (32) and SMB2 header (64). */
const SMB1_HEADER = 32;
const SMB2_HEADER = 64;

/** The SMB name of a session message at the start of `b[off, end)`, or undefined. */
export function smbVersion(b: Uint8Array, off: number, end: number): 'SMBv1' | 'SMBv23' | undefined {
  const n = end - off;
  if (n < 8 || b[off] !== SESSION_MESSAGE || (b[off + 1]! & 0xfe) !== 0) return undefined;
  const length = ((b[off + 1]! & 1) << 16) | u16(b, off + 2);
  const id = u32(b, off + 4);
  if (id === SMB1) return length >= SMB1_HEADER && (n === 4 + length || n >= 4 + SMB1_HEADER) ? 'SMBv1' : undefined;
  if (id === SMB2) {
    // The SMB2 header's structure size is always 64.
    return length >= SMB2_HEADER && n >= 4 + 6 && u16(b, off + 8) === 0x4000 ? 'SMBv23' : undefined;
  }
  return id === SMB3_TRANSFORM && length >= 52 ? 'SMBv23' : undefined;
}

/** SMB: an SMB message at the start of either direction (NetBIOS.SMBv1 / NetBIOS.SMBv23). */
export const smb: Dissector = {
  name: 'SMBv23',
  transport: 'tcp',
  first: { bytes: byteSet(SESSION_MESSAGE), minLength: 8 },
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    const v = smbVersion(p.b, p.off, p.end);
    return v === undefined ? REJECT : `NetBIOS.${v}`;
  },
};
