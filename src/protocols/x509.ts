/**
 * Just enough X.509 (RFC 5280) to name a certificate: a bounded DER reader of our own and the
 * issuer and subject distinguished names of one certificate, as text.
 *
 * DER here is the subset certificates use: single-byte tags, definite lengths of at most four
 * length bytes. Every read is checked against the enclosing element's end, so a lying length
 * can only make the result `undefined`, never read out of bounds or throw.
 */

import { latin1 } from './byte-text.js';

/** ASN.1 universal tags (with the constructed bit where DER always sets it). */
export const Asn1 = {
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  T61String: 0x14,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  UniversalString: 0x1c,
  BmpString: 0x1e,
  Sequence: 0x30,
  Set: 0x31,
  /** `[0] EXPLICIT`, constructed context tag 0: the TBSCertificate's version. */
  Context0: 0xa0,
} as const;

/**
 * One DER element (tag, length, value) read in place: `start`..`end` is the value inside the
 * buffer the reader was given; `next` is the offset just past the element. Reused: valid
 * until the next `read()` on the same object.
 */
export class DerElement {
  tag = 0;
  start = 0;
  end = 0;
  next = 0;

  /**
   * Reads the element at `off`, which must end at or before `limit`. Returns false (and leaves
   * the fields unspecified) for a high-tag-number tag, an indefinite or over-long length, or an
   * element running past `limit`.
   */
  read(b: Uint8Array, off: number, limit: number): boolean {
    if (limit > b.length) limit = b.length;
    if (off < 0 || limit - off < 2) return false;
    const tag = b[off]!;
    if ((tag & 0x1f) === 0x1f) return false; // multi-byte tag numbers: not in certificates' DER
    let len = b[off + 1]!;
    let p = off + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || limit - p < n) return false; // 0: indefinite length (BER, not DER)
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
      p += n;
    }
    if (len > limit - p) return false;
    this.tag = tag;
    this.start = p;
    this.end = p + len;
    this.next = p + len;
    return true;
  }
}

/** Issuer and subject of a certificate, as {@link formatName} writes them. */
export interface CertNames {
  issuer: string;
  subject: string;
}

/**
 * Attribute types written in names (`id-at`, OID 2.5.4.n) with their labels, in the
 * vocabulary ndpiReader and OpenSSL's one-line form use. Other attributes (serialNumber,
 * emailAddress, …) are left out of the text, as ndpiReader leaves them out.
 */
const ATTR_LABELS: Readonly<Record<number, string>> = { 3: 'CN', 6: 'C', 7: 'L', 8: 'ST', 10: 'O', 11: 'OU' };

/** A name longer than this is cut (the text is for records and logs, not for validation). */
export const MAX_NAME_TEXT = 1024;

/**
 * Reads the issuer and subject names of the DER certificate `b[off, end)`.
 *
 * Walks `Certificate → tbsCertificate → [version] serialNumber signature issuer validity
 * subject` and formats both names with {@link formatName}. Returns undefined when the
 * structure is not a certificate (wrong tags, lengths running past their container).
 */
export function certificateNames(b: Uint8Array, off: number, end: number): CertNames | undefined {
  const e = new DerElement();
  /** Tag of the element at `p` (read into `e`), -1 when there is none. */
  const at = (p: number, limit: number): number => (e.read(b, p, limit) ? e.tag : -1);
  if (at(off, end) !== Asn1.Sequence) return undefined; // Certificate
  if (at(e.start, e.end) !== Asn1.Sequence) return undefined; // tbsCertificate
  const tbsEnd = e.end;
  let tag = at(e.start, tbsEnd);
  if (tag === Asn1.Context0) tag = at(e.next, tbsEnd); // version
  if (tag !== Asn1.Integer) return undefined; // serialNumber
  if (at(e.next, tbsEnd) !== Asn1.Sequence) return undefined; // signature
  if (at(e.next, tbsEnd) !== Asn1.Sequence) return undefined; // issuer
  const issuer = formatName(b, e.start, e.end);
  if (issuer === undefined) return undefined;
  if (at(e.next, tbsEnd) !== Asn1.Sequence) return undefined; // validity
  if (at(e.next, tbsEnd) !== Asn1.Sequence) return undefined; // subject
  const subject = formatName(b, e.start, e.end);
  if (subject === undefined) return undefined;
  return { issuer, subject };
}

/**
 * Formats the RDNSequence whose content is `b[off, end)` as `"C=US, O=Let's Encrypt, CN=R3"`:
 * the attributes in certificate order, `LABEL=value`, joined by `", "`, only the types in
 * `ATTR_LABELS`. Values are decoded by their string type (UTF-8, BMP, Universal; the others
 * byte for byte); values holding control characters are left out. Returns undefined when the
 * structure is malformed, `""` for an empty name.
 */
export function formatName(b: Uint8Array, off: number, end: number): string | undefined {
  const rdn = new DerElement();
  const atv = new DerElement();
  const part = new DerElement();
  let out = '';
  for (let p = off; p < end; p = rdn.next) {
    if (!rdn.read(b, p, end) || rdn.tag !== Asn1.Set) return undefined;
    for (let q = rdn.start; q < rdn.end; q = atv.next) {
      if (!atv.read(b, q, rdn.end) || atv.tag !== Asn1.Sequence) return undefined;
      if (!part.read(b, atv.start, atv.end) || part.tag !== Asn1.Oid) return undefined;
      // id-at-n is 2.5.4.n: OID bytes 55 04 n (n < 128).
      const isAt = part.end - part.start === 3 && b[part.start] === 0x55 && b[part.start + 1] === 0x04;
      const label = isAt ? ATTR_LABELS[b[part.start + 2]!] : undefined;
      if (!part.read(b, part.next, atv.end)) return undefined;
      if (label === undefined) continue;
      const value = decodeString(part.tag, b, part.start, part.end);
      if (value === undefined) continue;
      if (out.length > 0) out += ', ';
      out += `${label}=${value}`;
      if (out.length >= MAX_NAME_TEXT) return out.slice(0, MAX_NAME_TEXT);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** A directory string's text, or undefined for a non-string type or control characters. */
function decodeString(tag: number, b: Uint8Array, off: number, end: number): string | undefined {
  let s: string;
  switch (tag) {
    case Asn1.Utf8String:
      s = utf8.decode(b.subarray(off, end));
      break;
    case Asn1.BmpString: {
      s = '';
      for (let i = off; i + 1 < end; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      break;
    }
    case Asn1.UniversalString: {
      s = '';
      for (let i = off; i + 3 < end; i += 4) {
        const cp = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
        if (cp > 0x10ffff) return undefined;
        s += String.fromCodePoint(cp);
      }
      break;
    }
    case Asn1.PrintableString:
    case Asn1.T61String:
    case Asn1.Ia5String:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      s = latin1(b, off, end);
      break;
    default:
      return undefined;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  return s;
}
