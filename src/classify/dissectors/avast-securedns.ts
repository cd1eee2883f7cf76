/**
 * AVAST SecureDNS: Avast's DNSCrypt resolver. A client starts by fetching the resolver's
 * certificate with a plain DNS TXT query for its provider name, `2.securedns.avast.com` (the
 * `2` is the DNSCrypt version), usually to UDP 443 and with the letters' case randomised.
 * nDPI names the whole flow `AVASTSecureDNS`.
 */
import { type Dissector, MATCH, REJECT, u16 } from '../dissector.js';
import { matchDnsName } from './group-c-bytes.js';

const HEADER = 12;
const PROVIDER = ['2', 'securedns', 'avast', 'com'] as const;
const TYPE_TXT = 16;

/** A DNS message (query, or its answer) with one question: TXT for the Avast provider name. */
function isProviderQuestion(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < HEADER + 26) return false;
  const flags = u16(b, off + 2);
  // Standard query opcode, one question, no authority records.
  if ((flags & 0x7800) !== 0 || u16(b, off + 4) !== 1 || u16(b, off + 8) !== 0) return false;
  const response = (flags & 0x8000) !== 0;
  if (!response && u16(b, off + 6) !== 0) return false;
  const at = matchDnsName(b, off + HEADER, end, PROVIDER);
  return at > 0 && at + 4 <= end && u16(b, at) === TYPE_TXT && u16(b, at + 2) === 1;
}

/** AVASTSecureDNS: the certificate query (or its answer) as the first datagram of a flow. */
export const avastSecureDns: Dissector = {
  name: 'AVASTSecureDNS',
  transport: 'udp',
  // Header, the provider name's 23 bytes, type and class; the first byte is the DNS id.
  first: { minLength: 39 },
  inspect: (p) => (isProviderQuestion(p.b, p.off, p.end) ? MATCH : REJECT),
};
