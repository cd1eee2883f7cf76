import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStratumRequest, mining } from './mining.js';
import { ascii, dpiCounts, ndpiPcap, randomClaims, verdictOf } from './testkit-b.js';

test('mining: Stratum, Ethereum-proxy and xmrig logins in the corpus (nDPI: 4)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('mining.pcapng'), [mining]), { Mining: 4 });
});

test('mining: a JSON-RPC request naming a pool method', () => {
  const sub = ascii('{"id":1,"method":"mining.subscribe","params":["cgminer/4.10"]}\n');
  assert.ok(isStratumRequest(sub, 0, sub.length));
  assert.equal(verdictOf(mining, {}, [{ dir: 0, data: sub }]), 'Mining');
  const other = ascii('{"id":1,"method":"eth_getBalance","params":["0x1"]}\n');
  assert.equal(isStratumRequest(other, 0, other.length), false);
  const login = ascii('{"id":1,"method":"login","params":{"login":"x","pass":"y"}}\n');
  assert.equal(isStratumRequest(login, 0, login.length), false); // no agent: an ordinary login API
  assert.equal(verdictOf(mining, {}, [{ dir: 0, data: ascii('x') }, { dir: 0, data: sub }]), undefined);
});

test('mining: random payloads are never claimed', () => {
  assert.equal(randomClaims(mining, {}, 23), 0);
});
