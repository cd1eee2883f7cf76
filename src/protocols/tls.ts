/**
 * TLS (RFC 5246, RFC 8446) handshake parser over reassembled TCP bytes: the record layer, the
 * ClientHello and ServerHello (HelloRetryRequest included), the first certificate of a
 * TLS <= 1.2 Certificate message, and the JA3 / JA3S / JA4 fingerprints.
 *
 * One {@link TlsParser} per flow. Each direction's bytes are fed in stream order, records and
 * handshake messages split anywhere. Nothing in the bytes throws: anomalies are named weirds
 * (`TLS_WEIRDS`) and the direction gives up where going on would mean guessing.
 *
 * A direction's bytes before its first record (a STARTTLS dialogue, RDP's negotiation) are
 * skipped, a `data()` call at a time, up to {@link TLS_MAX_PREAMBLE} bytes. After a `gap()`,
 * parsing resumes at the first call whose bytes start with a plausible record header.
 *
 * Memory: a handshake message is parsed in place when one `data()` call holds it whole;
 * otherwise it is buffered, up to {@link TLS_MAX_HANDSHAKE} bytes per direction. A longer
 * Certificate message is cut there and its first certificate read from what was kept; any
 * other longer message is `tls_handshake_too_large` and ends that direction's parsing.
 */
import { type ClientHelloFields, isGrease, type Ja4Variant, ja3, ja3s, ja4, type ServerHelloFields } from './tls-fingerprint.js';
import { certificateNames } from './x509.js';
import { latin1, mappedText, printableTable } from './byte-text.js';

/** 0 = client → server, 1 = server → client. */
export type Dir = 0 | 1;

/** What a flow record's `tls` object gets (names of ../shared/spec/flow-record.md). */
export interface TlsInfo {
  /**
   * Negotiated version: the ServerHello's supported_versions selection (TLS 1.3) or its
   * legacy version. Without a ServerHello: the ClientHello's `legacy_version` (as ndpiReader
   * reports unidirectional captures), not the highest version offered.
   */
  version?: string;
  /** server_name of the ClientHello (lower-cased). */
  sni?: string;
  /** ALPN protocols the client offered, in order. */
  alpn?: string[];
  ja3?: string;
  ja3s?: string;
  ja4?: string;
  /** IANA name of the ServerHello's cipher suite, `TLS_CIPHER_0xHHHH` when not in the table. */
  cipher?: string;
  /** Subject and issuer of the server's first certificate (TLS <= 1.2 only), `"C=US, O=…, CN=…"`. */
  cert_subject?: string;
  cert_issuer?: string;
}

/** Weird names this parser reports (snake_case, `tls_` prefix). */
export const TLS_WEIRDS = [
  'tls_bad_record_type',
  'tls_bad_record_length',
  'tls_bad_handshake',
  'tls_bad_extension',
  'tls_extension_overflow',
  'tls_handshake_too_large',
  'tls_bad_certificate',
  'tls_unexpected_message',
  'tls_gap',
  'tls_no_record',
] as const;
export type TlsWeird = (typeof TLS_WEIRDS)[number];

/** Largest handshake message buffered per direction when it spans `data()` calls or records. */
export const TLS_MAX_HANDSHAKE = 64 * 1024;
/** Largest record body: 2^14 plaintext + 2048 expansion (RFC 5246 §6.2.3). */
const MAX_RECORD = 16384 + 2048;
/**
 * Bytes skipped at the start of a direction before its first record (STARTTLS dialogues, RDP's
 * X.224 negotiation): past this the direction is not TLS (`tls_no_record`).
 */
export const TLS_MAX_PREAMBLE = 16 * 1024;

export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23, Heartbeat: 24 } as const;
export const HandshakeType = {
  HelloRequest: 0,
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  Certificate: 11,
  ServerKeyExchange: 12,
  CertificateRequest: 13,
  ServerHelloDone: 14,
  CertificateStatus: 22,
} as const;
export const ExtType = {
  ServerName: 0,
  SupportedGroups: 10,
  EcPointFormats: 11,
  SignatureAlgorithms: 13,
  Alpn: 16,
  SupportedVersions: 43,
} as const;

/** Record type used internally for the body of an SSLv2-compatible ClientHello. */
const SSL2_HELLO = 0x100;

/** SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = [
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
  0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/**
 * Cheap test for the start of a TLS connection: a handshake record (type 22, version 3.x,
 * plausible length) whose first message, where present, is a ClientHello or ServerHello; or
 * an SSLv2-compatible ClientHello. Reads at most 6 bytes; 3 are enough to say yes.
 */
export function probeTls(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n < 3) return false;
  if (isSsl2Hello(b, off, end)) return true;
  if (b[off] !== ContentType.Handshake || b[off + 1] !== 3 || b[off + 2]! > 4) return false;
  if (n >= 5) {
    const len = (b[off + 3]! << 8) | b[off + 4]!;
    if (len === 0 || len > MAX_RECORD) return false;
  }
  if (n >= 6) {
    const t = b[off + 5]!;
    if (t !== HandshakeType.ClientHello && t !== HandshakeType.ServerHello) return false;
  }
  return true;
}

/** SSLv2 record header (2-byte form) holding a CLIENT-HELLO of version 2 or 3.x. */
function isSsl2Hello(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 5) return false;
  const b0 = b[off]!;
  if (!(b0 & 0x80)) return false;
  const len = ((b0 & 0x7f) << 8) | b[off + 1]!;
  if (len < 9 || b[off + 2] !== 1) return false;
  const major = b[off + 3]!;
  const minor = b[off + 4]!;
  return (major === 0 && minor === 2) || (major === 3 && minor <= 3);
}

