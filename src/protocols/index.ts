/**
 * The built-in protocol parsers as consumers of the engine (the same interface plugins use).
 * Each row says which flows a parser looks at, how it is fed and what it adds to the record.
 */
import type { Consumer, EventFields, FlowStart, RecordFields } from '../engine/consumer.js';
import { type DhcpState, dhcpConsumer } from './dhcp.js';
import { ftpConsumer } from './ftp.js';
import { DnsFlowState, DnsPort, type DnsTransaction } from './dns.js';
import { type HttpTransaction, HttpParser, probeHttp } from './http.js';
import { type NtpState, ntpConsumer } from './ntp.js';
import { type ProbedFlow, probedTcpConsumer } from './probed.js';
import { type QuicFlow, quicConsumerWith } from './quic.js';
import { imapConsumer } from './imap.js';
import { pop3Consumer } from './pop3.js';
import { rtpConsumer } from './rtp.js';
import { sipConsumer } from './sip.js';
import { smtpConsumer } from './smtp.js';
import { type SshFlow, sshConsumer } from './ssh.js';
import { probeTls, TlsParser } from './tls.js';
import type { Ja4Variant } from './tls-fingerprint.js';

const DNS_PORTS = new Set<number>([DnsPort.Dns, DnsPort.Mdns, DnsPort.Llmnr]);

/** Packet time in µs as event seconds (microsecond precision). */
const seconds = (us: number | undefined): number | undefined => (us === undefined || us < 0 ? undefined : Math.round(us) / 1e6);

