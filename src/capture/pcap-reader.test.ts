import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chunked,
  FrameCollector,
  type PacketRecord,
  patch,
  pcapFile,
  randomChunks,
  truncate,
} from '../testing/pcap-builder.js';
import { LinkType } from './frame.js';
import { MAX_RECORD_STD, PcapParser } from './pcap-reader.js';

/** Parses `chunks` in order and returns what the sink and warn saw. */
function parse(chunks: Uint8Array[]): FrameCollector & { stoppedAt: number } {
  const c = new FrameCollector();
  const p = new PcapParser(c, c.warn);
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

const T0 = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z in µs
const PACKETS: PacketRecord[] = [
  { data: bytes(60, 1), tsUs: T0 },
  { data: bytes(1514, 2), tsUs: T0 + 1_234_567 },
  { data: bytes(54, 3), tsUs: T0 + 2_000_001, wireLen: 1500 },
  { data: bytes(1, 4), tsUs: T0 + 999_999 },
  { data: new Uint8Array(0), tsUs: 0 },
];

function expectFrames(got: FrameCollector, want: PacketRecord[], linkType: number = LinkType.Ethernet): void {
  assert.equal(got.frames.length, want.length);
  got.frames.forEach((f, i) => {
    const w = want[i] as PacketRecord;
    assert.deepEqual(f.data, w.data, `frame ${i} bytes`);
    assert.equal(f.caplen, w.data.length, `frame ${i} caplen`);
    assert.equal(f.wireLen, w.wireLen ?? w.data.length, `frame ${i} wireLen`);
    assert.equal(f.tsUs, w.tsUs, `frame ${i} tsUs`);
    assert.equal(f.linkType, linkType, `frame ${i} linkType`);
  });
}

describe('PcapParser', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      test(`${bigEndian ? 'big' : 'little'}-endian, ${nanos ? 'ns' : 'µs'} timestamps`, () => {
        const file = pcapFile(PACKETS, { bigEndian, nanos, linkType: LinkType.RawIp });
        const got = parse([file]);
        expectFrames(got, PACKETS, LinkType.RawIp);
        assert.deepEqual(got.warnings, []);
      });
    }
  }

  test('nanoseconds are floored to microseconds', () => {
    const file = pcapFile([{ data: bytes(10, 0), tsUs: 0, tsNs: 1_700_000_000_123_456_789n }], { nanos: true });
    assert.equal(parse([file]).frames[0]?.tsUs, 1_700_000_000_123_456);
  });

  test('modified pcap (24-byte record headers), both byte orders', () => {
    for (const bigEndian of [false, true]) {
      const got = parse([pcapFile(PACKETS, { modified: true, bigEndian })]);
      expectFrames(got, PACKETS);
    }
  });

  test('format 2.2 files store the lengths swapped; 2.3 swaps when caplen > wire length', () => {
    const pkts = [{ data: bytes(40, 0), tsUs: T0, wireLen: 100 }];
    expectFrames(parse([pcapFile(pkts, { version: [2, 2] })]), pkts);
    // A 2.3 file written the new way: caplen <= wire length, nothing to undo.
    expectFrames(parse([pcapFile(pkts, { version: [2, 3] })]), pkts);
    // A 2.3 file written the old way: (incl, orig) = (100, 40) reads as caplen 40.
    const old = pcapFile(pkts, { version: [2, 2] });
    const v23 = patch(old, 6, [3, 0]);
    expectFrames(parse([v23]), pkts);
  });

  test('link type: FCS bits of the header field are ignored', () => {
    const file = pcapFile(PACKETS.slice(0, 1), { linkType: 0x14000000 | LinkType.Ethernet });
    assert.equal(parse([file]).frames[0]?.linkType, LinkType.Ethernet);
  });

  test('records inside a chunk are views into that chunk', () => {
    const file = pcapFile(PACKETS);
    const seen: Uint8Array[] = [];
    const p = new PcapParser(
      {
        frame(d) {
          seen.push(d);
        },
      },
      () => assert.fail('no warning expected'),
    );
    p.push(file);
    assert.equal(seen.length, PACKETS.length);
    for (const d of seen) assert.equal(d, file);
  });

  test('same frames whatever the chunking: one byte at a time, fixed and random sizes', () => {
    const big = { data: bytes(200_000, 9), tsUs: T0 + 5 }; // larger than the initial scratch buffer
    const pkts = [...PACKETS, big, ...PACKETS];
    for (const opts of [{}, { bigEndian: true, nanos: true }, { modified: true }]) {
      const file = pcapFile(pkts, opts);
      expectFrames(parse(chunked(file, [1])), pkts);
      expectFrames(parse(chunked(file, [3, 17, 16, 24, 25, 1000])), pkts);
      for (let seed = 1; seed <= 20; seed++) {
        const got = parse(randomChunks(file, seed, seed * 97));
        expectFrames(got, pkts);
        assert.deepEqual(got.warnings, [], `seed ${seed}`);
      }
    }
  });

  test('a record cut short at the end: warning with its offset, earlier frames delivered', () => {
    const file = pcapFile(PACKETS);
    const lastAt = file.length - 16 - 0; // the empty last record starts here (16-byte header)
    const secondLastAt = lastAt - 16 - 1;
    // Cut inside the last record header, then inside the data of the one before.
    for (const [cut, at, frames] of [
      [file.length - 3, lastAt, 4],
      [secondLastAt + 16, secondLastAt, 3],
      [secondLastAt + 5, secondLastAt, 3],
    ] as const) {
      for (const chunks of [[truncate(file, cut)], chunked(truncate(file, cut), [7])]) {
        const got = parse(chunks);
        expectFrames(got, PACKETS.slice(0, frames));
        assert.equal(got.warnings.length, 1);
        assert.equal(got.warnings[0]?.kind, 'truncated_record');
        assert.equal(got.warnings[0]?.offset, at);
      }
    }
  });

  test('a file header cut short: truncated_header', () => {
    const got = parse([truncate(pcapFile([]), 10)]);
    assert.deepEqual(
      got.warnings.map((w) => [w.kind, w.offset]),
      [['truncated_header', 0]],
    );
    assert.deepEqual(parse([]).warnings, []); // nothing at all: nothing to say
  });

  test('an absurd incl_len is a corrupt record: warning, parsing stops', () => {
    const file = pcapFile(PACKETS);
    const second = 24 + 16 + 60; // offset of the second record
    const bad = patch(file, second + 8, [0x00, 0x00, 0x00, 0x10]); // LE 0x10000000
    for (const chunks of [[bad], chunked(bad, [1]), chunked(bad, [second + 10, 5])]) {
      const got = parse(chunks);
      expectFrames(got, PACKETS.slice(0, 1));
      assert.equal(got.warnings.length, 1);
      assert.equal(got.warnings[0]?.kind, 'corrupt_record');
      assert.equal(got.warnings[0]?.offset, second);
      assert.ok(got.stoppedAt >= 0, 'push returned false');
    }
  });

  test('the record limit follows a larger snaplen, up to 16 MiB', () => {
    const pkts = [{ data: bytes(MAX_RECORD_STD + 100, 1), tsUs: T0 }];
    expectFrames(parse([pcapFile(pkts, { snaplen: 1 << 20 })]), pkts);
    const got = parse([pcapFile(pkts, { snaplen: 65535 })]);
    assert.equal(got.frames.length, 0);
    assert.equal(got.warnings[0]?.kind, 'corrupt_record');
  });

  test('caplen above the wire length: delivered, wireLen as recorded', () => {
    const pkts = [{ data: bytes(100, 1), tsUs: T0, wireLen: 60 }];
    expectFrames(parse([pcapFile(pkts)]), pkts);
  });

  test('not a pcap magic: bad_magic, nothing delivered', () => {
    const got = parse([new TextEncoder().encode('this is not a capture file at all')]);
    assert.equal(got.frames.length, 0);
    assert.equal(got.warnings[0]?.kind, 'bad_magic');
    assert.equal(got.stoppedAt, 0);
  });

  test('push after end() returns false', () => {
    const p = new PcapParser(new FrameCollector(), () => {});
    p.push(pcapFile([]));
    p.end();
    assert.equal(p.push(new Uint8Array(16)), false);
  });
});
