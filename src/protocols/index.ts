/**
 * The built-in protocol parsers as consumers of the engine (the same interface plugins use).
 * Each row says which flows a parser looks at, how it is fed and what it adds to the record.
 */
import type { Consumer, FlowStart, RecordFields } from '../engine/consumer.js';
import { dhcpConsumer } from './dhcp.js';
import { DnsFlowState, DnsPort } from './dns.js';
import { HttpParser, probeHttp } from './http.js';
import { quicConsumer } from './quic.js';
import { sshConsumer } from './ssh.js';
import { probeTls, TlsParser } from './tls.js';

const DNS_PORTS = new Set<number>([DnsPort.Dns, DnsPort.Mdns, DnsPort.Llmnr]);

/** Sets the record's `host` unless an earlier parser set it (the first name the client asked for wins). */
function setHost(fields: RecordFields, host: string | undefined): void {
  if (host !== undefined && host !== '' && fields.host === undefined) fields.host = host;
}

/** DNS, mDNS and LLMNR over UDP and TCP, by port: `dns` and `host` (the query name). */
export const dnsConsumer: Consumer<DnsFlowState> = {
  name: 'dns',
  open(s: FlowStart) {
    if ((s.protocol !== 17 && s.protocol !== 6) || !(DNS_PORTS.has(s.serverPort) || DNS_PORTS.has(s.clientPort))) return undefined;
    return new DnsFlowState(s.weird);
  },
  datagram: (st, dir, b, off, end, tsUs) => st.datagram(dir, b, off, end, tsUs),
  stream: (st, dir, b, off, end, tsUs) => st.data(dir, b, off, end, tsUs),
  gap: (st, dir) => st.gap(dir),
  done: (st) => st.done,
  close(st, fields) {
    const dns = st.record();
    if (dns === undefined) return;
    fields.dns = dns;
    setHost(fields, dns.query);
  },
};

/**
 * Ports where TLS follows a plaintext dialogue (STARTTLS in SMTP, POP3, IMAP, FTP, XMPP, LDAP;
 * RDP's negotiation): the parser is given the flow even though it does not start with TLS.
 */
const STARTTLS_PORTS = new Set<number>([21, 25, 110, 143, 389, 587, 3389, 5222, 5269]);

/** TCP flows that start with a TLS record (any port), or STARTTLS ports. */
interface TlsFlow {
  parser: TlsParser | null;
  /** The first payload decided whether this is TLS; false: not TLS, nothing more wanted. */
  decided: boolean;
  readonly serverPort: number;
  readonly weird: (name: string) => void;
}

/** TLS handshakes: `tls` (version, sni, alpn, ja3, ja4, cipher, certificate names) and `host` (SNI). */
export const tlsConsumer: Consumer<TlsFlow> = {
  name: 'tls',
  open: (s) => (s.protocol === 6 ? { parser: null, decided: false, serverPort: s.serverPort, weird: s.weird } : undefined),
  stream(st, dir, b, off, end) {
    if (!st.decided) {
      st.decided = true;
      if (probeTls(b, off, end) || STARTTLS_PORTS.has(st.serverPort)) st.parser = new TlsParser(st.weird);
    }
    st.parser?.data(dir, b, off, end);
  },
  gap: (st, dir) => st.parser?.gap(dir),
  done: (st) => st.decided && (st.parser === null || st.parser.done),
  close(st, fields) {
    if (st.parser === null) return;
    const info = st.parser.info();
    const tls: Record<string, unknown> = {};
    // The contract's `tls` fields, in its order (JA3S goes to the tls event, not the flow).
    for (const k of ['version', 'sni', 'alpn', 'ja3', 'ja4', 'cipher', 'cert_subject', 'cert_issuer'] as const) if (info[k] !== undefined) tls[k] = info[k];
    if (Object.keys(tls).length === 0) return;
    fields.tls = tls;
    setHost(fields, info.sni);
  },
};

/** TCP flows whose first payload (either direction) looks like HTTP/1.x. */
interface HttpFlow {
  parser: HttpParser | null;
  decided: boolean;
  /** A transaction with both request and response is complete: the record has what it needs. */
  complete: boolean;
  readonly weird: (name: string) => void;
}

/** HTTP/1.x: `http` (first transaction: method, url, host, status, user_agent, content_type, server) and `host`. */
export const httpConsumer: Consumer<HttpFlow> = {
  name: 'http',
  open: (s) => (s.protocol === 6 ? { parser: null, decided: false, complete: false, weird: s.weird } : undefined),
  stream(st, dir, b, off, end, tsUs) {
    if (!st.decided) {
      st.decided = true;
      if (probeHttp(b, off, end)) {
        // Pay for what is used: the record needs the first complete transaction only.
        st.parser = new HttpParser(st.weird, undefined, {
          onTransaction: (tx) => {
            if (tx.method && tx.status !== undefined) st.complete = true;
          },
        });
      }
    }
    st.parser?.data(dir, b, off, end, tsUs);
  },
  gap: (st, dir, bytes) => st.parser?.gap(dir, bytes),
  done: (st) => st.decided && (st.parser === null || st.complete || st.parser.done),
  close(st, fields) {
    if (st.parser === null) return;
    st.parser.end();
    const http = st.parser.record();
    if (http === undefined) return;
    fields.http = http;
    setHost(fields, typeof http.host === 'string' ? http.host : undefined);
  },
};

/**
 * Parsers that fill record fields, in the order they fill shared ones (`host`). The NTP
 * parser (ntp.ts) adds no record field: it joins when transaction events do. SSH's `host` is
 * the first banner, as ndpiReader reports it.
 */
export const PARSERS: ReadonlyArray<Consumer> = [
  httpConsumer as Consumer,
  tlsConsumer as Consumer,
  quicConsumer as Consumer,
  dnsConsumer as Consumer,
  dhcpConsumer as Consumer,
  sshConsumer as Consumer,
];

/** The parsers named in `list` ('all', 'none', or comma-separated names). */
export function selectParsers(list: string): Consumer[] {
  if (list === 'all') return [...PARSERS];
  if (list === 'none' || list === '') return [];
  const names = list.split(',').map((x) => x.trim().toLowerCase());
  const known = new Set(PARSERS.map((p) => p.name));
  for (const n of names) if (!known.has(n)) throw new RangeError(`unknown parser "${n}" (known: ${[...known].join(', ')})`);
  return PARSERS.filter((p) => names.includes(p.name));
}
