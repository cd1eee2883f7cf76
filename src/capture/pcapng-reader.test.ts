import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chunked,
  FrameCollector,
  patch,
  pcapngFile,
  PcapngWriter,
  randomChunks,
  truncate,
} from '../testing/pcap-builder.js';
import { LinkType } from './frame.js';
import { PcapngParser } from './pcapng-reader.js';

function parse(chunks: Uint8Array[]): FrameCollector & { stoppedAt: number } {
  const c = new FrameCollector();
  const p = new PcapngParser(c, c.warn);
  let stoppedAt = -1;
  chunks.forEach((ch, i) => {
    if (stoppedAt < 0 && !p.push(ch)) stoppedAt = i;
  });
  p.end();
  return Object.assign(c, { stoppedAt });
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** The frames in a compact comparable form. */
function summary(c: FrameCollector): string[] {
  return c.frames.map((f) => `${f.linkType} ${f.caplen}/${f.wireLen} @${f.tsUs} ${f.data.slice(0, 4).join('.')}`);
}

const T0 = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z in µs
const T0_NS = BigInt(T0) * 1000n;

/** A section with four interfaces of different link types and resolutions. */
function multiInterface(bigEndian: boolean): PcapngWriter {
  return new PcapngWriter({ bigEndian })
    .idb({ linkType: LinkType.Ethernet }) // µs (no option)
    .idb({ linkType: LinkType.RawIp, tsresol: 9 }) // ns
    .idb({ linkType: LinkType.LinuxSll, tsresol: 3, snaplen: 128 }) // ms
    .idb({ linkType: LinkType.Null, tsresol: 0x80 | 20 }) // 2^-20 s
    .idb({ linkType: LinkType.Ipv4, tsresol: 10, tsoffset: 1_000_000 }); // 0.1 ns (BigInt path), +1e6 s
}

describe('PcapngParser', () => {
  for (const bigEndian of [false, true]) {
    test(`${bigEndian ? 'big' : 'little'}-endian: interfaces with their own link types and resolutions`, () => {
      const file = multiInterface(bigEndian)
        .epb({ iface: 0, data: bytes(60, 0), tsUs: T0 + 1 })
        .epb({ iface: 1, data: bytes(61, 1), tsUs: 0, tsNs: T0_NS + 123_456_789n })
        .epb({ iface: 2, data: bytes(62, 2), tsUs: T0 + 5_000, wireLen: 1000 })
        .epb({ iface: 3, data: bytes(63, 3), tsUs: T0 + 500_000 }) // 0.5 s: exact in 2^-20
        .epb({ iface: 4, data: bytes(64, 4), tsUs: T0 + 7 })
        .bytes();
      const got = parse([file]);
      assert.deepEqual(got.warnings, []);
      assert.deepEqual(summary(got), [
        `1 60/60 @${T0 + 1} 0.31.62.93`,
        `101 61/61 @${T0 + 123_456} 1.32.63.94`,
        `113 62/1000 @${T0 + 5_000} 2.33.64.95`,
        `0 63/63 @${T0 + 500_000} 3.34.65.96`,
        `228 64/64 @${T0 + 7} 4.35.66.97`,
      ]);
    });
  }

  test('nanosecond timestamps convert exactly (checked against BigInt)', () => {
    const w = new PcapngWriter().idb({ linkType: 1, tsresol: 9 }).idb({ linkType: 1, tsresol: 7 });
    const want: number[] = [];
    let s = 12345;
    for (let i = 0; i < 2000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      // Spread over 1970 … 2106 and the whole sub-µs range.
      const ns = BigInt(s) * 1_000_000_000n + BigInt((s * 7919) % 1_000_000_000) + BigInt(i % 1000);
      w.epb({ iface: i & 1, data: bytes(1, i), tsUs: 0, tsNs: ns });
      const ticksPerUs = i & 1 ? 10n : 1000n;
      const ticks = i & 1 ? ns / 100n : ns;
      want.push(Number(ticks / ticksPerUs));
    }
    assert.deepEqual(
      parse([w.bytes()]).frames.map((f) => f.tsUs),
      want,
    );
  });

  test('simple packet blocks: interface 0, caplen capped by snaplen, last timestamp', () => {
    const file = new PcapngWriter()
      .idb({ linkType: LinkType.Ethernet, snaplen: 100 })
      .spb({ data: bytes(40, 0), wireLen: 40 }) // before any timestamp: 0
      .epb({ data: bytes(50, 1), tsUs: T0 + 42 })
      .spb({ data: bytes(100, 2), wireLen: 1500 }) // snapped capture of a 1500-byte packet
      .spb({ data: bytes(30, 3), wireLen: 20 }) // padding beyond the wire length is not data
      .bytes();
    const got = parse([file]);
    assert.deepEqual(got.warnings, []);
    assert.deepEqual(summary(got), [
      '1 40/40 @0 0.31.62.93',
      `1 50/50 @${T0 + 42} 1.32.63.94`,
      `1 100/1500 @${T0 + 42} 2.33.64.95`,
      `1 20/20 @${T0 + 42} 3.34.65.96`,
    ]);
  });

  test('obsolete packet blocks (type 2)', () => {
    const file = pcapngFile(
      [
        { data: bytes(60, 0), tsUs: T0, block: 'pb' },
        { data: bytes(70, 1), tsUs: T0 + 1, iface: 1, block: 'pb', wireLen: 80 },
      ],
      { interfaces: [{ linkType: LinkType.Ethernet }, { linkType: LinkType.Raw, tsresol: 9 }] },
    );
    assert.deepEqual(summary(parse([file])), [`1 60/60 @${T0} 0.31.62.93`, `12 70/80 @${T0 + 1} 1.32.63.94`]);
  });

  test('NRB, ISB and unknown/custom blocks are skipped', () => {
    const file = new PcapngWriter()
      .nrb([[Uint8Array.of(10, 0, 0, 1), 'host.example']])
      .idb({ linkType: LinkType.Ethernet })
      .block(0x00000bad, bytes(13, 0)) // custom, odd body length (padded)
      .epb({ data: bytes(60, 0), tsUs: T0 })
      .isb(0)
      .block(0x40000bad, bytes(300_000, 1)) // large custom block: skipped without buffering
      .epb({ data: bytes(61, 1), tsUs: T0 + 1 })
      .bytes();
    for (const chunks of [[file], chunked(file, [1]), chunked(file, [4096]), randomChunks(file, 7, 50_000)]) {
      const got = parse(chunks);
      assert.deepEqual(got.warnings, []);
      assert.deepEqual(summary(got), [`1 60/60 @${T0} 0.31.62.93`, `1 61/61 @${T0 + 1} 1.32.63.94`]);
    }
  });

  test('a new section mid-stream: interfaces reset, byte order may change', () => {
    const file = new PcapngWriter()
      .idb({ linkType: LinkType.Ethernet })
      .idb({ linkType: LinkType.RawIp })
      .epb({ iface: 1, data: bytes(20, 0), tsUs: T0 })
      .shb({ bigEndian: true })
      .idb({ linkType: LinkType.LinuxSll, tsresol: 9 })
      .epb({ iface: 0, data: bytes(21, 1), tsUs: T0 + 1 })
      .epb({ iface: 1, data: bytes(22, 2), tsUs: T0 + 2 }) // interface 1 belonged to the old section
      .epb({ iface: 1, data: bytes(22, 2), tsUs: T0 + 3 })
      .shb({ bigEndian: false })
      .idb({ linkType: LinkType.Raw })
      .epb({ iface: 0, data: bytes(23, 3), tsUs: T0 + 4 })
      .bytes();
    for (const chunks of [[file], chunked(file, [1]), randomChunks(file, 3, 40)]) {
      const got = parse(chunks);
      assert.deepEqual(summary(got), [
        `101 20/20 @${T0} 0.31.62.93`,
        `113 21/21 @${T0 + 1} 1.32.63.94`,
        `12 23/23 @${T0 + 4} 3.34.65.96`,
      ]);
      // Unknown interface: reported once, packets skipped, parsing goes on.
      assert.deepEqual(
        got.warnings.map((w) => w.kind),
        ['unknown_interface'],
      );
    }
  });

  test('same frames whatever the chunking', () => {
    const w = multiInterface(false);
    for (let i = 0; i < 50; i++) {
      w.epb({ iface: i % 5, data: bytes((i * 977) % 3000, i), tsUs: T0 + i * 1000 });
      if (i % 7 === 0) w.spb({ data: bytes(100, i) });
      if (i % 11 === 0) w.isb(i % 5);
      if (i === 25) w.epb({ data: bytes(150_000, 1), tsUs: T0 }); // grows the scratch buffer
    }
    const file = w.bytes();
    const whole = summary(parse([file]));
    assert.equal(whole.length, 50 + 8 + 1);
    assert.deepEqual(summary(parse(chunked(file, [1]))), whole);
    for (let seed = 1; seed <= 30; seed++) {
      const got = parse(randomChunks(file, seed, seed * 131));
      assert.deepEqual(summary(got), whole, `seed ${seed}`);
      assert.deepEqual(got.warnings, []);
    }
  });

  test('blocks inside a chunk are views into that chunk', () => {
    const file = pcapngFile([
      { data: bytes(60, 0), tsUs: T0 },
      { data: bytes(60, 0), tsUs: T0, block: 'spb' },
    ]);
    let n = 0;
    const p = new PcapngParser(
      {
        frame(d) {
          assert.equal(d, file);
          n++;
        },
      },
      () => assert.fail('no warning expected'),
    );
    p.push(file);
    assert.equal(n, 2);
  });

  test('a block cut short at the end: truncated_block with its offset', () => {
    const w = new PcapngWriter().idb({ linkType: 1 }).epb({ data: bytes(60, 0), tsUs: T0 });
    const lastAt = w.bytes().length;
    w.epb({ data: bytes(60, 1), tsUs: T0 + 1 });
    const skipAt = w.bytes().length;
    const file = w.block(0x0bad, bytes(100_000, 0)).bytes();
    for (const [cut, at, frames] of [
      [lastAt + 5, lastAt, 1],
      [lastAt + 40, lastAt, 1],
      [skipAt + 50_000, skipAt, 2], // inside a skipped block
    ] as const) {
      for (const chunks of [[truncate(file, cut)], chunked(truncate(file, cut), [1000])]) {
        const got = parse(chunks);
        assert.equal(got.frames.length, frames);
        assert.deepEqual(
          got.warnings.map((x) => [x.kind, x.offset]),
          [['truncated_block', at]],
        );
      }
    }
  });

  test('corrupt block lengths stop parsing with corrupt_block', () => {
    const head = new PcapngWriter().idb({ linkType: 1 }).epb({ data: bytes(60, 0), tsUs: T0 });
    const at = head.bytes().length;
    const cases: [string, Uint8Array][] = [
      ['not a multiple of 4', patchLen(head, 30)],
      ['below 12', patchLen(head, 8)],
      ['above 64 MiB', patchLen(head, 65 * 1024 * 1024)],
      [
        'trailer mismatch',
        new PcapngWriter()
          .idb({ linkType: 1 })
          .epb({ data: bytes(60, 0), tsUs: T0 })
          .block(6, new Uint8Array(40), { trailerLength: 48 })
          .bytes(),
      ],
      [
        'trailer mismatch in a skipped block',
        new PcapngWriter()
          .idb({ linkType: 1 })
          .epb({ data: bytes(60, 0), tsUs: T0 })
          .block(0xbad, new Uint8Array(100_000), { trailerLength: 12 })
          .bytes(),
      ],
      [
        'EPB shorter than its fixed fields',
        new PcapngWriter()
          .idb({ linkType: 1 })
          .epb({ data: bytes(60, 0), tsUs: T0 })
          .block(6, new Uint8Array(8))
          .bytes(),
      ],
      [
        'EPB caplen beyond the block',
        new PcapngWriter()
          .idb({ linkType: 1 })
          .epb({ data: bytes(60, 0), tsUs: T0 })
          .epb({ data: bytes(60, 0), tsUs: T0, caplen: 65 })
          .bytes(),
      ],
    ];
    for (const [what, file] of cases) {
      for (const chunks of [[file], chunked(file, [1]), chunked(file, [at + 3, 9])]) {
        const got = parse([...chunks, bytes(100, 0)]);
        assert.equal(got.frames.length, 1, what);
        assert.deepEqual(
          got.warnings.map((w) => [w.kind, w.offset]),
          [['corrupt_block', at]],
          what,
        );
        assert.ok(got.stoppedAt >= 0, `${what}: push returned false`);
      }
    }
  });

  test('first block not a section header, or a bad byte-order magic: corrupt_block', () => {
    const noShb = new PcapngWriter({ noHeader: true }).idb({ linkType: 1 }).bytes();
    assert.deepEqual(
      parse([noShb]).warnings.map((w) => [w.kind, w.offset]),
      [['corrupt_block', 0]],
    );
    const badBom = patch(pcapngFile([]), 8, [1, 2, 3, 4]);
    assert.equal(parse([badBom]).warnings[0]?.kind, 'corrupt_block');
  });

  test('unsupported major version stops parsing', () => {
    const file = new PcapngWriter({ noHeader: true })
      .shb({ major: 2 })
      .idb({ linkType: 1 })
      .epb({ data: bytes(10, 0), tsUs: 0 })
      .bytes();
    const got = parse([file]);
    assert.equal(got.frames.length, 0);
    assert.equal(got.warnings[0]?.kind, 'unsupported_version');
  });

  test('packets for an undescribed interface are skipped, warned once', () => {
    const file = pcapngFile([
      { data: bytes(10, 0), tsUs: 1, iface: 3 },
      { data: bytes(10, 1), tsUs: 2 },
      { data: bytes(10, 2), tsUs: 3, iface: 1, block: 'pb' },
    ]);
    const got = parse([file]);
    assert.deepEqual(summary(got), ['1 10/10 @2 1.32.63.94']);
    assert.deepEqual(
      got.warnings.map((w) => w.kind),
      ['unknown_interface'],
    );
  });
});

/** `head`'s bytes plus a block whose total length field is `len` (and garbage after). */
function patchLen(head: PcapngWriter, len: number): Uint8Array {
  const base = head.bytes();
  const b = new PcapngWriter({ noHeader: true }).block(6, new Uint8Array(40)).bytes();
  new DataView(b.buffer).setUint32(4, len, true);
  const out = new Uint8Array(base.length + b.length);
  out.set(base);
  out.set(b, base.length);
  return out;
}
