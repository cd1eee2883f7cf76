/**
 * WHOIS (RFC 3912) on TCP 43: the client sends one line, the query, ended by CRLF, and the
 * server answers with text and closes. nDPI names it `Whois-DAS` (the Domain Availability
 * Service on 4343 shares the name) and reports the queried domain as the flow's host.
 */
import { CONTINUE, type Dissector, MATCH, REJECT } from '../dissector.js';
import { isPrintable, latin1 } from './group-c-bytes.js';

const PORT = 43;
const MAX_QUERY = 512;

/** A domain-like query: dotted labels of letters, digits, hyphens (and IDN/underscore leniency). */
const DOMAIN = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)+\.?$/i;

/** Whois-DAS: a single CRLF-ended printable query line from the client to port 43. */
export const whois: Dissector = {
  name: 'Whois-DAS',
  transport: 'tcp',
  accepts: (f) => f.serverPort === PORT,
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    const n = end - off;
    if (p.streamOffset !== 0 || n < 3 || n > MAX_QUERY) return REJECT;
    if (b[end - 2] !== 0x0d || b[end - 1] !== 0x0a || !isPrintable(b, off, end - 2)) return REJECT;
    for (let i = off; i < end - 2; i++) if (b[i] === 0x0d || b[i] === 0x0a) return REJECT;
    const query = latin1(b, off, end - 2).trim();
    // Flags may come first ("-T domain example.com"): the host is the last word.
    const last = query.slice(query.lastIndexOf(' ') + 1);
    if (DOMAIN.test(last)) p.host(last.toLowerCase());
    return MATCH;
  },
};
