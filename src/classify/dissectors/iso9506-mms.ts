/**
 * MMS (ISO 9506, IEC 61850 station bus, TCP 102) over the OSI upper layers on ISO-on-TCP: the
 * first COTP data packet carries an ISO 8327 session CONNECT SPDU (0x0d) whose user data is a
 * presentation CP-type (0x31) — the association set-up MMS starts with — or, mid-association, a
 * session GIVE-TOKENS + DATA TRANSFER (01 00 01 00) followed by presentation user data (0x61).
 */
import { byteSet, CONTINUE, type Dissector, indexOf, MATCH, onPort, REJECT } from '../dissector.js';
import { COTP_DT, cotpType, cotpUserData } from './cotp.js';

/** True when the session user data at `u` opens an MMS association or carries MMS data. */
function sessionCarriesMms(b: Uint8Array, u: number, end: number): boolean {
  if (u + 4 > end) return false;
  if (b[u] === 0x0d) {
    // CONNECT SPDU: parameters up to the user data (PGI 0xc1) whose value is a CP-type.
    const ud = indexOf(b, u, Math.min(end, u + 256), '\xc1');
    if (ud < 0 || ud + 3 >= end) return false;
    const at = b[ud + 1] === 0xff ? ud + 4 : ud + 2;
    return at < end && b[at] === 0x31;
  }
  return b[u] === 0x01 && b[u + 1] === 0x00 && b[u + 2] === 0x01 && b[u + 3] === 0x00 && u + 4 < end && b[u + 4] === 0x61;
}

/** MMS: the first COTP data packet carries an OSI session that starts or continues MMS. */
export const iso9506Mms: Dissector = {
  name: 'ISO9506-1-MMS',
  transport: 'tcp',
  // TPKT version 3 (a COTP CR/CC waits, but still needs the TPKT).
  first: { bytes: byteSet(3), minLength: 7 },
  accepts: (f) => onPort(f, 102),
  inspect(p) {
    const { b, off, end } = p;
    const type = cotpType(b, off, end);
    if (type < 0) return REJECT;
    if (type !== COTP_DT) return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
    return sessionCarriesMms(b, cotpUserData(b, off), end) ? MATCH : REJECT;
  },
};
