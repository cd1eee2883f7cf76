import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { readCapture } from '../capture/read-capture.js';
import { PacketDecoder } from '../decode/decoder.js';
import { WeirdCounters } from '../decode/weirds.js';
import { compileFilter, type PacketFilter } from './index.js';

/** Expressions that read far and at computed offsets, on every link type the corpus has. */
const COMPLEX = [
  'tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420 or (udp port 53 and udp[10] & 0x80 = 0)',
  'vlan and (udp or arp or ip6 net fe80::/10) or (mpls and ip)',
  '(ip6 and not ether multicast) or (not ether broadcast and pppoes)',
  '(ip[6:2] & 0x1fff != 0 or ip6[6] = 44) and len - (ip[2:2] + 14) < 100 or icmp6[icmp6type] = icmp6-echo',
  'ether[len - 1] & 1 = 1 or tcp[tcp[12] >> 2] % 7 = ip[ip[0] & 0xf] ^ 3 or len / (ip[1] & 1) > 0',
  'host 10.0.0.1 or net 192.168 or port 80 or 443 or portrange 5000-6000 or arp or ip6 multicast',
];

test('every tcpdump corpus capture goes through complex filters without an exception', async () => {
  const dir = '../shared/corpus/tcpdump';
  const files = readdirSync(dir).sort();
  assert.ok(files.length >= 800, `${files.length} captures`);
  const decoder = new PacketDecoder(new WeirdCounters());
  const filters: PacketFilter[] = COMPLEX.flatMap((e) => [compileFilter(e), compileFilter(e, { backend: 'closure' })]);
  const matched = new Array<number>(filters.length).fill(0);
  let frames = 0;
  for (const f of files) {
    await readCapture(
      `${dir}/${f}`,
      {
        frame(data, offset, caplen, wireLen, _tsUs, linkType) {
          frames++;
          for (let i = 0; i < filters.length; i++) {
            const m = filters[i]!.matches(decoder, data, offset, caplen, wireLen, linkType);
            // Both back ends, side by side, must agree on every frame.
            if (i % 2 === 1) assert.equal(m, filters[i - 1]!.matches(decoder, data, offset, caplen, wireLen, linkType), `${f}: ${COMPLEX[(i - 1) / 2]}`);
            if (m) matched[i]!++;
          }
        },
      },
      { onWarning: () => {} },
    );
  }
  assert.ok(frames > 10_000, `${frames} frames`);
  for (let i = 0; i < filters.length; i++) assert.ok(matched[i]! > 0, `${COMPLEX[i >> 1]} matched nothing`);
});
