/**
 * Dissectors of the protocols Sonda also parses (HTTP, TLS, QUIC, DNS family, SSH, DHCP, NTP,
 * mail, FTP, SIP): the same cheap probes the parsers start with, so a flow is named even when
 * its parser is not loaded.
 */
import { probeDns } from '../../protocols/dns.js';
import { probeHttp } from '../../protocols/http.js';
import { probeImap } from '../../protocols/imap.js';
import { probePop3 } from '../../protocols/pop3.js';
import { probeQuic } from '../../protocols/quic.js';
import { quicVersionInfo } from '../../protocols/quic-crypto.js';
import { probeSip } from '../../protocols/sip.js';
import { probeSmtp } from '../../protocols/smtp.js';
import { probeSsh } from '../../protocols/ssh.js';
import { probeTls } from '../../protocols/tls.js';
import { anonDhHello } from './gnutella.js';
import { byteSet, CONTINUE, type Dissector, MATCH, onPort, type Payload, REJECT, startsWith, u32 } from '../dissector.js';

/** HTTP/1.x: a request line or a status line at the start of either direction. */
export const http: Dissector = {
  name: 'HTTP',
  transport: 'tcp',
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    if (!probeHttp(p.b, p.off, p.end)) return p.index === 0 && p.dir === 0 ? REJECT : CONTINUE;
    // A proxy request names an absolute URI or asks for a tunnel.
    if (p.dir === 0 && (startsWith(p.b, p.off, p.end, 'CONNECT ') || /^[A-Z]+ http:\/\//.test(headText(p.b, p.off, p.end)))) return 'HTTP_Proxy';
    return MATCH;
  },
};

function headText(b: Uint8Array, off: number, end: number): string {
  let s = '';
  for (let i = off; i < end && i < off + 24; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Whole TLS records from `off`: content type 20-23, version 3.0-3.4, length at most 2^14 + 2048,
 * chained record after record up to `end` (the last may continue past it). Returns the
 * number of record headers checked, 0 when something does not fit.
 */
export function tlsRecordChain(b: Uint8Array, off: number, end: number): number {
  let n = 0;
  for (let p = off; p < end; ) {
    if (end - p < 5) return n > 0 ? n : 0;
    const type = b[p]!;
    if (type < 20 || type > 23 || b[p + 1] !== 3 || b[p + 2]! > 4) return 0;
    const len = (b[p + 3]! << 8) | b[p + 4]!;
    if (len === 0 || len > 18432) return 0;
    n++;
    p += 5 + len;
  }
  return n;
}

/**
 * TLS (and SSL 2 hellos): a handshake record at the start of a direction; or, for a connection
 * picked up after its handshake, records that chain exactly (type, version, length) in two
 * payloads in a row — one such header alone is too easy to meet by chance.
 */
export const tls: Dissector<{ chained: number }> = {
  name: 'TLS',
  transport: 'tcp',
  state: () => ({ chained: 0 }),
  inspect(p, st) {
    // LimeWire's Gnutella handshake is a ClientHello offering anonymous DH alone.
    if (probeTls(p.b, p.off, p.end)) return anonDhHello(p.b, p.off, p.end) ? 'Gnutella' : MATCH;
    // A keep-alive's byte or two cannot rule TLS out (nor in): the port's guess stands.
    if (p.end - p.off < 6) return CONTINUE;
    if (p.streamOffset !== 0 || p.index > 0) {
      // Mid-stream: only payloads that start a record can be judged (the rest may be inside one).
      if (tlsRecordChain(p.b, p.off, p.end) > 0) {
        if (++st.chained >= 2) return MATCH;
        return CONTINUE;
      }
      st.chained = 0;
      return p.packets[0] + p.packets[1] >= 8 ? REJECT : CONTINUE;
    }
    // STARTTLS-style protocols speak text first: only the first payload decides alone.
    if (p.dir === 0 && !onPort(p.flow, 3389) && tlsRecordChain(p.b, p.off, p.end) === 0) return REJECT;
    if (tlsRecordChain(p.b, p.off, p.end) > 0 && ++st.chained >= 2) return MATCH;
    return CONTINUE;
  },
};

/** Short-header packets seen of a QUIC candidate: per direction, the 8 bytes after the first and the last 4. */
interface QuicShortState {
  seen: [number, number];
  cid: [number, number, number, number];
  next: [number, number];
}

/** Bytes a short-header packet carries at least: flags, an 8-byte connection ID, a packet number, a 12-byte tag (gQUIC's hash; IETF: 16). */
const QUIC_SHORT_MIN = 1 + 8 + 1 + 12;

/**
 * QUIC: an Initial (or a gQUIC public header) from the client; a long-header packet of a known
 * version from either side (a capture that starts with the server's Initial or Handshake); or,
 * on UDP 443, a flow already past its handshake: two packets of one direction with a short
 * header (IETF: fixed bit set; gQUIC: public flags with an 8-byte connection ID, no version, no
 * reset), the same 8 bytes of connection ID after the first byte and different last bytes.
 */
export const quic: Dissector<QuicShortState> = {
  name: 'QUIC',
  transport: 'udp',
  state: () => ({ seen: [0, 0], cid: [0, 0, 0, 0], next: [0, 0] }),
  inspect(p, st) {
    const b = p.b;
    if (p.dir === 0 && probeQuic(b, p.off, p.end)) return MATCH;
    const b0 = b[p.off] ?? 0;
    if ((b0 & 0xc0) === 0xc0 && p.end - p.off >= QUIC_SHORT_MIN && quicVersionInfo(u32(b, p.off + 1)) !== undefined) return MATCH;
    const short = (b0 & 0xc0) === 0x40 || (b0 < 0x40 && (b0 & 0x0b) === 0x08);
    if (short && p.end - p.off >= QUIC_SHORT_MIN && onPort(p.flow, 443)) {
      const hi = u32(b, p.off + 1);
      const lo = u32(b, p.off + 5);
      const next = u32(b, p.end - 4);
      const d = p.dir;
      // Same connection ID, but never the same packet: each ends with its own AEAD tag (or hash).
      if (st.seen[d] > 0 && st.cid[2 * d] === hi && st.cid[2 * d + 1] === lo && st.next[d] !== next) return MATCH;
      st.seen[d]++;
      st.cid[2 * d] = hi;
      st.cid[2 * d + 1] = lo;
      st.next[d] = next;
      return st.seen[0] + st.seen[1] >= 6 ? REJECT : CONTINUE;
    }
    return p.index >= 1 ? REJECT : CONTINUE;
  },
};

/** DNS, mDNS and LLMNR by their ports, each message checked for shape. */
export const dns: Dissector = {
  name: 'DNS',
  transport: 'both',
  accepts: (f) => onPort(f, 53) || onPort(f, 5353) || onPort(f, 5355),
  inspect(p) {
    let off = p.off;
    if (p.flow.transport === 6) {
      if (p.streamOffset !== 0) return CONTINUE;
      off += 2; // length prefix
    }
    if (!probeDns(p.b, off, p.end)) return p.index >= 1 ? REJECT : CONTINUE;
    if (onPort(p.flow, 5353)) return 'MDNS';
    if (onPort(p.flow, 5355)) return 'LLMNR';
    return MATCH;
  },
};

/** SSH: the identification banner. */
export const ssh: Dissector = {
  name: 'SSH',
  transport: 'tcp',
  first: { bytes: byteSet('S') },
  inspect: (p) => (probeSsh(p.b, p.off, p.end) ? MATCH : p.streamOffset === 0 && p.index === 0 ? REJECT : CONTINUE),
};

/** DHCP: BOOTP with the DHCP magic cookie, on its ports. */
export const dhcp: Dissector = {
  name: 'DHCP',
  transport: 'udp',
  first: { bytes: byteSet(1, 2), minLength: 240 },
  accepts: (f) => (f.clientPort === 67 || f.clientPort === 68) && (f.serverPort === 67 || f.serverPort === 68),
  inspect: (p) => (p.end - p.off >= 240 && (p.b[p.off] === 1 || p.b[p.off] === 2) && u32(p.b, p.off + 236) === 0x63825363 ? MATCH : REJECT),
};

/** DHCPv6 on its ports: message types 1..13. */
export const dhcpv6: Dissector = {
  name: 'DHCPV6',
  transport: 'udp',
  first: { bytes: byteSet([1, 13]), minLength: 4 },
  accepts: (f) => (f.clientPort === 546 || f.clientPort === 547) && (f.serverPort === 546 || f.serverPort === 547),
  inspect: (p) => (p.end - p.off >= 4 && p.b[p.off]! >= 1 && p.b[p.off]! <= 13 ? MATCH : REJECT),
};

/** NTP: version 1..4 and a mode, in a 48-byte (or longer) message on port 123. */
export const ntp: Dissector = {
  name: 'NTP',
  transport: 'udp',
  // Any leap indicator and mode, version 1..4 in bits 3-5.
  first: { bytes: byteSet([0x08, 0x27], [0x48, 0x67], [0x88, 0xa7], [0xc8, 0xe7]), minLength: 48 },
  accepts: (f) => onPort(f, 123),
  inspect(p) {
    if (p.end - p.off < 48) return REJECT;
    const v = (p.b[p.off]! >> 3) & 7;
    return v >= 1 && v <= 4 ? MATCH : REJECT;
  },
};

/** SMTP: the server's 220 greeting with an SMTP word, or the client's EHLO/HELO. */
export const smtp: Dissector = {
  name: 'SMTP',
  transport: 'tcp',
  inspect: (p) => (probeSmtp(p.dir, p.b, p.off, p.end) || greets(p, '220', [25, 587]) ? MATCH : p.index >= 1 ? REJECT : CONTINUE),
};

/** On the protocol's own port, the server's greeting alone (many do not name the protocol). */
function greets(p: Payload, word: string, ports: readonly number[]): boolean {
  return p.dir === 1 && p.streamOffset === 0 && ports.includes(p.flow.serverPort) && startsWith(p.b, p.off, p.end, word);
}

/** POP3: `+OK` greeting or a POP3 command. */
export const pop3: Dissector = {
  name: 'POP3',
  transport: 'tcp',
  inspect: (p) => (probePop3(p.dir, p.b, p.off, p.end) || greets(p, '+OK', [110]) ? MATCH : p.index >= 1 ? REJECT : CONTINUE),
};

/** IMAP: `* OK` greeting or a tagged IMAP command. */
export const imap: Dissector = {
  name: 'IMAP',
  transport: 'tcp',
  inspect: (p) => (probeImap(p.dir, p.b, p.off, p.end) || greets(p, '* OK', [143]) ? MATCH : p.index >= 1 ? REJECT : CONTINUE),
};

/** FTP control: a `220` greeting (with FTP in it, or on port 21) or USER/AUTH from the client. */
export const ftp: Dissector = {
  name: 'FTP_CONTROL',
  transport: 'tcp',
  inspect(p) {
    const { b, off, end } = p;
    if (p.streamOffset !== 0) return CONTINUE;
    if (p.dir === 1 && startsWith(b, off, end, '220')) {
      const line = headText(b, off, Math.min(end, off + 24)).toLowerCase();
      return onPort(p.flow, 21) || line.includes('ftp') ? MATCH : CONTINUE;
    }
    if (p.dir === 0 && (startsWith(b, off, end, 'USER ') || startsWith(b, off, end, 'AUTH TLS') || startsWith(b, off, end, 'AUTH SSL'))) {
      return onPort(p.flow, 21) ? MATCH : CONTINUE;
    }
    return p.index >= 1 ? REJECT : CONTINUE;
  },
};

/** SIP: a request or status line of SIP/2.0. */
export const sip: Dissector = {
  name: 'SIP',
  transport: 'both',
  inspect: (p) => (probeSip(p.b, p.off, p.end) ? MATCH : p.index >= 1 ? REJECT : CONTINUE),
};

/** The core dissectors, most specific first (DNS on its ports before anything on 53). */
export const CORE_DISSECTORS: readonly Dissector[] = [dns, dhcp, dhcpv6, ntp, tls, http, ssh, smtp, pop3, imap, ftp, quic, sip];
