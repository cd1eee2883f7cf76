import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bittorrent, isKrpc } from './bittorrent.js';
import { ascii, dpiCounts, hex, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';

test('bittorrent: peer handshakes and DHT queries in the corpus (nDPI: 24 and 2)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('bittorrent.pcap'), [bittorrent]), { BitTorrent: 24 });
  assert.deepEqual(await dpiCounts(ndpiPcap('targusdataspeed_false_positives.pcap'), [bittorrent]), { BitTorrent: 2 });
});

test('bittorrent: handshake from either peer, at the stream start only', () => {
  const hs = ascii('\x13BitTorrent protocol\0\0\0\0\0\x10\0\x05');
  assert.equal(verdictOf(bittorrent, { transport: 6 }, [{ dir: 0, data: hs }]), 'BitTorrent');
  assert.equal(verdictOf(bittorrent, { transport: 6 }, [{ dir: 1, data: hs }]), 'BitTorrent');
  assert.equal(verdictOf(bittorrent, { transport: 6 }, [{ dir: 0, data: ascii('x') }, { dir: 0, data: hs }]), undefined);
  assert.deepEqual(prefixClaims(bittorrent, { transport: 6 }, hs.subarray(0, 20)), []);
});

test('bittorrent: KRPC, tracker connect, uTP SYN answered by its STATE', () => {
  const query = ascii('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe');
  assert.ok(isKrpc(query, 0, query.length));
  assert.equal(isKrpc(query, 0, query.length - 1), false);
  assert.equal(isKrpc(ascii('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:xe'), 0, 57), false);
  assert.equal(verdictOf(bittorrent, { transport: 17 }, [{ dir: 0, data: hex('00000417 27101980 00000000 12345678') }]), 'BitTorrent');
  const syn = hex('41 00 1234 00000001 00000000 00100000 0007 0000');
  const state = hex('21 00 1234 00000002 00000001 00100000 0100 0007');
  assert.equal(verdictOf(bittorrent, { transport: 17 }, [{ dir: 0, data: syn }, { dir: 1, data: state }]), 'BitTorrent');
  const wrong = state.slice();
  wrong[19] = 8; // acknowledges another sequence number
  assert.equal(verdictOf(bittorrent, { transport: 17 }, [{ dir: 0, data: syn }, { dir: 1, data: wrong }]), undefined);
});

test('bittorrent: random payloads are never claimed', () => {
  assert.equal(randomClaims(bittorrent, { transport: 17 }, 10), 0);
  assert.equal(randomClaims(bittorrent, { transport: 6 }, 11), 0);
});
