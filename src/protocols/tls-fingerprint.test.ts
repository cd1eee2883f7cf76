/**
 * JA3 / JA3S / JA4 from hello fields: the strings before hashing are checked character by
 * character against the specifications (GREASE removed, sorting, empty parts), then the hashes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { type ClientHelloFields, isGrease, ja3, ja3s, ja3sString, ja3String, ja4, ja4Parts } from './tls-fingerprint.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** A Chrome-like hello: GREASE cipher, GREASE extensions first and near the end, GREASE group and version. */
const ch: ClientHelloFields = {
  version: 0x0303,
  ciphers: [0x1a1a, 0x1301, 0x1302, 0xc02b, 0xc02f, 0x009c],
  extensions: [0x2a2a, 0, 10, 11, 13, 16, 43, 0x23, 0x33, 0xfafa, 0x15],
  groups: [0x3a3a, 0x1d, 0x17],
  pointFormats: [0],
  sigAlgs: [0x0403, 0x0804, 0x0401],
  supportedVersions: [0x5a5a, 0x0304, 0x0303],
  alpnFirst: ascii('h2'),
  hasSni: true,
};
const JA3_STRING = '771,4865-4866-49195-49199-156,0-10-11-13-16-43-35-51-21,29-23,0';
const JA4_RAW = { a: 't13d0509h2', ciphers: '009c,1301,1302,c02b,c02f', extensions: '000a,000b,000d,0015,0023,002b,0033', sigAlgs: '0403,0804,0401' };

