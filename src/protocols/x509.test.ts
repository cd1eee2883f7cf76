/**
 * x509: the DER reader and the issuer / subject names of a certificate built here byte by
 * byte; lying lengths and truncations give undefined, never a throw or an out-of-bounds read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certificateNames, DerElement, formatName } from './x509.js';

// ---- a small DER writer -----------------------------------------------------------------------

function tlv(tag: number, body: readonly number[]): number[] {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return [tag, ...len, ...body];
}
const seq = (...parts: number[][]): number[] => tlv(0x30, parts.flat());
const set = (...parts: number[][]): number[] => tlv(0x31, parts.flat());
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
/** id-at-n (2.5.4.n). */
const at = (n: number): number[] => tlv(0x06, [0x55, 0x04, n]);
const atv = (n: number, tag: number, value: number[]): number[] => set(seq(at(n), tlv(tag, value)));
const PRINTABLE = 0x13;
const UTF8 = 0x0c;

/** Name: C, O, CN (one attribute per RDN, as nearly every certificate has it). */
function name(c: string, o: string, cn: string): number[] {
  return seq(atv(6, PRINTABLE, ascii(c)), atv(10, PRINTABLE, ascii(o)), atv(3, PRINTABLE, ascii(cn)));
}

/** A certificate shaped like RFC 5280's: only the structure matters here, not the signature. */
function certificate(issuer: number[], subject: number[], withVersion = true): number[] {
  const sigAlg = seq(tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), tlv(0x05, []));
  const validity = seq(tlv(0x17, ascii('200101000000Z')), tlv(0x17, ascii('300101000000Z')));
  const spki = seq(sigAlg, tlv(0x03, [0x00, 0x01, 0x02, 0x03]));
  const tbs = seq(withVersion ? tlv(0xa0, tlv(0x02, [2])) : [], tlv(0x02, [0x01, 0x23, 0x45]), sigAlg, issuer, validity, subject, spki);
  return seq(tbs, sigAlg, tlv(0x03, [0x00, 0xaa, 0xbb]));
}

// ---- tests ------------------------------------------------------------------------------------

describe('DerElement', () => {
  test('short and long lengths, bounds', () => {
    const e = new DerElement();
    const b = new Uint8Array([0x04, 0x02, 0xaa, 0xbb, 0x04, 0x81, 0x01, 0xcc]);
    assert.ok(e.read(b, 0, b.length));
    assert.deepEqual([e.tag, e.start, e.end, e.next], [0x04, 2, 4, 4]);
    assert.ok(e.read(b, 4, b.length));
    assert.deepEqual([e.tag, e.start, e.end], [0x04, 7, 8]);
    assert.equal(e.read(b, 4, 7), false, 'runs past the limit');
    assert.equal(e.read(new Uint8Array([0x30, 0x80, 0, 0]), 0, 4), false, 'indefinite length');
    assert.equal(e.read(new Uint8Array([0x1f, 0x01, 0x00]), 0, 3), false, 'high tag number');
    assert.equal(e.read(new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), 0, 7), false, '5 length bytes');
    assert.equal(e.read(new Uint8Array([0x30]), 0, 1), false);
    assert.equal(e.read(new Uint8Array([0x30, 0x01]), 0, 2), false);
    assert.equal(e.read(new Uint8Array([0x30, 0x00]), 0, 99), true, 'limit clamped to the buffer');
  });
});

describe('certificateNames', () => {
  test('issuer and subject in certificate order, as ndpiReader prints them', () => {
    const cert = certificate(name('US', "Let's Encrypt", "Let's Encrypt Authority X3"), seq(atv(3, UTF8, utf8('www.ntop.org'))));
    const b = new Uint8Array(cert);
    assert.deepEqual(certificateNames(b, 0, b.length), {
      issuer: "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3",
      subject: 'CN=www.ntop.org',
    });
  });

  test('v1 certificate (no [0] version)', () => {
    const b = new Uint8Array(certificate(name('IT', 'ntop.org', 'ca'), name('IT', 'ntop.org', 'host'), false));
    assert.deepEqual(certificateNames(b, 0, b.length), { issuer: 'C=IT, O=ntop.org, CN=ca', subject: 'C=IT, O=ntop.org, CN=host' });
  });

  test('inside a larger buffer, at an offset', () => {
    const cert = certificate(name('US', 'A', 'B'), name('US', 'C', 'D'));
    const b = new Uint8Array([9, 9, 9, ...cert, 9, 9]);
    assert.deepEqual(certificateNames(b, 3, 3 + cert.length), { issuer: 'C=US, O=A, CN=B', subject: 'C=US, O=C, CN=D' });
  });

  test('every byte of a certificate cut off or changed: undefined or names, never a throw', () => {
    const cert = certificate(name('US', 'Org', 'Issuer CA'), name('US', 'Org', 'host.example'));
    const b = new Uint8Array(cert);
    for (let n = 0; n < b.length; n++) assert.equal(certificateNames(b, 0, n), undefined, `cut at ${n}`);
    let named = 0;
    for (let i = 0; i < b.length; i++) {
      for (const v of [0x00, 0x7f, 0x80, 0x84, 0xff, (b[i]! + 1) & 0xff]) {
        const m = b.slice();
        m[i] = v;
        if (certificateNames(m, 0, m.length) !== undefined) named++;
      }
    }
    assert.ok(named > 0);
  });
});

/** formatName over the content of the Name (SEQUENCE) `n`. */
function fmt(n: number[]): string | undefined {
  const b = new Uint8Array(n);
  const e = new DerElement();
  assert.ok(e.read(b, 0, b.length));
  return formatName(b, e.start, e.end);
}

describe('formatName', () => {
  test('labels C ST L O OU CN; other attributes left out; multi-valued RDNs flattened', () => {
    const email = set(seq(tlv(0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]), tlv(0x16, ascii('a@b.c'))));
    const serial = atv(5, PRINTABLE, ascii('1234'));
    const multi = set(seq(at(10), tlv(PRINTABLE, ascii('Org'))), seq(at(11), tlv(PRINTABLE, ascii('Unit'))));
    const n = seq(atv(6, PRINTABLE, ascii('US')), atv(8, UTF8, utf8('California')), atv(7, UTF8, utf8('San José')), email, serial, multi, atv(3, UTF8, utf8('x')));
    assert.equal(fmt(n), 'C=US, ST=California, L=San José, O=Org, OU=Unit, CN=x');
  });

  test('BMPString and UniversalString are decoded; control characters drop the value', () => {
    const bmp = [0x00, 0x41, 0x00, 0xe9];
    const univ = [0, 0, 0, 0x42, 0, 1, 0xf6, 0x00];
    const n = seq(atv(3, 0x1e, bmp), atv(10, 0x1c, univ), atv(11, PRINTABLE, [0x41, 0x0a, 0x42]));
    assert.equal(fmt(n), 'CN=Aé, O=B😀');
  });

  test('empty name is an empty string; a non-SET RDN is malformed', () => {
    assert.equal(formatName(new Uint8Array(0), 0, 0), '');
    assert.equal(fmt(seq(seq(at(3), tlv(PRINTABLE, [0x41])))), undefined);
  });
});
