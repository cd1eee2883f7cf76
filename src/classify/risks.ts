/**
 * Flow risks in nDPI's vocabulary (its risk names, verbatim), from what the classifier and the
 * parsers established about a flow. Each rule states the evidence it needs; a risk is never
 * raised on a guess it cannot back with the flow's own bytes.
 */
import type { RecordFields } from '../engine/consumer.js';
import type { Catalog } from './catalog.js';
import type { FlowInfo } from './dissector.js';

/** The risk names Sonda raises (nDPI's, except where noted). */
export const RISK = {
  knownProtoOnNonStdPort: 'Known Proto on Non Std Port',
  /** Sonda's own: nDPI has no name for a standard port carrying something else. */
  unknownProtoOnStdPort: 'Unknown Proto on Std Port',
  clearTextCredentials: 'Clear-Text Credentials',
  unsafeProtocol: 'Unsafe Protocol',
  selfSignedCert: 'Self-signed Cert',
  certExpired: 'TLS Cert Expired',
  obsoleteTls: 'Obsolete TLS (v1.1 or older)',
  weakCipher: 'Weak TLS Cipher',
  missingSni: 'Missing SNI TLS Extn',
  dgaDomain: 'Susp DGA Domain name',
  numericHost: 'HTTP/TLS/QUIC Numeric Hostname/SNI',
  binaryTransfer: 'Binary App Transfer',
  possibleExploit: 'Possible Exploit',
  sqlInjection: 'SQL Injection',
  xssAttack: 'XSS Attack',
  rceInjection: 'RCE Injection',
  suspiciousUserAgent: 'HTTP Susp User-Agent',
} as const;

/** What risks need of the classifier's per-flow state. */
export interface RiskFlow extends FlowInfo {
  /** Payloads seen per direction (up to the DPI budget). */
  readonly packets: readonly [number, number];
  /** Credentials seen in clear by a dissector or parser. */
  readonly clearCredentials?: boolean;
}

/** Protocols that carry logins or data without encryption by design. */
const UNSAFE = new Set(['Telnet', 'FTP_CONTROL', 'POP3', 'IMAP', 'SMTP', 'Rlogin', 'TFTP', 'SNMP', 'VNC', 'Rsh', 'HTTP_Proxy']);

/** Masters whose port table means "this protocol's standard ports" (where it runs elsewhere is a risk). */
const PORT_BOUND = new Set(['HTTP', 'TLS', 'SSH', 'DNS', 'FTP_CONTROL', 'SMTP', 'POP3', 'IMAP', 'Telnet', 'RDP', 'SMBv23', 'SMBv1', 'MySQL', 'PostgreSQL', 'NTP', 'SNMP', 'DHCP', 'LDAP', 'Kerberos']);

const NUMERIC_HOST = /^(\d{1,3}\.){3}\d{1,3}(:\d+)?$|^\[?[0-9a-f:]+\]?(:\d+)?$/i;