describe('fingerprints', () => {
  test('GREASE values: all 16, and nothing else', () => {
    let n = 0;
    for (let v = 0; v < 0x10000; v++) if (isGrease(v)) n++;
    assert.equal(n, 16);
    assert.ok(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0x0a1a) && !isGrease(0x1301));
  });

  test('JA3 string and hash (GREASE removed from ciphers, extensions and groups)', () => {
    assert.equal(ja3String(ch), JA3_STRING);
    assert.equal(ja3(ch), md5(JA3_STRING));
    const empty = { ...ch, version: 0x0301, ciphers: [0x002f], extensions: [], groups: [], pointFormats: [] };
    assert.equal(ja3String(empty), '769,47,,,');
  });

  test('JA3S string and hash', () => {
    const sh = { version: 0x0303, cipher: 0x1301, extensions: [43, 51] };
    assert.equal(ja3sString(sh), '771,4865,43-51');
    assert.equal(ja3s(sh), md5('771,4865,43-51'));
  });

  test('JA4 raw parts and hash', () => {
    assert.deepEqual(ja4Parts(ch), JA4_RAW);
    assert.equal(ja4(ch), `${JA4_RAW.a}_${sha12(JA4_RAW.ciphers)}_${sha12(`${JA4_RAW.extensions}_${JA4_RAW.sigAlgs}`)}`);
  });

  test('JA4: no SNI, no ALPN, no signature algorithms, no extensions, no ciphers, unknown version', () => {
    const bare = { ...ch, extensions: [], sigAlgs: [], supportedVersions: [], alpnFirst: undefined, hasSni: false, ciphers: [], version: 0x0305 };
    assert.equal(ja4(bare), 't00i000000_000000000000_000000000000');
    assert.equal(ja4({ ...ch, sigAlgs: [] }).split('_')[2], sha12(JA4_RAW.extensions), 'no trailing "_" without signature algorithms');
    assert.equal(ja4({ ...ch, extensions: [0, 16], sigAlgs: [] }), `t13d0502h2_${sha12(JA4_RAW.ciphers)}_000000000000`);
  });

  test('JA4 version: highest supported_versions entry, else legacy_version', () => {
    assert.equal(ja4Parts({ ...ch, supportedVersions: [], version: 0x0301 }).a.slice(0, 3), 't10');
    assert.equal(ja4Parts({ ...ch, supportedVersions: [0x0303, 0x0302] }).a.slice(0, 3), 't12');
    assert.equal(ja4Parts({ ...ch, supportedVersions: [0x0304, 0xfb1a] }).a.slice(0, 3), 't00', 'Fizz draft is above 1.3 and unknown');
    assert.equal(ja4Parts({ ...ch, supportedVersions: [], version: 0x0300 }).a.slice(0, 3), 'ts3');
  });

  test('JA4 ALPN: first and last characters; hex nibbles when not alphanumeric; counts cap at 99', () => {
    assert.equal(ja4Parts({ ...ch, alpnFirst: ascii('http/1.1') }).a.slice(-2), 'h1');
    assert.equal(ja4Parts({ ...ch, alpnFirst: ascii('x') }).a.slice(-2), 'xx');
    assert.equal(ja4Parts({ ...ch, alpnFirst: new Uint8Array([0xab, 0x68, 0x32, 0x0c]) }).a.slice(-2), 'ac');
    assert.equal(ja4Parts({ ...ch, alpnFirst: new Uint8Array(0) }).a.slice(-2), '00');
    const many = { ...ch, ciphers: Array.from({ length: 150 }, (_, i) => i + 1) };
    assert.equal(ja4Parts(many).a.slice(4, 6), '99');
  });
  test("JA4 as nDPI writes it (--ja4 ndpi): 'd' unless the SNI is an address, ALPN's first two characters, same hashes", () => {
    const ndpi = { variant: 'ndpi' } as const;
    const noSni = { ...ch, hasSni: false, alpnFirst: ascii('http/1.1') };
    assert.equal(ja4Parts(noSni).a, 't13i0509h1');
    assert.equal(ja4Parts(noSni, 't', ndpi).a, 't13d0509ht');
    assert.equal(ja4Parts(ch, 't', { variant: 'ndpi', sni: '192.0.2.7' }).a.slice(3, 4), 'i');
    assert.equal(ja4Parts(ch, 't', { variant: 'ndpi', sni: '2001:db8::1' }).a.slice(3, 4), 'i');
    assert.equal(ja4Parts(ch, 't', { variant: 'ndpi', sni: 'example.com' }).a.slice(3, 4), 'd');
    assert.equal(ja4Parts({ ...ch, alpnFirst: ascii('x') }, 't', ndpi).a.slice(-2), 'xx');
    assert.equal(ja4(ch, 'q', ndpi).slice(10), ja4(ch, 'q').slice(10));
  });

  test('hellos seen before are fingerprinted from memory, and exactly as the first time (lists that differ are not mixed up)', () => {
    const reference = (h: ClientHelloFields) => {
      const p = ja4Parts(h);
      return { ja3: md5(ja3String(h)), ja4: `${p.a}_${p.ciphers === '' ? '000000000000' : sha12(p.ciphers)}_${p.extensions === '' ? '000000000000' : sha12(p.sigAlgs === '' ? p.extensions : `${p.extensions}_${p.sigAlgs}`)}` };
    };
    // Variants that differ in one number, one list boundary or one list's length.
    const hellos: ClientHelloFields[] = [
      ch,
      { ...ch, ciphers: [...ch.ciphers, 0x002f] },
      { ...ch, ciphers: ch.ciphers.slice(0, -1), extensions: [0x009c, ...ch.extensions] },
      { ...ch, groups: [] , pointFormats: [0x3a3a, 0x1d, 0x17, 0] },
      { ...ch, sigAlgs: [0x0403, 0x0804] },
      { ...ch, sigAlgs: [0x0403, 0x0804, 0x0401, 0x0501] },
      { ...ch, version: 0x0301 },
      { ...ch, hasSni: false, alpnFirst: undefined },
      // Longer than what is remembered: computed each time, the same.
      { ...ch, ciphers: Array.from({ length: 600 }, (_, i) => i + 1) },
    ];
    for (let round = 0; round < 3; round++) {
      for (const h of hellos) {
        const want = reference(h);
        assert.equal(ja3(h), want.ja3);
        assert.equal(ja4(h), want.ja4);
        assert.equal(ja4(h, 'q'), `q${want.ja4.slice(1)}`);
      }
    }
  });
});