/** Any TLS record header (types 20..24, version 3.x, length within limits): resync after a gap. */
function looksLikeRecord(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 5) return false;
  const t = b[off]!;
  if (t < ContentType.ChangeCipherSpec || t > ContentType.Heartbeat || b[off + 1] !== 3 || b[off + 2]! > 4) return false;
  const len = (b[off + 3]! << 8) | b[off + 4]!;
  return len > 0 && len <= MAX_RECORD;
}

/**
 * Could `b[off, end)` start the first record of a direction? Content type 20..24 and version
 * 3.x, or the high bit of an SSLv2 header; a short chunk passes on a plausible prefix. The
 * length is left to the record layer, which reports a bad one.
 */
function mayStartRecord(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (n <= 0) return true;
  const t = b[off]!;
  if (t & 0x80) return n < 5 || isSsl2Hello(b, off, end);
  if (t < ContentType.ChangeCipherSpec || t > ContentType.Heartbeat) return false;
  if (n >= 2 && b[off + 1] !== 3) return false;
  return n < 3 || b[off + 2]! <= 4;
}

/** `TLSv1.2` etc. in ndpiReader's naming; undefined for a value that is no known version. */
export function tlsVersionName(v: number): string | undefined {
  switch (v) {
    case 0x0002:
    case 0x0200:
      return 'SSLv2';
    case 0x0300:
      return 'SSLv3';
    case 0x0301:
      return 'TLSv1';
    case 0x0302:
      return 'TLSv1.1';
    case 0x0303:
      return 'TLSv1.2';
    case 0x0304:
      return 'TLSv1.3';
    case 0xfb1a:
      return 'TLSv1.3 (Fizz)';
    default:
      return v >= 0x7f00 && v <= 0x7fff ? 'TLSv1.3 (draft)' : undefined;
  }
}

/** One direction's parsing state. */
class Side {
  /** Record header being gathered across calls (5 bytes; made when a header is first split). */
  hdr: Uint8Array | null = null;
  hdrLen = 0;
  /** Content type and body bytes still to come of the current record (0: at a header). */
  recType = 0;
  recLeft = 0;
  records = 0;
  /** Handshake message being gathered (4-byte header + body), when it spans calls or records. */
  hs: Uint8Array | null = null;
  hsLen = 0;
  /** Bytes of an over-long Certificate message still to skip. */
  hsSkip = 0;
  /** Nothing more is wanted from this direction (or it gave up). */
  stopped = false;
  /** After a gap: bytes are dropped until something looks like a record header. */
  lost = false;
  /** Bytes skipped before the first record (see `TLS_MAX_PREAMBLE`). */
  preamble = 0;
}

/**
 * Per-flow TLS handshake parser. See the module comment for limits; weirds go to the
 * `weird` callback given at construction.
 */
export class TlsParser {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  /** Direction that sent the ClientHello / ServerHello (-1: not seen). */
  private clientDir = -1;
  private serverDir = -1;

  private clientVersion = -1;
  private sni: string | undefined;
  private alpn: string[] | undefined;
  private ja3: string | undefined;
  private ja4: string | undefined;

  private serverVersion = -1;
  private cipher = -1;
  private ja3s: string | undefined;
  /** The last ServerHello was a HelloRetryRequest: the real one is still to come. */
  private hrr = false;
  private certSubject: string | undefined;
  private certIssuer: string | undefined;
  private certSeen = false;

  /** @param ja4Variant - `foxio` (the specification) or `ndpi` (as ndpiReader writes it) */
  constructor(
    private readonly weird: (name: TlsWeird) => void,
    private readonly ja4Variant: Ja4Variant = 'foxio',
  ) {}

  /** True once nothing more is wanted: both directions are done (handshake read, encrypted data reached, or given up). */
  get done(): boolean {
    return this.sides[0].stopped && this.sides[1].stopped;
  }

  /**
   * Feeds `b[off, end)`, the next in-order bytes of direction `dir`. Records and handshake
   * messages may be split anywhere and several may be in one call. Never throws.
   */
  data(dir: Dir, b: Uint8Array, off: number, end: number): void {
    const s = this.sides[dir];
    if (s.stopped) return;
    if (end > b.length) end = b.length;
    if (off < 0) off = 0;
    if (s.lost) {
      if (!looksLikeRecord(b, off, end)) return;
      s.lost = false;
    } else if (s.records === 0 && s.hdrLen === 0 && !mayStartRecord(b, off, end)) {
      // Plaintext before TLS starts (STARTTLS and the like): skipped, a call at a time.
      s.preamble += end - off;
      if (s.preamble > TLS_MAX_PREAMBLE) {
        this.weird('tls_no_record');
        this.giveUp(s);
      }
      return;
    }
    let p = off;
    while (p < end && !s.stopped) {
      if (s.recLeft > 0) {
        const n = Math.min(s.recLeft, end - p);
        if (s.recType === ContentType.Handshake) this.handshakeBytes(dir, s, b, p, p + n);
        else if (s.recType === SSL2_HELLO && s.recLeft === n) this.giveUp(s); // nothing more from an SSLv2 client
        s.recLeft -= n;
        p += n;
        continue;
      }
      // At a record header: in place when whole, else gathered.
      let h: Uint8Array;
      let ho: number;
      if (s.hdrLen === 0 && end - p >= 5) {
        h = b;
        ho = p;
        p += 5;
      } else {
        const n = Math.min(5 - s.hdrLen, end - p);
        s.hdr ??= new Uint8Array(5);
        for (let i = 0; i < n; i++) s.hdr[s.hdrLen + i] = b[p + i]!;
        s.hdrLen += n;
        p += n;
        if (s.hdrLen < 5) return;
        h = s.hdr;
        ho = 0;
        s.hdrLen = 0;
      }
      this.recordHeader(dir, s, h, ho);
    }
  }

