import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SondaError } from '../errors.js';
import { FrameCollector, type PacketRecord, patch, pcapFile, pcapngFile, truncate } from '../testing/pcap-builder.js';
import { describeMagic, readCapture } from './read-capture.js';

const T0 = 1_704_067_200_000_000;

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Packets whose bytes say their index, so that a prefix can be checked. */
function packets(n: number, size = 200): PacketRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const d = bytes(size + (i % 50), i);
    d[0] = i & 0xff;
    d[1] = i >> 8;
    return { data: d, tsUs: T0 + i * 1000 };
  });
}

function checkPrefix(c: FrameCollector, pkts: PacketRecord[]): void {
  c.frames.forEach((f, i) => {
    assert.deepEqual(f.data, pkts[i]?.data, `frame ${i}`);
    assert.equal(f.tsUs, pkts[i]?.tsUs);
  });
}

async function rejects(p: Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SondaError, `a SondaError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}

describe('readCapture', () => {
  let dir = '';
  const file = (name: string, data: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sonda-capture-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const PKTS = packets(300);
  const formats = [
    ['pcap', pcapFile(PKTS)],
    ['pcapng', pcapngFile(PKTS)],
  ] as const;

  for (const [format, data] of formats) {
    for (const compressed of [false, true]) {
      test(`${format}${compressed ? ', gzip' : ''}: format detected, all frames, progress`, async () => {
        const stored = compressed ? gzipSync(data) : data;
        const p = file(`a.${format}${compressed ? '.gz' : ''}`, stored);
        const c = new FrameCollector();
        const progress: [number, number | undefined][] = [];
        const info = await readCapture(p, c, {
          onWarning: c.warn,
          onProgress: (n, total) => progress.push([n, total]),
          highWaterMark: 4096,
        });
        assert.deepEqual(info, { format, compressed, bytesRead: stored.length, warnings: 0 });
        assert.equal(c.frames.length, PKTS.length);
        checkPrefix(c, PKTS);
        assert.deepEqual(progress.at(-1), [stored.length, stored.length]);
        assert.ok(progress.length > 2, 'progress reported per chunk');
      });
    }
  }

  test('tiny reads: magic detection copes with 1-byte chunks', async () => {
    for (const [format, data] of formats) {
      for (const stored of [data, gzipSync(data)]) {
        const c = new FrameCollector();
        const info = await readCapture(file('tiny', stored), c, { highWaterMark: 1 });
        assert.equal(info.format, format);
        assert.equal(c.frames.length, PKTS.length);
      }
    }
  });

  test('truncated gzip: warning, the frames before it survive', async () => {
    const data = pcapFile(packets(5000));
    const gz = gzipSync(data);
    const c = new FrameCollector();
    const info = await readCapture(file('cut.pcap.gz', truncate(gz, Math.floor(gz.length / 2))), c, {
      onWarning: c.warn,
    });
    assert.equal(info.compressed, true);
    const kinds = c.warnings.map((w) => w.kind);
    assert.ok(kinds.includes('truncated_gzip'), kinds.join());
    assert.ok(c.frames.length > 1000 && c.frames.length < 5000, `${c.frames.length} frames`);
    checkPrefix(c, packets(5000));
    const w = c.warnings.find((x) => x.kind === 'truncated_gzip');
    assert.ok(w && w.offset > 0 && w.offset < data.length);
    assert.equal(info.warnings, c.warnings.length);
  });

  test('corrupt gzip: warning, no exception, the frames before it survive', async () => {
    const pkts = packets(5000);
    const gz = gzipSync(pcapFile(pkts));
    const bad = patch(gz, gz.length - 8, [0xde, 0xad, 0xbe, 0xef]); // CRC in the trailer broken
    const c = new FrameCollector();
    await readCapture(file('bad.pcap.gz', bad), c, { onWarning: c.warn, highWaterMark: 16384 });
    assert.ok(c.warnings.some((w) => w.kind === 'corrupt_gzip'));
    // zlib drops the output of the call that fails (at most one chunk): the rest must be here.
    assert.ok(c.frames.length > 4800, `${c.frames.length} frames`);
    checkPrefix(c, pkts);
  });

  test('gzip that yields nothing readable: not a capture', async () => {
    const gz = gzipSync(pcapFile(packets(10)));
    const p = file('garbage.gz', patch(gz, 2, [0x07])); // unknown compression method
    await assert.rejects(readCapture(p, new FrameCollector()), { code: 'SONDA_E_NOT_CAPTURE' });
    const text = file('text.gz', gzipSync(new TextEncoder().encode('Hello world, this is text')));
    await rejects(
      readCapture(text, new FrameCollector()),
      'SONDA_E_NOT_CAPTURE',
      `${text}: not a pcap or pcapng capture (gzip-compressed, starts with 48 65 6c 6c 6f 20 77 6f "Hello wo")`,
    );
  });

  test('a truncated record through the front door: warning with offset', async () => {
    const data = pcapFile(packets(10));
    const c = new FrameCollector();
    const info = await readCapture(file('trunc.pcap', truncate(data, data.length - 5)), c, { onWarning: c.warn });
    assert.equal(c.frames.length, 9);
    assert.equal(info.warnings, 1);
    assert.equal(c.warnings[0]?.kind, 'truncated_record');
    assert.equal(c.warnings[0]?.offset, data.length - 16 - 209);
  });

  test('corrupt data stops reading early without hanging (plain and gzip)', async () => {
    const data = pcapFile(packets(20000));
    const bad = patch(data, 24 + 8, [0xff, 0xff, 0xff, 0x7f]);
    for (const stored of [bad, gzipSync(bad)]) {
      const c = new FrameCollector();
      const info = await readCapture(file('corrupt.pcap', stored), c, { onWarning: c.warn, highWaterMark: 1024 });
      assert.equal(c.frames.length, 0);
      assert.deepEqual(
        c.warnings.map((w) => [w.kind, w.offset]),
        [['corrupt_record', 24]],
      );
      assert.ok(info.bytesRead < stored.length, `stopped reading: ${info.bytesRead} of ${stored.length}`);
    }
  });

  test('not a capture: one-line message naming the first bytes', async () => {
    const notes = file('notes.txt', 'Hello world\n');
    await rejects(
      readCapture(notes, new FrameCollector()),
      'SONDA_E_NOT_CAPTURE',
      `${notes}: not a pcap or pcapng capture (starts with 48 65 6c 6c 6f 20 77 6f "Hello wo")`,
    );
    const short = file('short.bin', Uint8Array.of(0xa1, 0xb2));
    await rejects(
      readCapture(short, new FrameCollector()),
      'SONDA_E_NOT_CAPTURE',
      `${short}: not a pcap or pcapng capture (starts with a1 b2 "..")`,
    );
    const empty = file('empty.pcap', '');
    await rejects(
      readCapture(empty, new FrameCollector()),
      'SONDA_E_NOT_CAPTURE',
      `${empty}: not a pcap or pcapng capture (empty file)`,
    );
  });

  test('missing file, directory, unreadable file', async (t) => {
    const missing = join(dir, 'nope.pcap');
    await rejects(readCapture(missing, new FrameCollector()), 'SONDA_E_NOT_FOUND', `${missing}: no such file`);
    const sub = join(dir, 'subdir');
    mkdirSync(sub);
    await rejects(readCapture(sub, new FrameCollector()), 'SONDA_E_UNREADABLE', `${sub}: cannot read (is a directory)`);
    if (process.getuid?.() === 0) {
      t.diagnostic('running as root: permission check skipped');
      return;
    }
    const locked = file('locked.pcap', pcapFile([]));
    chmodSync(locked, 0o000);
    await rejects(
      readCapture(locked, new FrameCollector()),
      'SONDA_E_UNREADABLE',
      `${locked}: cannot read (permission denied)`,
    );
  });

  test("standard input ('-'), first chunk shorter than the magic", async () => {
    const here = fileURLToPath(new URL('./read-capture.ts', import.meta.url));
    const script = `
      import { readCapture } from ${JSON.stringify(here)};
      let n = 0, bytes = 0;
      const info = await readCapture('-', { frame(d, o, cap) { n++; bytes += cap; } });
      console.log(JSON.stringify({ ...info, n, bytes }));`;
    for (const [format, data] of formats) {
      for (const stored of [data, gzipSync(data)]) {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        const done = new Promise<number | null>((resolve) => child.on('close', resolve));
        // Two bytes first, then the rest a moment later: the reader must wait for the magic.
        child.stdin.write(stored.subarray(0, 2));
        await new Promise((r) => setTimeout(r, 50));
        child.stdin.end(stored.subarray(2));
        assert.equal(await done, 0);
        const r = JSON.parse(out) as { format: string; compressed: boolean; n: number; bytesRead: number };
        assert.equal(r.format, format);
        assert.equal(r.compressed, stored !== data);
        assert.equal(r.n, PKTS.length);
        assert.equal(r.bytesRead, stored.length);
      }
    }
  });

  test('describeMagic', () => {
    assert.equal(describeMagic(new Uint8Array(0)), 'empty file');
    assert.equal(
      describeMagic(new TextEncoder().encode('GET / HTTP/1.1')),
      'starts with 47 45 54 20 2f 20 48 54 "GET / HT"',
    );
    assert.equal(describeMagic(Uint8Array.of(0, 0x41, 0xff)), 'starts with 00 41 ff ".A."');
  });
});
