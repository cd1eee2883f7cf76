import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discord, isIpDiscovery } from './discord.js';
import { dpiCounts, flowPayloads, hex, ndpiPcap, prefixClaims, randomClaims, verdictOf } from './testkit-b.js';

test('discord: voice flows of the corpus (nDPI: 33 + 2 + 1)', async () => {
  assert.deepEqual(await dpiCounts(ndpiPcap('discord.pcap'), [discord]), { Discord: 33 });
  assert.deepEqual(await dpiCounts(ndpiPcap('riotgames.pcap'), [discord]), { Discord: 2 });
  // Picked up mid-call: RTCP first, the keep-alive a few datagrams later.
  assert.deepEqual(await dpiCounts(ndpiPcap('discord_mid_flow.pcap'), [discord]), { Discord: 1 });
});

test('discord: keep-alive and IP discovery, exact sizes only', async () => {
  assert.equal(verdictOf(discord, {}, [{ dir: 0, data: hex('1337cafe 0e000000') }]), 'Discord');
  assert.equal(verdictOf(discord, {}, [{ dir: 0, data: hex('1337cafe 0e0000') }, { dir: 0, data: hex('1337cafe 0e00000000') }]), undefined);
  const flow = await flowPayloads(ndpiPcap('discord.pcap'), (f) => f.clientPort === 57955);
  const request = flow[0]!.data as Uint8Array;
  const response = flow[1]!.data as Uint8Array;
  assert.ok(isIpDiscovery(request, 0, request.length) && isIpDiscovery(response, 0, response.length));
  const c = request.slice();
  c[20] = 0x41; // the request's address must be empty
  assert.equal(isIpDiscovery(c, 0, c.length), false);
  assert.deepEqual(prefixClaims(discord, {}, response), []);
});

test('discord: random payloads are never claimed', () => {
  assert.equal(randomClaims(discord, {}, 7), 0);
});
