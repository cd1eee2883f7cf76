import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anonDhHello, g2Datagram, gnutella, gnutellaDatagram } from './gnutella.js';
import { cat, dpiNames, hex, nameOf, ndpiPcap, randomClaims, text, truncatedNames } from './testkit-c.js';

test('gnutella: the fake LimeWire TLS hellos of the nDPI corpus', async () => {
  assert.deepEqual(await dpiNames(ndpiPcap('ossfuzz_seed_fake_traces_1.pcapng'), [gnutella]), { Gnutella: 2 });
});

/** A ClientHello with a 32-byte session id offering only 0x0034, and `ext` extension bytes. */
function hello(ext: Uint8Array | undefined, suites = hex('0002 0034')): Uint8Array {
  const body = cat(hex('0301'), new Uint8Array(32).fill(7), hex('20'), new Uint8Array(32).fill(9), suites, hex('0100'), ext === undefined ? new Uint8Array(0) : cat(hex(ext.length.toString(16).padStart(4, '0')), ext));
  const hs = cat(hex('01 00'), hex(body.length.toString(16).padStart(4, '0')), body);
  return cat(hex('16 0301'), hex(hs.length.toString(16).padStart(4, '0')), hs);
}

test('gnutella: the handshake and LimeWire TLS on TCP', () => {
  const tcp = { transport: 6 };
  assert.equal(nameOf(gnutella, tcp, [[0, text('GNUTELLA CONNECT/0.6\r\nUser-Agent: gtk-gnutella/1.2.2\r\n\r\n')]]), 'Gnutella');
  assert.equal(nameOf(gnutella, tcp, [[1, text('GNUTELLA/0.6 200 OK\r\n\r\n')]]), 'Gnutella');
  assert.equal(nameOf(gnutella, tcp, [[0, hex('00')], [0, hello(undefined)]]), 'Gnutella');
  const withExt = hello(hex('ff01 0001 00'));
  assert.equal(anonDhHello(withExt, 0, withExt.length), true);
  // A browser's hello (more suites), a longer payload than the record, extensions that do not fill it.
  const browser = hello(undefined, hex('0004 0034 c02f'));
  assert.equal(anonDhHello(browser, 0, browser.length), false);
  const h = hello(undefined);
  assert.equal(anonDhHello(cat(h, hex('00')), 0, h.length + 1), false);
  const badExt = Uint8Array.from(withExt);
  badExt[withExt.length - 6] = 4;
  assert.equal(nameOf(gnutella, tcp, [[0, badExt]]), undefined);
  assert.equal(nameOf(gnutella, tcp, [[0, text('GNUTELLA CONNECT')]]), undefined);
  assert.equal(nameOf(gnutella, tcp, [[0, text('GET / HTTP/1.1\r\n\r\n')]]), undefined);
  assert.deepEqual(truncatedNames(gnutella, tcp, [], h), new Set([undefined]));
});

test('gnutella: gtk-gnutella Mojito datagrams and G2 framing on UDP', () => {
  // Header: GUID, type 0x44 (Mojito), version, little-endian length; opcode, vendor GTKG …
  const body = cat(hex('05'), text('GTKG'), hex('0102'), new Uint8Array(30).fill(3));
  const mojito = cat(new Uint8Array(16).fill(0xa5), hex('44 00 00'), hex(body.length.toString(16).padStart(2, '0')), hex('000000'), body);
  assert.equal(gnutellaDatagram(mojito, 0, mojito.length), true);
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, mojito]]), 'Gnutella');
  // The same without GTKG, or with a length one off.
  const other = Uint8Array.from(mojito);
  other[24] = 0x4c;
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, other]]), undefined);
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, cat(mojito, hex('00'))]]), undefined);
  // A message ending with the trailer nDPI knows.
  const tail = cat(new Uint8Array(16).fill(1), hex('31 01 00 08000000'), hex('00000000'), hex('82514b40'));
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, tail]]), 'Gnutella');
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, cat(text('GND'), hex('10 0100 01 01'), hex('08'), text('PI'))]]), 'Gnutella');
  assert.equal(g2Datagram(cat(text('GND'), hex('02 0100 01 01')), 0, 8), false);
  assert.equal(nameOf(gnutella, { transport: 17 }, [[0, cat(text('GND'), hex('10 0100'))]]), undefined);
});

test('gnutella: random payloads are not claimed', () => {
  assert.equal(randomClaims(gnutella, { transport: 6 }), 0);
  assert.equal(randomClaims(gnutella, { transport: 17 }), 0);
  assert.equal(randomClaims(gnutella, { transport: 6 }, { prefix: hex('16 0301') }), 0);
});
