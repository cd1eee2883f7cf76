/**
 * The capture writers checked by an independent reader: Wireshark's capinfos (required) must
 * read what they write, with the same packet count, data size and time range.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LinkType } from '../capture/frame.js';
import {
  chunked,
  type PacketRecord,
  patch,
  pcapFile,
  pcapngFile,
  PcapngWriter,
  randomChunks,
  truncate,
} from './pcap-builder.js';

interface Info {
  count: number;
  dataSize: number;
  earliest: string;
  latest: string;
  encapsulation: string;
}

let dir = '';

/** capinfos' view of `data`, written to `name` in the test folder. */
function capinfos(name: string, data: Uint8Array): Info {
  const path = join(dir, name);
  writeFileSync(path, data);
  return capinfosOf(path);
}

/** capinfos' view of a file: count, data size, earliest/latest (seconds text), encapsulation. */
function capinfosOf(path: string): Info {
  const r = spawnSync('capinfos', ['-T', '-r', '-c', '-d', '-a', '-e', '-S', '-E', '-M', path], { encoding: 'utf8' });
  if (r.error) throw new Error(`capinfos is required (Debian: wireshark-common): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  // Columns come in capinfos' own order, whatever the order of the flags.
  const [, encapsulation, count, size, earliest, latest] = r.stdout.trim().split('\t');
  return {
    count: Number(count),
    dataSize: Number(size),
    earliest: earliest ?? '',
    latest: latest ?? '',
    encapsulation: encapsulation ?? '',
  };
}

const T0 = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z
const PKTS: PacketRecord[] = [
  { data: new Uint8Array(60), tsUs: T0 + 250_000 },
  { data: new Uint8Array(1514), tsUs: T0 + 1_000_001 },
  { data: new Uint8Array(54), tsUs: T0 + 999, wireLen: 1000 },
];

describe('capture writers, read back by capinfos', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sonda-builder-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      test(`pcap, ${bigEndian ? 'big' : 'little'}-endian, ${nanos ? 'ns' : 'µs'}`, () => {
        const i = capinfos('a.pcap', pcapFile(PKTS, { bigEndian, nanos }));
        assert.equal(i.count, 3);
        assert.equal(i.dataSize, 60 + 1514 + 1000);
        assert.equal(i.earliest, nanos ? '1704067200.000999000' : '1704067200.000999');
        assert.equal(i.latest, nanos ? '1704067201.000001000' : '1704067201.000001');
        assert.equal(i.encapsulation, 'ether');
      });
    }
  }

  test('pcap link type and sub-µs timestamps', () => {
    const i = capinfos(
      'raw.pcap',
      pcapFile([{ data: new Uint8Array(20), tsUs: 0, tsNs: 1_704_067_200_123_456_789n }], {
        nanos: true,
        linkType: LinkType.RawIp,
      }),
    );
    assert.equal(i.earliest, '1704067200.123456789');
    assert.equal(i.encapsulation, 'rawip');
  });

  for (const bigEndian of [false, true]) {
    test(`pcapng, ${bigEndian ? 'big' : 'little'}-endian: interfaces, resolutions, EPB and PB`, () => {
      const file = pcapngFile(
        [
          { data: new Uint8Array(60), tsUs: T0 + 5, iface: 0 },
          { data: new Uint8Array(70), tsUs: 0, tsNs: BigInt(T0) * 1000n + 3n, iface: 1 }, // earliest
          { data: new Uint8Array(80), tsUs: T0 + 9_000_000, iface: 2, block: 'pb' }, // latest
        ],
        {
          bigEndian,
          interfaces: [
            { linkType: LinkType.Ethernet },
            { linkType: LinkType.RawIp, tsresol: 9 },
            { linkType: LinkType.Ethernet, tsresol: 3 },
          ],
        },
      );
      const i = capinfos('a.pcapng', file);
      assert.equal(i.count, 3);
      assert.equal(i.dataSize, 60 + 70 + 80);
      assert.equal(i.earliest, '1704067200.000000003');
      assert.equal(i.latest, '1704067209.000'); // printed at the ms interface's precision
      assert.equal(i.encapsulation, 'per-packet');
    });
  }

  test('pcapng: simple packet blocks (no timestamp), caplen capped by the snaplen', () => {
    const file = new PcapngWriter()
      .idb({ linkType: LinkType.Ethernet, snaplen: 64 })
      .spb({ data: new Uint8Array(64), wireLen: 1500 })
      .spb({ data: new Uint8Array(42) })
      .bytes();
    const i = capinfos('spb.pcapng', file);
    assert.equal(i.count, 2);
    assert.equal(i.dataSize, 1542);
  });

  test('pcapng: several sections, skippable blocks', () => {
    const file = new PcapngWriter()
      .nrb([[Uint8Array.of(10, 0, 0, 1), 'a.example']])
      .idb({ linkType: LinkType.Ethernet })
      .epb({ data: new Uint8Array(60), tsUs: T0 })
      .isb(0)
      .shb({ bigEndian: true })
      .idb({ linkType: LinkType.Ethernet, tsresol: 0x80 | 10, tsoffset: 100 })
      .epb({ data: new Uint8Array(61), tsUs: T0 + 500_000 })
      .bytes();
    const i = capinfos('b.pcapng', file);
    assert.equal(i.count, 2);
    assert.equal(i.dataSize, 121);
    assert.equal(i.latest.slice(0, 13), '1704067200.50');
  });
});

describe('damage and delivery helpers', () => {
  const file = pcapFile(PKTS);

  test('truncate and patch copy', () => {
    const t = truncate(file, 30);
    assert.equal(t.length, 30);
    assert.notEqual(t.buffer, file.buffer);
    const p = patch(file, 0, [1, 2]);
    assert.deepEqual([...p.subarray(0, 2)], [1, 2]);
    assert.equal(file[0], 0xd4, 'original untouched');
  });

  test('chunked and randomChunks cover the file in order', () => {
    for (const chunks of [chunked(file, [1]), chunked(file, [5, 100]), randomChunks(file, 42, 64)]) {
      const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of chunks) {
        joined.set(c, o);
        o += c.length;
      }
      assert.deepEqual(joined, file);
    }
    assert.deepEqual(
      randomChunks(file, 7, 50).map((c) => c.length),
      randomChunks(file, 7, 50).map((c) => c.length),
      'deterministic per seed',
    );
  });
});

describe('samples/sample.pcap', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));

  test('is what scripts/make-sample.ts writes (deterministic), and capinfos reads it', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sonda-sample-'));
    try {
      const out = join(tmp, 'sample.pcap');
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/make-sample.ts'), out], {
        cwd: root,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const fresh = readFileSync(out);
      assert.deepEqual(
        fresh,
        readFileSync(join(root, 'samples/sample.pcap')),
        'run scripts/make-sample.ts to refresh the sample',
      );
      const i = capinfosOf(out);
      assert.equal(i.count, 47);
      assert.equal(i.earliest, '1704067200.000000');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
