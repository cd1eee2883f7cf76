/**
 * NetBIOS over TCP/IP (RFC 1001/1002): the name service on UDP 137, the datagram service on
 * UDP 138 and the session service on TCP 139. nDPI names all three `NetBIOS` and reports the
 * NetBIOS name a name-service or datagram packet carries as the flow's host.
 */
import { CONTINUE, type Dissector, MATCH, type Payload, REJECT, u16, u32 } from '../dissector.js';

/**
 * The application nDPI puts over a NetBIOS datagram that carries SMB (`NetBIOS.SMBv1`). The
 * classifier has no way yet for a dissector to name an application, so the flow is `NetBIOS`.
 */
export const NETBIOS_DATAGRAM_APP = 'SMBv1';

/**
 * Decodes a first-level encoded NetBIOS name (RFC 1001 §14.1: each byte as two letters
 * 'A'..'P') of 32 characters at `off`: at most the 15 name bytes (the 16th is the suffix), up to
 * the first pair that is not a letter pair or not printable, trailing spaces dropped, lower case
 * (as nDPI reports it). Empty when nothing decodes.
 */
export function decodeNetbiosName(b: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = 0; i < 15 && off + 2 * i + 1 < end; i++) {
    const hi = b[off + 2 * i]! - 0x41;
    const lo = b[off + 2 * i + 1]! - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) break;
    const c = (hi << 4) | lo;
    if (c < 0x20 || c > 0x7e) break;
    s += String.fromCharCode(c);
  }
  return s.trimEnd().toLowerCase();
}

/** The destination port of the payload's packet. */
const dstPort = (p: Payload): number => (p.dir === 0 ? p.flow.serverPort : p.flow.clientPort);

const NS_HEADER = 12;
/** Header, a 34-byte encoded name, type and class: the smallest question or answer. */
const NS_MIN = NS_HEADER + 34 + 4;

/** Name service: a header whose opcode and counts fit a request or a response. */
function nameService(p: Payload): boolean {
  const { b, off, end } = p;
  if (end - off < NS_MIN) return false;
  const flags = u16(b, off + 2);
  const opcode = (flags >> 11) & 0xf;
  // Query, registration, release, WACK, refresh (8 and 9: RFC 1002 uses both).
  if (opcode !== 0 && (opcode < 5 || opcode > 9)) return false;
  const qd = u16(b, off + 4);
  const an = u16(b, off + 6);
  const ns = u16(b, off + 8);
  const ar = u16(b, off + 10);
  const ok = (flags & 0x8000) === 0 ? qd === 1 && an === 0 && ns === 0 && ar <= 1 : qd === 0 && an === 1 && ns === 0 && ar === 0;
  if (!ok) return false;
  if (b[off + NS_HEADER] === 0x20) {
    const name = decodeNetbiosName(b, off + NS_HEADER + 1, off + NS_HEADER + 33);
    if (name !== '') p.host(name);
  }
  return true;
}

const DGM_HEADER = 14;

/** Datagram service: a known message type from port 138 whose length or source address agrees. */
function datagramService(p: Payload): boolean {
  const { b, off, end } = p;
  if (end - off < DGM_HEADER) return false;
  const type = b[off]!;
  if (type < 0x10 || type > 0x16) return false;
  if (u16(b, off + 8) !== 138) return false;
  const src = p.dir === 0 ? p.flow.clientAddress : p.flow.serverAddress;
  const sameSource = p.flow.ipVersion === 4 && u32(b, off + 4) === src[0];
  if (type <= 0x12) {
    // Data datagrams: the length counts from the source name on.
    if (u16(b, off + 10) !== end - off - DGM_HEADER && !sameSource) return false;
    if (end - off >= DGM_HEADER + 34 && b[off + DGM_HEADER] === 0x20) {
      const name = decodeNetbiosName(b, off + DGM_HEADER + 1, off + DGM_HEADER + 33);
      if (name !== '') p.host(name);
    }
    return true;
  }
  return sameSource;
}

/** A data datagram whose user data (after the two encoded names) is an SMB message (`\xffSMB`). */
function carriesSmb(p: Payload): boolean {
  const { b, off, end } = p;
  const type = b[off]!;
  if (type > 0x12) return false;
  for (let i = off + DGM_HEADER; i + 4 <= end && i < off + DGM_HEADER + 80; i++) {
    if (b[i] === 0xff && b[i + 1] === 0x53 && b[i + 2] === 0x4d && b[i + 3] === 0x42) return true;
  }
  return false;
}

/** Session service: the client's session request with its two encoded names. */
function sessionRequest(p: Payload): boolean {
  const { b, off, end } = p;
  if (end - off < 72 || b[off] !== 0x81 || (b[off + 1]! & 0xfe) !== 0) return false;
  const len = ((b[off + 1]! & 1) << 16) | u16(b, off + 2);
  return len === end - off - 4 && b[off + 4] === 0x20 && b[off + 38] === 0x20;
}

/** NetBIOS name, datagram and session services. */
export const netbios: Dissector = {
  name: 'NetBIOS',
  transport: 'both',
  accepts: (f) =>
    f.transport === 17
      ? f.serverPort === 137 || f.clientPort === 137 || f.serverPort === 138 || f.clientPort === 138
      : f.serverPort === 139,
  inspect(p) {
    if (p.flow.transport === 6) {
      if (p.dir !== 0 || p.streamOffset !== 0) return p.dir === 1 ? CONTINUE : REJECT;
      return sessionRequest(p) ? MATCH : REJECT;
    }
    const port = dstPort(p);
    if (port === 137) return nameService(p) ? MATCH : REJECT;
    if (port === 138) return datagramService(p) ? (carriesSmb(p) ? `NetBIOS.${NETBIOS_DATAGRAM_APP}` : MATCH) : REJECT;
    // A packet towards the other side's ephemeral port (a reply): wait for one towards 137/138.
    return p.packets[0] + p.packets[1] >= 4 ? REJECT : CONTINUE;
  },
};