  /** A hole in direction `dir`'s stream: drop partial state; resume at the next thing that looks like a record. */
  gap(dir: Dir): void {
    const s = this.sides[dir];
    if (s.stopped) return;
    if (s.recLeft > 0 || s.hdrLen > 0 || s.hsLen > 0 || s.hsSkip > 0) this.weird('tls_gap');
    s.hdrLen = 0;
    s.recLeft = 0;
    s.hsLen = 0;
    s.hsSkip = 0;
    s.lost = true;
  }

  /** The handshake facts found so far (a new object each call). */
  info(): TlsInfo {
    const out: TlsInfo = {};
    const v = tlsVersionName(this.serverVersion >= 0 ? this.serverVersion : this.clientVersion);
    if (v !== undefined) out.version = v;
    if (this.sni !== undefined) out.sni = this.sni;
    if (this.alpn !== undefined) out.alpn = this.alpn.slice();
    if (this.ja3 !== undefined) out.ja3 = this.ja3;
    if (this.ja3s !== undefined) out.ja3s = this.ja3s;
    if (this.ja4 !== undefined) out.ja4 = this.ja4;
    if (this.cipher >= 0) out.cipher = cipherName(this.cipher);
    if (this.certSubject !== undefined) out.cert_subject = this.certSubject;
    if (this.certIssuer !== undefined) out.cert_issuer = this.certIssuer;
    return out;
  }

  // ---- record layer ---------------------------------------------------------------------------

  private recordHeader(dir: Dir, s: Side, h: Uint8Array, o: number): void {
    const first = s.records++ === 0;
    if (first && isSsl2Hello(h, o, o + 5)) {
      // SSLv2-compatible ClientHello: 2-byte header; the 3 bytes read past it are the message
      // type and version. The rest (cipher specs, session id, challenge) is skipped.
      const len = ((h[o]! & 0x7f) << 8) | h[o + 1]!;
      if (this.clientDir < 0) {
        this.clientDir = dir;
        this.clientVersion = (h[o + 3]! << 8) | h[o + 4]!;
      }
      s.recType = SSL2_HELLO;
      s.recLeft = len - 3;
      return;
    }
    const type = h[o]!;
    const len = (h[o + 3]! << 8) | h[o + 4]!;
    if (type < ContentType.ChangeCipherSpec || type > ContentType.Heartbeat || h[o + 1] !== 3) {
      this.weird('tls_bad_record_type');
      this.giveUp(s);
      return;
    }
    if (len > MAX_RECORD) {
      this.weird('tls_bad_record_length');
      this.giveUp(s);
      return;
    }
    if (type === ContentType.ChangeCipherSpec || type === ContentType.ApplicationData) {
      // What follows is encrypted (TLS <= 1.2), or this side's cleartext handshake is over (1.3).
      this.giveUp(s);
      return;
    }
    s.recType = type;
    s.recLeft = len;
  }

  private giveUp(s: Side): void {
    s.stopped = true;
    s.hs = null;
    s.hsLen = 0;
  }

  // ---- handshake messages ---------------------------------------------------------------------