/** A copy of `obj` without undefined values, for event fields. */
function defined(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

/** A consumer defined elsewhere, with transaction events added (and a stricter `open`, if given). */
function withEvents<S>(c: Consumer<S>, events: (state: S) => readonly EventFields[] | undefined, open?: (s: FlowStart) => S | undefined): Consumer<S> {
  return { ...c, open: open ?? ((s) => c.open(s)), events };
}

/** Sets the record's `host` unless an earlier parser set it (the first name the client asked for wins). */
function setHost(fields: RecordFields, host: string | undefined): void {
  if (host !== undefined && host !== '' && fields.host === undefined) fields.host = host;
}

/**
 * A name in dig's presentation form (`luca\226\128\153s\032imac.local`) as people read it
 * (`luca’s imac.local`): escapes undone, bytes read as UTF-8. For `host`; `dns.query` keeps
 * the exact form.
 */
export function readableName(name: string): string {
  if (!name.includes('\\')) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c && i + 3 < name.length + 0 && /^[0-9]{3}$/.test(name.slice(i + 1, i + 4))) {
      bytes.push(Number(name.slice(i + 1, i + 4)) & 0xff);
      i += 3;
    } else if (c === 0x5c && i + 1 < name.length) {
      bytes.push(name.charCodeAt(++i) & 0xff);
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A DNS flow's parser, and whether it must read every transaction (events listened to). */
interface DnsFlow {
  readonly dns: DnsFlowState;
  readonly events: boolean;
}

/** DNS, mDNS and LLMNR over UDP and TCP, by port: `dns` and `host` (the query name). */
export const dnsConsumer: Consumer<DnsFlow> = {
  name: 'dns',
  open(s: FlowStart) {
    if ((s.protocol !== 17 && s.protocol !== 6) || !(DNS_PORTS.has(s.serverPort) || DNS_PORTS.has(s.clientPort))) return undefined;
    // Name/address pairs (`resolved()`) have no reader here: not made (the classifier keeps its own cache).
    const dns = new DnsFlowState(s.weird, { maxResolved: 0 });
    if (s.live) {
      const { publish, flow } = s;
      dns.onAnswer = (tx) => publish(flow, dnsEvent(tx));
    }
    return { dns, events: s.events };
  },
  datagram: (st, dir, b, off, end, tsUs) => st.dns.datagram(dir, b, off, end, tsUs),
  stream: (st, dir, b, off, end, tsUs) => st.dns.data(dir, b, off, end, tsUs),
  gap: (st, dir) => st.dns.gap(dir),
  // The record needs the first transaction only; with events, every one is read.
  done: (st) => st.dns.done && !st.events,
  close(st, fields) {
    const dns = st.dns.record();
    if (dns === undefined) return;
    fields.dns = dns;
    setHost(fields, dns.query === undefined ? undefined : readableName(dns.query));
  },
  events: (st) => st.dns.transactions().map(dnsEvent),
};

/** A DNS transaction as an event. */
function dnsEvent(t: DnsTransaction): EventFields {
  return { type: 'dns', ...defined({ id: t.id, query: t.query, qtype: t.qtype, rcode: t.rcode, answers: t.answers.length > 0 ? t.answers.slice() : undefined, latency_ms: t.latencyUs === undefined ? undefined : t.latencyUs / 1000 }) };
}

/**
 * Ports where TLS follows a plaintext dialogue (STARTTLS in SMTP, POP3, IMAP, FTP, XMPP, LDAP;
 * RDP's negotiation): the parser is given the flow even though it does not start with TLS.
 */
const STARTTLS_PORTS = new Set<number>([21, 25, 110, 143, 389, 587, 3389, 5222, 5269]);

/** The contract's `tls` fields, in its order. */
const TLS_RECORD_KEYS = ['version', 'sni', 'alpn', 'ja3', 'ja4', 'cipher', 'cert_subject', 'cert_issuer'] as const;

/** TLS handshakes: `tls` (version, sni, alpn, ja3, ja4, cipher, certificate names) and `host` (SNI). */
export const tlsConsumer: Consumer<ProbedFlow<TlsParser>> = tlsConsumerWith('foxio');

/** {@link tlsConsumer} with the chosen JA4 form. */
function tlsConsumerWith(ja4Variant: Ja4Variant): Consumer<ProbedFlow<TlsParser>> {
  return probedTcpConsumer({
  name: 'tls',
  port: (s) => STARTTLS_PORTS.has(s.serverPort),
  probe: (_dir, b, off, end) => probeTls(b, off, end),
  create: (weird) => new TlsParser(weird, ja4Variant),
  close(parser, fields) {
    const info = parser.info();
    const tls: Record<string, unknown> = {};
    // The contract's `tls` fields, in its order (JA3S goes to the tls event, not the flow).
    for (const k of TLS_RECORD_KEYS) if (info[k] !== undefined) tls[k] = info[k];
    if (Object.keys(tls).length === 0) return;
    fields.tls = tls;
    setHost(fields, info.sni);
  },
  events(parser) {
    const info = parser.info();
    return Object.keys(info).length > 0 ? [{ type: 'tls', ...defined({ ...info }) }] : undefined;
  },
  });
}

/** TCP flows whose first payload (either direction) looks like HTTP/1.x. */
interface HttpFlow {
  parser: HttpParser | null;
  decided: boolean;
  /** A transaction with both request and response is complete: the record has what it needs. */
  complete: boolean;
  /** Someone listens to events: read every transaction. */
  readonly events: boolean;
  readonly weird: (name: string) => void;
  /** Live listeners: each transaction is published as it completes. */
  readonly publish: ((flow: number, ev: EventFields) => void) | null;
  readonly flow: number;
}

/** The first value of a (lower-case) header, if present. */
function header(headers: ReadonlyArray<[string, string]>, name: string): string | undefined {
  for (const [k, v] of headers) if (k === name) return v;
  return undefined;
}

/** An HTTP transaction as an event. */
function httpEvent(tx: HttpTransaction): EventFields {
  return {
    type: 'http',
    ...defined({
      ts: seconds(tx.requestTs ?? tx.responseTs),
      method: tx.method || undefined,
      url: tx.url || undefined,
      version: tx.version || undefined,
      host: tx.host,
      user_agent: tx.user_agent,
      referer: header(tx.requestHeaders, 'referer'),
      cookie: header(tx.requestHeaders, 'cookie'),
      request_content_type: tx.request_content_type,
      request_body_len: tx.requestBodyLength,
      status: tx.status,
      reason: tx.reason,
      content_type: tx.content_type,
      server: tx.server,
      response_body_len: tx.responseBodyLength,
      content_encoding: tx.contentEncoding,
      latency_ms: tx.latencyUs === undefined ? undefined : tx.latencyUs / 1000,
      connect: tx.connect,
      upgrade: tx.upgrade,
    }),
  };
}

/** HTTP/1.x: `http` (first transaction: method, url, host, status, user_agent, content_type, server) and `host`. */
export const httpConsumer: Consumer<HttpFlow> = {
  name: 'http',
  openAt: 'payload',
  mayOpen: (s) => s.protocol === 6,
  open: (s) => (s.protocol === 6 ? { parser: null, decided: false, complete: false, events: s.events, weird: s.weird, publish: s.live ? s.publish : null, flow: s.flow } : undefined),
  stream(st, dir, b, off, end, tsUs) {
    if (!st.decided) {
      st.decided = true;
      if (!probeHttp(b, off, end)) return false;
      // Pay for what is used: the record needs the first complete transaction only.
      st.parser = new HttpParser(st.weird, undefined, {
        onTransaction: (tx) => {
          if (tx.method && tx.status !== undefined) st.complete = true;
          st.publish?.(st.flow, httpEvent(tx));
        },
      });
    }
    st.parser?.data(dir, b, off, end, tsUs);
  },
  gap: (st, dir, bytes) => st.parser?.gap(dir, bytes),
  done: (st) => st.decided && (st.parser === null || (st.complete && !st.events) || st.parser.done),
  close(st, fields) {
    if (st.parser === null) return;
    st.parser.end();
    const http = st.parser.record();
    if (http === undefined) return;
    fields.http = http;
    setHost(fields, typeof http.host === 'string' ? http.host : undefined);
  },
  events: (st) => st.parser?.transactions.map(httpEvent),
};

/** QUIC: a `tls` event with the QUIC version. */
function quicWithEvents(ja4Variant: Ja4Variant): Consumer<QuicFlow> {
  return withEvents(quicConsumerWith(ja4Variant), (st: QuicFlow) => {
    const info = st.parser?.info();
    return info === undefined || Object.keys(info).length === 0 ? undefined : [{ type: 'tls', transport: 'quic', ...defined({ ...info }) }];
  });
}

/** SSH: banners, negotiated algorithms, HASSH and HASSHServer. */
const sshWithEvents = withEvents(sshConsumer, (st: SshFlow) => {
  if (st.parser === null) return undefined;
  const { client_kexinit: _c, server_kexinit: _s, ...info } = st.parser.info() as unknown as Record<string, unknown>;
  return [{ type: 'ssh', ...defined(info) }];
});

/** DHCP: one event per flow, the options that matter (message types, names, fingerprint). */
const dhcpWithEvents = withEvents(dhcpConsumer, (st: DhcpState) => {
  const info = st.info();
  if (info === undefined) return undefined;
  const { messages: _m, ...rest } = info;
  return [{ type: 'dhcp', ...defined(rest) }];
});

/** NTP: adds nothing to the record, so it only follows flows when events are listened to. */
const ntpWithEvents = withEvents(
  ntpConsumer,
  (st: NtpState) => {
    const info = st.info();
    if (info === undefined) return undefined;
    const { messages: _m, ...rest } = info;
    return [{ type: 'ntp', ...defined(rest) }];
  },
  (s) => (s.events ? ntpConsumer.open(s) : undefined),
);

/**
 * Parsers, in the order they fill shared record fields (`host`). NTP, SMTP, POP3, IMAP, SIP,
 * FTP and RTP add no record field and follow flows only when events are listened to. SSH's `host` is the first banner, as
 * ndpiReader reports it.
 */
export const PARSERS: ReadonlyArray<Consumer> = [
  httpConsumer as Consumer,
  tlsConsumer as Consumer,
  quicWithEvents('foxio') as Consumer,
  dnsConsumer as Consumer,
  dhcpWithEvents as Consumer,
  sshWithEvents as Consumer,
  ntpWithEvents as Consumer,
  // Events only (they follow flows only when events are listened to):
  smtpConsumer as Consumer,
  pop3Consumer as Consumer,
  imapConsumer as Consumer,
  sipConsumer as Consumer,
  ftpConsumer as Consumer,
  rtpConsumer as Consumer,
];

/** How the parsers fill the record, beyond which of them run. */
export interface ParserOptions {
  /** JA4 as its specification (`foxio`, the default) or as ndpiReader writes it (`ndpi`). */
  ja4?: Ja4Variant;
}

/** The parsers named in `list` ('all', 'none', or comma-separated names). */
export function selectParsers(list: string, opts: ParserOptions = {}): Consumer[] {
  if (list === 'none' || list === '') return [];
  const names = list === 'all' ? undefined : list.split(',').map((x) => x.trim().toLowerCase());
  const known = new Set(PARSERS.map((p) => p.name));
  for (const n of names ?? []) if (!known.has(n)) throw new RangeError(`unknown parser "${n}" (known: ${[...known].join(', ')})`);
  const chosen = names === undefined ? [...PARSERS] : PARSERS.filter((p) => names.includes(p.name));
  if ((opts.ja4 ?? 'foxio') === 'foxio') return chosen;
  const ja4 = opts.ja4!;
  return chosen.map((p) => (p.name === 'tls' ? (tlsConsumerWith(ja4) as Consumer) : p.name === 'quic' ? (quicWithEvents(ja4) as Consumer) : p));
}
