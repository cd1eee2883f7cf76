import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jabber } from './jabber.js';
import { cat, hex, nameOf, randomClaims, text, truncatedNames } from './testkit-c.js';

const DECL = "<?xml version='1.0'?>";
const OPEN = "<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
const ANSWER = '<?xml version="1.0"?><stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" id="4f2a" from="example.com" version="1.0">';

test('jabber: a stream opening names the flow, in one payload or after the declaration', () => {
  assert.equal(nameOf(jabber, { serverPort: 5222 }, [[0, text(DECL + OPEN)]]), 'Jabber');
  assert.equal(nameOf(jabber, {}, [[0, text(DECL)], [0, text(OPEN)]]), 'Jabber');
  assert.equal(nameOf(jabber, {}, [[0, text(OPEN)]]), 'Jabber');
  // The server's answer alone (a capture that missed the client's opening).
  assert.equal(nameOf(jabber, {}, [[1, text(ANSWER)]]), 'Jabber');
  // A stream header split over two segments.
  const open = text(OPEN);
  assert.equal(nameOf(jabber, {}, [[0, open.subarray(0, 40)], [0, open.subarray(40)]]), 'Jabber');
});

test('jabber: a mid-stream capture is named by namespaced stanzas or the stream close', () => {
  assert.equal(nameOf(jabber, {}, [[0, text("<presence to='room@conf.example.com'><x xmlns='http://jabber.org/protocol/muc'/></presence>")]]), 'Jabber');
  assert.equal(nameOf(jabber, {}, [[0, text("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")]]), 'Jabber');
  assert.equal(nameOf(jabber, {}, [[1, text('</stream:stream>')]]), 'Jabber');
  // The same elements without an XMPP namespace are any XML.
  assert.equal(nameOf(jabber, {}, [[0, text("<presence to='x'><status>away</status></presence>")]]), undefined);
  assert.equal(nameOf(jabber, {}, [[0, text('</stream:stream>\n')]]), undefined);
});

test('jabber: the legacy framing on 5222/5223, four payloads in a row', () => {
  const frame = (type: number, n: number) => {
    const b = new Uint8Array(n);
    b[0] = type;
    b[2] = n;
    for (let i = 3; i < n; i++) b[i] = (i * 37) & 0xff;
    return b;
  };
  const pkts = [[0, frame(0x25, 36)], [1, frame(0x26, 30)], [0, frame(0x30, 20)], [1, frame(0x17, 40)]] as const;
  assert.equal(nameOf(jabber, { serverPort: 5223 }, pkts), 'Jabber');
  assert.equal(nameOf(jabber, { serverPort: 5222 }, pkts.slice(0, 3)), undefined);
  assert.equal(nameOf(jabber, { serverPort: 5222 }, [...pkts.slice(0, 2), [0, frame(0x17, 20)], pkts[3]]), undefined);
  assert.equal(nameOf(jabber, { serverPort: 443 }, pkts), undefined);
  // The first payload must be one of the opening types.
  assert.equal(nameOf(jabber, { serverPort: 5223 }, [[0, frame(0x17, 36)], ...pkts.slice(1)]), undefined);
  // A length byte that does not match.
  assert.equal(nameOf(jabber, { serverPort: 5223 }, [[0, cat(frame(0x25, 36), hex('00'))], ...pkts.slice(1)]), undefined);
});

test('jabber: other XML, HTTP and cut openings are not claimed', () => {
  assert.equal(nameOf(jabber, {}, [[0, text('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">')], [0, text('<soap:Body/>')]]), undefined);
  assert.equal(nameOf(jabber, {}, [[0, text('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')]]), undefined);
  // Every cut of an opening before its namespace ends.
  const cut = truncatedNames(jabber, {}, [], text("<stream:stream to='example.com' xmlns:stream='http://etherx.jabber.org/streams'"));
  assert.deepEqual(cut, new Set([undefined]));
});

test('jabber: random payloads are not claimed', () => {
  assert.equal(randomClaims(jabber, {}), 0);
  assert.equal(randomClaims(jabber, { serverPort: 5223 }), 0);
  assert.equal(randomClaims(jabber, {}, { prefix: text('<stream:stream ') }), 0);
});
