/**
 * S7CommPlus (Siemens S7-1200/1500, TCP 102): ISO-on-TCP data packets whose user data starts
 * with protocol id 0x72 and a version byte (1, 2, 3 or 0xfe). The connection request before them
 * is plain COTP and is passed over.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, onPort, REJECT } from '../dissector.js';
import { COTP_DT, cotpType, cotpUserData } from './cotp.js';

const VERSIONS = new Set([0x01, 0x02, 0x03, 0xfe]);

/** S7CommPlus: the first COTP data packet carries protocol 0x72. */
export const s7commPlus: Dissector = {
  name: 'S7CommPlus',
  transport: 'tcp',
  accepts: (f) => onPort(f, 102),
  // A TPKT (version 3) with a COTP header.
  first: { bytes: byteSet(3), minLength: 7 },
  inspect(p) {
    const { b, off, end } = p;
    const type = cotpType(b, off, end);
    if (type < 0) return REJECT;
    if (type !== COTP_DT) return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
    const u = cotpUserData(b, off);
    return u + 1 < end && b[u] === 0x72 && VERSIONS.has(b[u + 1]!) ? MATCH : REJECT;
  },
};
