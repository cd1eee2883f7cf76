import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ethereum, isDiscv4, isRlpxHandshake } from './ethereum.js';
import { dpiCounts, flowPayloads, hex, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';

const pcap = ndpiPcap('ethereum.pcap');

test('ethereum: the corpus capture: discovery datagrams and RLPx handshakes (71 of nDPI 74; 3 are SYN-only)', async () => {
  assert.deepEqual(await dpiCounts(pcap, [ethereum]), { ETHEREUM: 71 });
});

test('ethereum: a real handshake off the P2P ports needs the ack too', async () => {
  const flow = await flowPayloads(pcap, (f) => f.protocol === 6 && f.clientPort === 56610);
  assert.ok(flow.length >= 2 && flow[0]!.dir === 0 && flow[1]!.dir === 1);
  const off = { transport: 6, clientPort: 40000, serverPort: 40001 };
  assert.equal(verdictOf(ethereum, off, flow.slice(0, 2)), 'ETHEREUM');
  assert.equal(verdictOf(ethereum, off, flow.slice(0, 1)), undefined); // waits
  assert.equal(verdictOf(ethereum, { transport: 6, serverPort: 30303 }, flow.slice(0, 1)), 'ETHEREUM');
  // A cut auth no longer agrees with its size prefix.
  const auth = flow[0]!.data as Uint8Array;
  assert.deepEqual(prefixClaims(ethereum, { transport: 6, serverPort: 30303 }, auth), []);
});

test('ethereum: discovery v4: type, recovery id and the RLP list that runs to the end', async () => {
  const [ping] = await flowPayloads(pcap, (f) => f.protocol === 17);
  const d = ping!.data as Uint8Array;
  assert.ok(isDiscv4(d, 0, d.length));
  const bad = (i: number, v: number): boolean => {
    const c = d.slice();
    c[i] = v;
    return isDiscv4(c, 0, c.length);
  };
  assert.equal(bad(97, 0), false); // packet type 0
  assert.equal(bad(97, 7), false); // packet type 7
  assert.equal(bad(96, 2), false); // recovery id
  assert.equal(isDiscv4(d, 0, d.length - 1), false); // list longer than the datagram
  assert.deepEqual(prefixClaims(ethereum, { transport: 17 }, d), []);
});

test('ethereum: RLPx size prefix must equal the rest, after it the 0x04 key marker', () => {
  const msg = new Uint8Array(300);
  msg[0] = 0x01;
  msg[1] = 0x2a; // 298
  msg[2] = 0x04;
  assert.ok(isRlpxHandshake(msg, 0, 300, 0));
  assert.equal(isRlpxHandshake(msg, 0, 299, 0), false);
  msg[2] = 0x05;
  assert.equal(isRlpxHandshake(msg, 0, 300, 0), false);
  assert.equal(verdictOf(ethereum, { transport: 6, serverPort: 30303 }, [{ dir: 0, data: hex('0004 0401 0203') }]), undefined);
});

test('ethereum: random payloads are never claimed', () => {
  assert.equal(randomClaims(ethereum, { transport: 17, serverPort: 30303 }, 1), 0);
  assert.equal(randomClaims(ethereum, { transport: 6, serverPort: 30303 }, 2, 2000, 600), 0);
});