/** An address for a host name (IPv4 or IPv6 text, with or without a port). */
function isNumericHost(host: string): boolean {
  // Names are ruled out by their first letter outside an address's alphabet, without the regex.
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i) | 0x20;
    if (!((c >= 0x30 && c <= 0x3a) || (c >= 0x61 && c <= 0x66) || c === 0x2e || c === 0x7b || c === 0x7d)) return false;
  }
  return NUMERIC_HOST.test(host);
}
const SQLI = /(\bunion\b.+\bselect\b|\bselect\b.+\bfrom\b|'\s*or\s+'?\d|'\s*or\s+'[^']*'\s*=\s*'|;\s*drop\s+table|\bsleep\s*\(|--\s*$)/i;
const XSS = /(<\s*script|javascript:|onerror\s*=|onload\s*=|%3cscript|alert\s*\()/i;
const RCE = /(\/bin\/(ba)?sh|cmd\.exe|\bwget\s|\bcurl\s|;\s*(cat|ls|id|uname)\b|\$\(|`[^`]+`|\.\.\/\.\.\/|%2e%2e%2f)/i;
/** A piece of text that each alternative of SQLI, XSS and RCE contains (keep in step with them). */
const EXPLOIT_PIECES = /union|select|sleep|drop|--|['<;`$]|javascript:|onerror|onload|%3c|alert|\/bin\/|cmd\.exe|wget|curl|\.\.\/|%2e/i;
const BINARY_TYPES = /^application\/(x-dosexec|x-msdownload|x-executable|x-msdos-program|octet-stream|x-sh|java-archive|vnd\.microsoft\.portable-executable)/i;
const BINARY_URL = /\.(exe|dll|msi|scr|bin|sh|elf|jar|apk|ps1|bat)(\?|$)/i;
const SUSPICIOUS_UA = /(sqlmap|nikto|nmap|masscan|zgrab|dirbuster|hydra|w3af|acunetix|havij|<script|\$\{jndi:)/i;

const OBSOLETE_TLS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);
const WEAK_CIPHER = /(_RC4_|_DES_|_3DES_|_NULL_|EXPORT|_anon_|_MD5$|_CBC_SHA$)/;
/** Cipher suite names seen so far and whether they are weak (a few hundred names exist). */
const weakCiphers = new Map<string, boolean>();

function isWeakCipher(cipher: string): boolean {
  let weak = weakCiphers.get(cipher);
  if (weak === undefined) {
    weak = WEAK_CIPHER.test(cipher);
    // Unknown suites are written as hex codes: bounded all the same.
    if (weakCiphers.size < 4096) weakCiphers.set(cipher, weak);
  }
  return weak;
}

/** Minimum length of a label judged by the DGA heuristic. */
const DGA_MIN_LABEL = 10;

/**
 * A name looks machine-generated when its longest label is long, has few vowels for its
 * length, long consonant runs or many digits mixed with letters (the shape of DGA output).
 */
export function looksLikeDga(host: string): boolean {
  // Registrable label: the one before the public suffix (approximated: the second last).
  let end = host.length;
  if (host.endsWith('.')) end--;
  const lastDot = host.lastIndexOf('.', end - 1);
  if (lastDot <= 0) return false;
  const start = host.lastIndexOf('.', lastDot - 1) + 1;
  // Most names are ruled out here, before any string is made.
  if (lastDot - start < DGA_MIN_LABEL) return false;
  const label = host.slice(start, lastDot).toLowerCase();
  if (label.startsWith('xn--')) return false;
  let vowels = 0;
  let digits = 0;
  let run = 0;
  let maxRun = 0;
  for (const ch of label) {
    if ('aeiouy'.includes(ch)) {
      vowels++;
      run = 0;
    } else if (ch >= '0' && ch <= '9') {
      digits++;
      run = 0;
    } else if (ch >= 'a' && ch <= 'z') {
      run++;
      if (run > maxRun) maxRun = run;
    } else run = 0;
  }
  const letters = label.length - digits;
  if (letters === 0) return false;
  const vowelRatio = vowels / letters;
  return maxRun >= 6 || vowelRatio < 0.2 || (digits >= 3 && letters >= 6 && digits / label.length > 0.25 && vowelRatio < 0.35);
}

/** The authority of a URL as the HTTP parser writes it (`host/path`). */
function urlHost(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const slash = url.indexOf('/');
  return slash < 0 ? url : url.slice(0, slash);
}

function portIn(ranges: ReadonlyArray<readonly [number, number]>, port: number): boolean {
  for (const [lo, hi] of ranges) if (port >= lo && port <= hi) return true;
  return false;
}

/** The risks of one flow, given its `app` decision and the parsers' record fields. */
export function flowRisks(app: { master: string; confidence: string }, st: RiskFlow, fields: RecordFields, catalog: Catalog): string[] {
  const risks: string[] = [];
  const f = fields as {
    host?: string;
    http?: { url?: string; user_agent?: string; content_type?: string; method?: string };
    tls?: { version?: string; cipher?: string; sni?: string; cert_subject?: string; cert_issuer?: string; cert_not_after?: number };
    dns?: { query?: string };
  };
  const payload = st.packets[0] + st.packets[1] > 0;
  const master = app.master;
  if (app.confidence === 'dpi' && PORT_BOUND.has(master)) {
    const known = catalog.get(master);
    const ports = st.transport === 6 ? known?.tcp : st.transport === 17 ? known?.udp : undefined;
    if (ports !== undefined && ports.length > 0 && !portIn(ports, st.serverPort) && !portIn(ports, st.clientPort)) risks.push(RISK.knownProtoOnNonStdPort);
  }
  if (app.confidence === 'port' && payload) risks.push(RISK.unknownProtoOnStdPort);
  if (app.confidence === 'dpi' && UNSAFE.has(master)) risks.push(RISK.unsafeProtocol);
  if (st.clearCredentials) risks.push(RISK.clearTextCredentials);
  const tls = f.tls;
  if (tls !== undefined && master !== 'QUIC') {
    if (tls.version !== undefined && OBSOLETE_TLS.has(tls.version)) risks.push(RISK.obsoleteTls);
    if (tls.cipher !== undefined && isWeakCipher(tls.cipher)) risks.push(RISK.weakCipher);
    if (tls.sni === undefined && tls.version !== undefined) risks.push(RISK.missingSni);
    if (tls.cert_subject !== undefined && tls.cert_subject === tls.cert_issuer) risks.push(RISK.selfSignedCert);
  }
  if (master === 'HTTP' || master === 'TLS' || master === 'QUIC') {
    const host = f.tls?.sni ?? urlHost(f.http?.url) ?? f.host;
    if (host !== undefined && isNumericHost(host)) risks.push(RISK.numericHost);
  }
  const name = f.dns?.query ?? f.tls?.sni ?? f.host;
  if (name !== undefined && looksLikeDga(name) && !isNumericHost(name)) risks.push(RISK.dgaDomain);
  const http = f.http;
  if (http !== undefined) {
    let url = http.url ?? '';
    if (url.includes('%')) {
      try {
        url = decodeURIComponent(url);
      } catch {
        // Malformed escapes: judge the raw text.
      }
    }
    // One scan rules most URLs out: each exploit pattern needs one of these pieces.
    const suspect = EXPLOIT_PIECES.test(url);
    const sqli = suspect && SQLI.test(url);
    const xss = suspect && XSS.test(url);
    const rce = suspect && RCE.test(url);
    if (sqli) risks.push(RISK.sqlInjection);
    if (xss) risks.push(RISK.xssAttack);
    if (rce) risks.push(RISK.rceInjection);
    if (sqli || xss || rce) risks.push(RISK.possibleExploit);
    if ((http.content_type !== undefined && BINARY_TYPES.test(http.content_type) && BINARY_URL.test(url)) || (http.content_type !== undefined && /x-dosexec|x-msdownload|portable-executable/i.test(http.content_type))) {
      risks.push(RISK.binaryTransfer);
    }
    if (http.user_agent !== undefined && SUSPICIOUS_UA.test(http.user_agent)) risks.push(RISK.suspiciousUserAgent);
  }
  return risks;
}