  /** Bytes `b[p, q)` of the handshake stream of one direction (record bodies of type 22). */
  private handshakeBytes(dir: Dir, s: Side, b: Uint8Array, p: number, q: number): void {
    while (p < q && !s.stopped) {
      if (s.hsSkip > 0) {
        const n = Math.min(s.hsSkip, q - p);
        s.hsSkip -= n;
        p += n;
        continue;
      }
      if (s.hsLen === 0 && q - p >= 4) {
        const len = (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
        if (len <= q - p - 4) {
          this.message(dir, s, b[p]!, b, p + 4, p + 4 + len, false);
          p += 4 + len;
          continue;
        }
      }
      // Gather the message: header first, then as much of the body as is kept.
      if (s.hs === null) s.hs = new Uint8Array(Math.min(8192, TLS_MAX_HANDSHAKE + 4));
      if (s.hsLen < 4) {
        const n = Math.min(4 - s.hsLen, q - p);
        s.hs.set(b.subarray(p, p + n), s.hsLen);
        s.hsLen += n;
        p += n;
        continue;
      }
      const hs = s.hs;
      const type = hs[0]!;
      const total = 4 + ((hs[1]! << 16) | (hs[2]! << 8) | hs[3]!);
      let want = total;
      if (total > TLS_MAX_HANDSHAKE + 4) {
        if (type !== HandshakeType.Certificate) {
          this.weird('tls_handshake_too_large');
          this.giveUp(s);
          return;
        }
        want = TLS_MAX_HANDSHAKE + 4; // the first certificate is all we read of it
      }
      if (hs.length < want) {
        const bigger = new Uint8Array(Math.min(Math.max(want, hs.length * 2), TLS_MAX_HANDSHAKE + 4));
        bigger.set(hs.subarray(0, s.hsLen));
        s.hs = bigger;
      }
      const n = Math.min(want - s.hsLen, q - p);
      s.hs.set(b.subarray(p, p + n), s.hsLen);
      s.hsLen += n;
      p += n;
      if (s.hsLen === want) {
        s.hsLen = 0;
        s.hsSkip = total - want;
        this.message(dir, s, type, s.hs, 4, want, want < total);
      }
    }
  }

  /** One handshake message `b[p, q)` (body only); `cut` when only its start was kept. */
  private message(dir: Dir, s: Side, type: number, b: Uint8Array, p: number, q: number, cut: boolean): void {
    switch (type) {
      case HandshakeType.ClientHello:
        if (this.clientDir >= 0 && this.clientDir !== dir) {
          this.weird('tls_unexpected_message');
          return;
        }
        if (this.ja3 === undefined) {
          this.clientDir = dir;
          this.clientHello(b, p, q);
        }
        // The client's later messages (a second ClientHello after a HelloRetryRequest, its
        // certificate) add nothing the record wants.
        this.giveUp(s);
        return;
      case HandshakeType.ServerHello:
        if (this.serverDir >= 0 && this.serverDir !== dir) {
          this.weird('tls_unexpected_message');
          return;
        }
        this.serverDir = dir;
        if (this.ja3s === undefined || this.hrr) this.serverHello(s, b, p, q);
        return;
      case HandshakeType.Certificate:
        if (dir !== this.serverDir) return; // a client certificate, or no ServerHello seen
        if (!this.certSeen) this.certificate(b, p, q, cut);
        this.giveUp(s);
        return;
      case HandshakeType.ServerHelloDone:
        if (dir === this.serverDir) this.giveUp(s);
        return;
      default:
        return;
    }
  }

  private clientHello(b: Uint8Array, p: number, q: number): void {
    const ch = parseClientHello(b, p, q, this.weird);
    if (ch === undefined) return;
    this.clientVersion = ch.fields.version;
    this.sni = ch.sni;
    this.alpn = ch.alpn;
    this.ja3 = ja3(ch.fields);
    this.ja4 = ja4(ch.fields, 't', { variant: this.ja4Variant, sni: ch.sni });
  }

  private serverHello(s: Side, b: Uint8Array, p: number, q: number): void {
    if (q - p < 2 + 32 + 1) {
      this.weird('tls_bad_handshake');
      return;
    }
    const legacy = (b[p]! << 8) | b[p + 1]!;
    let hrr = true;
    for (let i = 0; i < 32; i++) {
      if (b[p + 2 + i] !== HRR_RANDOM[i]) {
        hrr = false;
        break;
      }
    }
    p += 34;
    const sidLen = b[p]!;
    p += 1 + sidLen;
    if (sidLen > 32 || q - p < 3) {
      this.weird('tls_bad_handshake');
      return;
    }
    const cipher = (b[p]! << 8) | b[p + 1]!;
    p += 3; // cipher suite, compression method
    const sh: ServerHelloFields = { version: legacy, cipher, extensions: [] };
    let selected = -1;
    if (q - p >= 2) {
      let extEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
      p += 2;
      if (extEnd > q) {
        this.weird('tls_extension_overflow');
        extEnd = q;
      }
      const exts = sh.extensions as number[];
      while (p < extEnd) {
        if (extEnd - p < 4) {
          this.weird('tls_extension_overflow');
          break;
        }
        const type = (b[p]! << 8) | b[p + 1]!;
        const len = (b[p + 2]! << 8) | b[p + 3]!;
        p += 4;
        if (len > extEnd - p) {
          this.weird('tls_extension_overflow');
          break;
        }
        exts.push(type);
        if (type === ExtType.SupportedVersions) {
          if (len === 2) selected = (b[p]! << 8) | b[p + 1]!;
          else this.weird('tls_bad_extension');
        }
        p += len;
      }
    } else if (q - p === 1) this.weird('tls_bad_handshake');
    this.serverVersion = selected >= 0 && !isGrease(selected) ? selected : legacy;
    this.cipher = cipher;
    this.ja3s = ja3s(sh);
    this.hrr = hrr;
    // TLS 1.3: everything after the ServerHello is encrypted (after a HelloRetryRequest, the
    // real ServerHello is still to come in the clear).
    if (!hrr && this.serverVersion > 0x0303) this.giveUp(s);
  }

  /** Certificate (TLS <= 1.2): the first entry's names. `cut`: only the start of the message is here. */
  private certificate(b: Uint8Array, p: number, q: number, cut: boolean): void {
    this.certSeen = true;
    if (q - p < 3) {
      this.weird('tls_bad_certificate');
      return;
    }
    const listLen = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
    if (!cut && listLen !== q - p) {
      this.weird('tls_bad_certificate');
      return;
    }
    if (listLen === 0) return; // no certificate: nothing to name
    if (q - p < 3) {
      this.weird('tls_bad_certificate');
      return;
    }
    const len = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
    if (len > listLen - 3) {
      this.weird('tls_bad_certificate');
      return;
    }
    if (len > q - p) {
      this.weird(cut ? 'tls_handshake_too_large' : 'tls_bad_certificate');
      return;
    }
    const names = certificateNames(b, p, p + len);
    if (names === undefined) {
      this.weird('tls_bad_certificate');
      return;
    }
    if (names.subject.length > 0) this.certSubject = names.subject;
    if (names.issuer.length > 0) this.certIssuer = names.issuer;
  }
}

// ---- ClientHello (shared with QUIC, whose CRYPTO frames carry the same message) ---------------

/** What {@link parseClientHello} reads from one ClientHello. */
export interface ClientHelloInfo {
  /** The fields JA3 and JA4 read (`ja3(fields)`, `ja4(fields, 'q')` for QUIC …). */
  fields: ClientHelloFields;
  /** server_name: the first host_name entry, lower-cased (control and non-ASCII bytes as `?`). */
  sni: string | undefined;
  /** ALPN protocols offered, in order (at most 32). */
  alpn: string[] | undefined;
}

/**
 * Called for each extension of a ClientHello, with its body `b[p, e)` (only valid during the
 * call); lets a caller read extensions this module does not (QUIC transport parameters).
 */
export type ClientHelloExtensionVisitor = (type: number, b: Uint8Array, p: number, e: number) => void;

/**
 * Parses the body `b[p, q)` of a ClientHello handshake message (after its 4-byte handshake
 * header), as TLS records and QUIC CRYPTO frames carry it. Never throws: anomalies are weirds
 * (`tls_bad_handshake`, `tls_extension_overflow`, `tls_bad_extension`); undefined when the
 * message is too short or broken before its extensions (`tls_bad_handshake`). A broken
 * extension list keeps what was read before the break.
 */
export function parseClientHello(
  b: Uint8Array,
  p: number,
  q: number,
  weird: (name: TlsWeird) => void,
  onExtension?: ClientHelloExtensionVisitor,
): ClientHelloInfo | undefined {
  if (q - p < 2 + 32 + 1) {
    weird('tls_bad_handshake');
    return undefined;
  }
  const version = (b[p]! << 8) | b[p + 1]!;
  p += 34;
  const sidLen = b[p]!;
  p += 1 + sidLen;
  if (sidLen > 32 || q - p < 2) {
    weird('tls_bad_handshake');
    return undefined;
  }
  const csLen = (b[p]! << 8) | b[p + 1]!;
  p += 2;
  if (csLen & 1 || csLen > q - p) {
    weird('tls_bad_handshake');
    return undefined;
  }
  const ciphers: number[] = [];
  for (let i = 0; i < csLen; i += 2) ciphers.push((b[p + i]! << 8) | b[p + i + 1]!);
  p += csLen;
  if (q - p < 1) {
    weird('tls_bad_handshake');
    return undefined;
  }
  const compLen = b[p]!;
  p += 1 + compLen;
  if (p > q) {
    weird('tls_bad_handshake');
    return undefined;
  }
  const out: ClientHelloInfo = {
    fields: {
      version,
      ciphers,
      extensions: [],
      groups: [],
      pointFormats: [],
      sigAlgs: [],
      supportedVersions: [],
      alpnFirst: undefined,
      hasSni: false,
    },
    sni: undefined,
    alpn: undefined,
  };
  if (q - p >= 2) {
    let extEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
    p += 2;
    if (extEnd > q) {
      weird('tls_extension_overflow');
      extEnd = q;
    }
    clientExtensions(out, b, p, extEnd, weird, onExtension);
  } else if (q - p === 1) weird('tls_bad_handshake');
  return out;
}

function clientExtensions(
  out: ClientHelloInfo,
  b: Uint8Array,
  p: number,
  end: number,
  weird: (name: TlsWeird) => void,
  onExtension: ClientHelloExtensionVisitor | undefined,
): void {
  const ch = out.fields;
  const exts = ch.extensions as number[];
  while (p < end) {
    if (end - p < 4) {
      weird('tls_extension_overflow');
      return;
    }
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    p += 4;
    if (len > end - p) {
      weird('tls_extension_overflow');
      return;
    }
    exts.push(type);
    const e = p + len;
    switch (type) {
      case ExtType.ServerName:
        ch.hasSni = true;
        serverName(out, b, p, e, weird);
        break;
      case ExtType.SupportedGroups:
        if (!readU16List(b, p, e, 2, ch.groups as number[])) weird('tls_bad_extension');
        break;
      case ExtType.EcPointFormats:
        if (!readU8List(b, p, e, ch.pointFormats as number[])) weird('tls_bad_extension');
        break;
      case ExtType.SignatureAlgorithms:
        if (!readU16List(b, p, e, 2, ch.sigAlgs as number[])) weird('tls_bad_extension');
        break;
      case ExtType.SupportedVersions:
        if (!readU16List(b, p, e, 1, ch.supportedVersions as number[])) weird('tls_bad_extension');
        break;
      case ExtType.Alpn:
        clientAlpn(out, b, p, e, weird);
        break;
    }
    onExtension?.(type, b, p, e);
    p = e;
  }
}

/** server_name: the first host_name entry, lower-cased. */
function serverName(out: ClientHelloInfo, b: Uint8Array, p: number, e: number, weird: (name: TlsWeird) => void): void {
  if (e - p < 2) {
    weird('tls_bad_extension');
    return;
  }
  const listEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
  if (listEnd > e) {
    weird('tls_bad_extension');
    return;
  }
  for (p += 2; p < listEnd; ) {
    if (listEnd - p < 3) {
      weird('tls_bad_extension');
      return;
    }
    const type = b[p]!;
    const len = (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
    if (len > listEnd - p) {
      weird('tls_bad_extension');
      return;
    }
    if (type === 0 && out.sni === undefined && len > 0) out.sni = hostText(b, p, p + len);
    p += len;
  }
}

function clientAlpn(out: ClientHelloInfo, b: Uint8Array, p: number, e: number, weird: (name: TlsWeird) => void): void {
  const ch = out.fields;
  if (e - p < 2) {
    weird('tls_bad_extension');
    return;
  }
  const listEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
  if (listEnd > e) {
    weird('tls_bad_extension');
    return;
  }
  const names: string[] = [];
  for (p += 2; p < listEnd; ) {
    const len = b[p++]!;
    if (len > listEnd - p) {
      weird('tls_bad_extension');
      break;
    }
    if (ch.alpnFirst === undefined) ch.alpnFirst = b.slice(p, p + len);
    if (names.length < 32) names.push(latin1(b, p, p + len));
    p += len;
  }
  if (names.length > 0 && out.alpn === undefined) out.alpn = names;
}

/** Reads a list of big-endian u16 with a `lenBytes`-byte (1 or 2) length prefix filling `b[p, e)`. */
function readU16List(b: Uint8Array, p: number, e: number, lenBytes: 1 | 2, out: number[]): boolean {
  if (e - p < lenBytes) return false;
  const n = lenBytes === 2 ? (b[p]! << 8) | b[p + 1]! : b[p]!;
  p += lenBytes;
  if (n & 1 || n > e - p) return false;
  for (let i = 0; i < n; i += 2) out.push((b[p + i]! << 8) | b[p + i + 1]!);
  return n === e - p;
}

/** Reads a list of bytes with a 1-byte length prefix filling `b[p, e)`. */
function readU8List(b: Uint8Array, p: number, e: number, out: number[]): boolean {
  if (e - p < 1) return false;
  const n = b[p]!;
  p += 1;
  if (n > e - p) return false;
  for (let i = 0; i < n; i++) out.push(b[p + i]!);
  return n === e - p;
}

const HOST_TEXT = printableTable((c) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c));

/** Host name text (SNI): lower-cased, control and non-ASCII bytes as `?`, at most 255 characters. */
export function hostText(b: Uint8Array, p: number, e: number): string {
  return mappedText(b, p, Math.min(e, p + 255), HOST_TEXT);
}

// ---- cipher suite names (IANA TLS Cipher Suites registry) -------------------------------------

const CIPHERS = new Map<number, string>();

function addSuites(start: number, names: readonly string[]): void {
  for (let i = 0; i < names.length; i++) if (names[i] !== '') CIPHERS.set(start + i, `TLS_${names[i]}`);
}

addSuites(0x0000, [
  'NULL_WITH_NULL_NULL',
  'RSA_WITH_NULL_MD5',
  'RSA_WITH_NULL_SHA',
  'RSA_EXPORT_WITH_RC4_40_MD5',
  'RSA_WITH_RC4_128_MD5',
  'RSA_WITH_RC4_128_SHA',
  'RSA_EXPORT_WITH_RC2_CBC_40_MD5',
  'RSA_WITH_IDEA_CBC_SHA',
  'RSA_EXPORT_WITH_DES40_CBC_SHA',
  'RSA_WITH_DES_CBC_SHA',
  'RSA_WITH_3DES_EDE_CBC_SHA',
  'DH_DSS_EXPORT_WITH_DES40_CBC_SHA',
  'DH_DSS_WITH_DES_CBC_SHA',
  'DH_DSS_WITH_3DES_EDE_CBC_SHA',
  'DH_RSA_EXPORT_WITH_DES40_CBC_SHA',
  'DH_RSA_WITH_DES_CBC_SHA',
  'DH_RSA_WITH_3DES_EDE_CBC_SHA',
  'DHE_DSS_EXPORT_WITH_DES40_CBC_SHA',
  'DHE_DSS_WITH_DES_CBC_SHA',
  'DHE_DSS_WITH_3DES_EDE_CBC_SHA',
  'DHE_RSA_EXPORT_WITH_DES40_CBC_SHA',
  'DHE_RSA_WITH_DES_CBC_SHA',
  'DHE_RSA_WITH_3DES_EDE_CBC_SHA',
  'DH_anon_EXPORT_WITH_RC4_40_MD5',
  'DH_anon_WITH_RC4_128_MD5',
  'DH_anon_EXPORT_WITH_DES40_CBC_SHA',
  'DH_anon_WITH_DES_CBC_SHA',
  'DH_anon_WITH_3DES_EDE_CBC_SHA',
]);
addSuites(0x001e, [
  'KRB5_WITH_DES_CBC_SHA',
  'KRB5_WITH_3DES_EDE_CBC_SHA',
  'KRB5_WITH_RC4_128_SHA',
  'KRB5_WITH_IDEA_CBC_SHA',
  'KRB5_WITH_DES_CBC_MD5',
  'KRB5_WITH_3DES_EDE_CBC_MD5',
  'KRB5_WITH_RC4_128_MD5',
  'KRB5_WITH_IDEA_CBC_MD5',
  'KRB5_EXPORT_WITH_DES_CBC_40_SHA',
  'KRB5_EXPORT_WITH_RC2_CBC_40_SHA',
  'KRB5_EXPORT_WITH_RC4_40_SHA',
  'KRB5_EXPORT_WITH_DES_CBC_40_MD5',
  'KRB5_EXPORT_WITH_RC2_CBC_40_MD5',
  'KRB5_EXPORT_WITH_RC4_40_MD5',
  'PSK_WITH_NULL_SHA',
  'DHE_PSK_WITH_NULL_SHA',
  'RSA_PSK_WITH_NULL_SHA',
  'RSA_WITH_AES_128_CBC_SHA',
  'DH_DSS_WITH_AES_128_CBC_SHA',
  'DH_RSA_WITH_AES_128_CBC_SHA',
  'DHE_DSS_WITH_AES_128_CBC_SHA',
  'DHE_RSA_WITH_AES_128_CBC_SHA',
  'DH_anon_WITH_AES_128_CBC_SHA',
  'RSA_WITH_AES_256_CBC_SHA',
  'DH_DSS_WITH_AES_256_CBC_SHA',
  'DH_RSA_WITH_AES_256_CBC_SHA',
  'DHE_DSS_WITH_AES_256_CBC_SHA',
  'DHE_RSA_WITH_AES_256_CBC_SHA',
  'DH_anon_WITH_AES_256_CBC_SHA',
  'RSA_WITH_NULL_SHA256',
  'RSA_WITH_AES_128_CBC_SHA256',
  'RSA_WITH_AES_256_CBC_SHA256',
  'DH_DSS_WITH_AES_128_CBC_SHA256',
  'DH_RSA_WITH_AES_128_CBC_SHA256',
  'DHE_DSS_WITH_AES_128_CBC_SHA256',
  'RSA_WITH_CAMELLIA_128_CBC_SHA',
  'DH_DSS_WITH_CAMELLIA_128_CBC_SHA',
  'DH_RSA_WITH_CAMELLIA_128_CBC_SHA',
  'DHE_DSS_WITH_CAMELLIA_128_CBC_SHA',
  'DHE_RSA_WITH_CAMELLIA_128_CBC_SHA',
  'DH_anon_WITH_CAMELLIA_128_CBC_SHA',
]);
addSuites(0x0067, [
  'DHE_RSA_WITH_AES_128_CBC_SHA256',
  'DH_DSS_WITH_AES_256_CBC_SHA256',
  'DH_RSA_WITH_AES_256_CBC_SHA256',
  'DHE_DSS_WITH_AES_256_CBC_SHA256',
  'DHE_RSA_WITH_AES_256_CBC_SHA256',
  'DH_anon_WITH_AES_128_CBC_SHA256',
  'DH_anon_WITH_AES_256_CBC_SHA256',
]);
addSuites(0x0084, [
  'RSA_WITH_CAMELLIA_256_CBC_SHA',
  'DH_DSS_WITH_CAMELLIA_256_CBC_SHA',
  'DH_RSA_WITH_CAMELLIA_256_CBC_SHA',
  'DHE_DSS_WITH_CAMELLIA_256_CBC_SHA',
  'DHE_RSA_WITH_CAMELLIA_256_CBC_SHA',
  'DH_anon_WITH_CAMELLIA_256_CBC_SHA',
  'PSK_WITH_RC4_128_SHA',
  'PSK_WITH_3DES_EDE_CBC_SHA',
  'PSK_WITH_AES_128_CBC_SHA',
  'PSK_WITH_AES_256_CBC_SHA',
  'DHE_PSK_WITH_RC4_128_SHA',
  'DHE_PSK_WITH_3DES_EDE_CBC_SHA',
  'DHE_PSK_WITH_AES_128_CBC_SHA',
  'DHE_PSK_WITH_AES_256_CBC_SHA',
  'RSA_PSK_WITH_RC4_128_SHA',
  'RSA_PSK_WITH_3DES_EDE_CBC_SHA',
  'RSA_PSK_WITH_AES_128_CBC_SHA',
  'RSA_PSK_WITH_AES_256_CBC_SHA',
  'RSA_WITH_SEED_CBC_SHA',
  'DH_DSS_WITH_SEED_CBC_SHA',
  'DH_RSA_WITH_SEED_CBC_SHA',
  'DHE_DSS_WITH_SEED_CBC_SHA',
  'DHE_RSA_WITH_SEED_CBC_SHA',
  'DH_anon_WITH_SEED_CBC_SHA',
  'RSA_WITH_AES_128_GCM_SHA256',
  'RSA_WITH_AES_256_GCM_SHA384',
  'DHE_RSA_WITH_AES_128_GCM_SHA256',
  'DHE_RSA_WITH_AES_256_GCM_SHA384',
  'DH_RSA_WITH_AES_128_GCM_SHA256',
  'DH_RSA_WITH_AES_256_GCM_SHA384',
  'DHE_DSS_WITH_AES_128_GCM_SHA256',
  'DHE_DSS_WITH_AES_256_GCM_SHA384',
  'DH_DSS_WITH_AES_128_GCM_SHA256',
  'DH_DSS_WITH_AES_256_GCM_SHA384',
  'DH_anon_WITH_AES_128_GCM_SHA256',
  'DH_anon_WITH_AES_256_GCM_SHA384',
  'PSK_WITH_AES_128_GCM_SHA256',
  'PSK_WITH_AES_256_GCM_SHA384',
  'DHE_PSK_WITH_AES_128_GCM_SHA256',
  'DHE_PSK_WITH_AES_256_GCM_SHA384',
  'RSA_PSK_WITH_AES_128_GCM_SHA256',
  'RSA_PSK_WITH_AES_256_GCM_SHA384',
  'PSK_WITH_AES_128_CBC_SHA256',
  'PSK_WITH_AES_256_CBC_SHA384',
  'PSK_WITH_NULL_SHA256',
  'PSK_WITH_NULL_SHA384',
  'DHE_PSK_WITH_AES_128_CBC_SHA256',
  'DHE_PSK_WITH_AES_256_CBC_SHA384',
  'DHE_PSK_WITH_NULL_SHA256',
  'DHE_PSK_WITH_NULL_SHA384',
  'RSA_PSK_WITH_AES_128_CBC_SHA256',
  'RSA_PSK_WITH_AES_256_CBC_SHA384',
  'RSA_PSK_WITH_NULL_SHA256',
  'RSA_PSK_WITH_NULL_SHA384',
]);
{
  // 0x00BA..0x00C5: Camellia CBC with SHA-256, six key exchanges each for 128 then 256 bits.
  const kx = ['RSA', 'DH_DSS', 'DH_RSA', 'DHE_DSS', 'DHE_RSA', 'DH_anon'];
  kx.forEach((k, i) => {
    CIPHERS.set(0x00ba + i, `TLS_${k}_WITH_CAMELLIA_128_CBC_SHA256`);
    CIPHERS.set(0x00c0 + i, `TLS_${k}_WITH_CAMELLIA_256_CBC_SHA256`);
  });
}
CIPHERS.set(0x00c6, 'TLS_SM4_GCM_SM3');
CIPHERS.set(0x00c7, 'TLS_SM4_CCM_SM3');
CIPHERS.set(0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
CIPHERS.set(0x5600, 'TLS_FALLBACK_SCSV');
addSuites(0x1301, ['AES_128_GCM_SHA256', 'AES_256_GCM_SHA384', 'CHACHA20_POLY1305_SHA256', 'AES_128_CCM_SHA256', 'AES_128_CCM_8_SHA256']);
{
  // 0xC001..0xC019: (EC)DH(E) with ECDSA, RSA and anonymous: NULL, RC4, 3DES, AES-128, AES-256.
  const kx = ['ECDH_ECDSA', 'ECDHE_ECDSA', 'ECDH_RSA', 'ECDHE_RSA', 'ECDH_anon'];
  const enc = ['NULL_SHA', 'RC4_128_SHA', '3DES_EDE_CBC_SHA', 'AES_128_CBC_SHA', 'AES_256_CBC_SHA'];
  kx.forEach((k, i) => {
    enc.forEach((e, j) => {
      CIPHERS.set(0xc001 + i * 5 + j, `TLS_${k}_WITH_${e}`);
    });
  });
}
addSuites(0xc01a, [
  'SRP_SHA_WITH_3DES_EDE_CBC_SHA',
  'SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA',
  'SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA',
  'SRP_SHA_WITH_AES_128_CBC_SHA',
  'SRP_SHA_RSA_WITH_AES_128_CBC_SHA',
  'SRP_SHA_DSS_WITH_AES_128_CBC_SHA',
  'SRP_SHA_WITH_AES_256_CBC_SHA',
  'SRP_SHA_RSA_WITH_AES_256_CBC_SHA',
  'SRP_SHA_DSS_WITH_AES_256_CBC_SHA',
  'ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'ECDH_ECDSA_WITH_AES_128_CBC_SHA256',
  'ECDH_ECDSA_WITH_AES_256_CBC_SHA384',
  'ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'ECDH_RSA_WITH_AES_128_CBC_SHA256',
  'ECDH_RSA_WITH_AES_256_CBC_SHA384',
  'ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDH_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDH_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDH_RSA_WITH_AES_128_GCM_SHA256',
  'ECDH_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE_PSK_WITH_RC4_128_SHA',
  'ECDHE_PSK_WITH_3DES_EDE_CBC_SHA',
  'ECDHE_PSK_WITH_AES_128_CBC_SHA',
  'ECDHE_PSK_WITH_AES_256_CBC_SHA',
  'ECDHE_PSK_WITH_AES_128_CBC_SHA256',
  'ECDHE_PSK_WITH_AES_256_CBC_SHA384',
  'ECDHE_PSK_WITH_NULL_SHA',
  'ECDHE_PSK_WITH_NULL_SHA256',
  'ECDHE_PSK_WITH_NULL_SHA384',
]);
{
  // 0xC03C..0xC071: ARIA, pairs of 128-bit SHA-256 and 256-bit SHA-384 suites.
  const pairs = (start: number, kxs: readonly string[], mode: 'CBC' | 'GCM'): void => {
    kxs.forEach((k, i) => {
      CIPHERS.set(start + 2 * i, `TLS_${k}_WITH_ARIA_128_${mode}_SHA256`);
      CIPHERS.set(start + 2 * i + 1, `TLS_${k}_WITH_ARIA_256_${mode}_SHA384`);
    });
  };
  const kx10 = ['RSA', 'DH_DSS', 'DH_RSA', 'DHE_DSS', 'DHE_RSA', 'DH_anon', 'ECDHE_ECDSA', 'ECDH_ECDSA', 'ECDHE_RSA', 'ECDH_RSA'];
  pairs(0xc03c, kx10, 'CBC');
  pairs(0xc050, ['RSA', 'DHE_RSA', 'DH_RSA', 'DHE_DSS', 'DH_DSS', 'DH_anon', 'ECDHE_ECDSA', 'ECDH_ECDSA', 'ECDHE_RSA', 'ECDH_RSA'], 'GCM');
  pairs(0xc064, ['PSK', 'DHE_PSK', 'RSA_PSK'], 'CBC');
  pairs(0xc06a, ['PSK', 'DHE_PSK', 'RSA_PSK'], 'GCM');
  pairs(0xc070, ['ECDHE_PSK'], 'CBC');
}
addSuites(0xc09c, [
  'RSA_WITH_AES_128_CCM',
  'RSA_WITH_AES_256_CCM',
  'DHE_RSA_WITH_AES_128_CCM',
  'DHE_RSA_WITH_AES_256_CCM',
  'RSA_WITH_AES_128_CCM_8',
  'RSA_WITH_AES_256_CCM_8',
  'DHE_RSA_WITH_AES_128_CCM_8',
  'DHE_RSA_WITH_AES_256_CCM_8',
  'PSK_WITH_AES_128_CCM',
  'PSK_WITH_AES_256_CCM',
  'DHE_PSK_WITH_AES_128_CCM',
  'DHE_PSK_WITH_AES_256_CCM',
  'PSK_WITH_AES_128_CCM_8',
  'PSK_WITH_AES_256_CCM_8',
  'PSK_DHE_WITH_AES_128_CCM_8',
  'PSK_DHE_WITH_AES_256_CCM_8',
  'ECDHE_ECDSA_WITH_AES_128_CCM',
  'ECDHE_ECDSA_WITH_AES_256_CCM',
  'ECDHE_ECDSA_WITH_AES_128_CCM_8',
  'ECDHE_ECDSA_WITH_AES_256_CCM_8',
]);
addSuites(0xcca8, [
  'ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'PSK_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  'DHE_PSK_WITH_CHACHA20_POLY1305_SHA256',
  'RSA_PSK_WITH_CHACHA20_POLY1305_SHA256',
]);
addSuites(0xd001, ['ECDHE_PSK_WITH_AES_128_GCM_SHA256', 'ECDHE_PSK_WITH_AES_256_GCM_SHA384', 'ECDHE_PSK_WITH_AES_128_CCM_8_SHA256', '', 'ECDHE_PSK_WITH_AES_128_CCM_SHA256']);

/** IANA name of a cipher suite, `TLS_CIPHER_0xHHHH` for a value not in the table (GREASE included). */
export function cipherName(v: number): string {
  return CIPHERS.get(v) ?? `TLS_CIPHER_0x${v.toString(16).toUpperCase().padStart(4, '0')}`;
}
