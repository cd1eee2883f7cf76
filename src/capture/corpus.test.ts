/**
 * The capture readers against real captures: nDPI's test captures and tcpdump's (often
 * deliberately malformed) ones, checked file by file against Wireshark's `capinfos`.
 *
 * For every file capinfos reads, Sonda must deliver the same number of frames with the same
 * total wire length, and (where capinfos prints them unambiguously) the same earliest and
 * latest timestamps. Files capinfos rejects (link types it does not know) must simply not
 * throw. capinfos (Debian: wireshark-common) is required: without it this test fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomChunks } from '../testing/pcap-builder.js';
import type { CaptureWarning, FrameSink } from './frame.js';
import { PcapParser } from './pcap-reader.js';
import { PcapngParser } from './pcapng-reader.js';
import { readCapture } from './read-capture.js';

/** The shared corpus beside the repository (`../shared/corpus`), or `$SONDA_CORPUS`. */
const CORPUS = process.env.SONDA_CORPUS ?? fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const DIRS = ['ndpi/pcap', 'tcpdump'];

/**
 * Files where Sonda knowingly differs from capinfos, with the reason. Frame counts agree on
 * the whole corpus; these differ only in what Wireshark does with a frame after reading it.
 */
const EXCEPTIONS: Record<string, { wire?: string; time?: string }> = {
  // LINKTYPE_SUNATM: Wireshark moves the 4-byte ATM pseudo-header out of the frame, so its
  // lengths are 4 less; Sonda hands the frame over as recorded.
  'tcpdump/atm-heapoverflow.pcap': { wire: 'SunATM pseudo-header' },
  'tcpdump/atm-oam-heapoverflow.pcap': { wire: 'SunATM pseudo-header' },
  // …and ts_usec = 1159821166 (>= 10^6): Wireshark's ×1000 to nanoseconds overflows 32 bits;
  // Sonda adds the field as it is (sec·10^6 + usec).
  'tcpdump/atm-oam-loopback-print-overrun.pcap': { wire: 'SunATM pseudo-header', time: 'usec >= 10^6' },
  // ts_sec >= 2^31: Wireshark reads it as signed (before 1970); the pcap format says unsigned
  // (times up to 2106), and so does Sonda.
  'tcpdump/bgp_vpn_rt-oobr.pcap': { time: 'unsigned ts_sec' },
  'tcpdump/olsr-oobr-2.pcap': { time: 'unsigned ts_sec' },
  'tcpdump/pim_header_asan-2.pcap': { time: 'unsigned ts_sec' },
  'tcpdump/rx_serviceid_oobr.pcap': { time: 'unsigned ts_sec' },
};

interface Expected {
  count: number;
  /** Sum of wire lengths (capinfos' "data size"). */
  dataSize: number;
  /** Earliest / latest timestamp in µs, or undefined where capinfos' text is ambiguous. */
  earliest: number | undefined;
  latest: number | undefined;
}

/**
 * capinfos prints `sec.frac` with the frac zero-padded to the file's precision (up to 6 or
 * exactly 9 digits) but not capped: a malformed µs field of 1234567 prints 7 digits. Those
 * (7, 8, 10+ digits) are ambiguous and not compared.
 */
function capinfosUs(s: string | undefined): number | undefined {
  if (s === undefined || s === '' || s === 'n/a') return undefined;
  const [sec, frac = ''] = s.split('.');
  if (!/^\d+$/.test(sec ?? '')) return undefined;
  const base = Number(sec) * 1e6;
  if (frac.length <= 6) return base + Number(frac || '0') * 10 ** (6 - frac.length);
  if (frac.length === 9) return base + Math.floor(Number(frac) / 1000);
  return undefined;
}

function runCapinfos(files: string[]): Map<string, Expected> {
  // -T -r: one tab-separated row per file, no header; -c count, -d data size, -a/-e earliest
  // and latest time, -S as seconds since the epoch; -M exact numbers.
  const r = spawnSync('capinfos', ['-T', '-r', '-c', '-d', '-a', '-e', '-S', '-M', ...files], {
    cwd: CORPUS,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    throw new Error(
      `capinfos is required for the corpus test (Debian: apt-get install wireshark-common): ${r.error.message}`,
    );
  }
  const out = new Map<string, Expected>();
  for (const line of r.stdout.split('\n')) {
    const [file, count, size, earliest, latest] = line.split('\t');
    if (!file || count === undefined) continue;
    out.set(file, {
      count: Number(count),
      dataSize: Number(size),
      earliest: capinfosUs(earliest),
      latest: capinfosUs(latest),
    });
  }
  return out;
}

/** Counts frames, wire bytes, time range and a digest of every frame's bytes and fields. */
class Tally implements FrameSink {
  count = 0;
  wire = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  hash = 0x811c9dc5;
  frame(data: Uint8Array, offset: number, caplen: number, wireLen: number, tsUs: number, linkType: number): void {
    this.count++;
    this.wire += wireLen;
    if (tsUs < this.min) this.min = tsUs;
    if (tsUs > this.max) this.max = tsUs;
    let h = this.hash;
    h = Math.imul(h ^ caplen, 0x01000193);
    h = Math.imul(h ^ wireLen, 0x01000193);
    h = Math.imul(h ^ (tsUs % 0x7fffffff), 0x01000193);
    h = Math.imul(h ^ linkType, 0x01000193);
    for (let i = offset; i < offset + caplen; i++) h = Math.imul(h ^ (data[i] as number), 0x01000193);
    this.hash = h;
  }
}

describe('capture readers on the real corpus', () => {
  const files = DIRS.flatMap((d) =>
    (existsSync(join(CORPUS, d)) ? readdirSync(join(CORPUS, d)) : [])
      .filter((f) => /\.(pcap|pcapng|cap)$/.test(f))
      .sort()
      .map((f) => `${d}/${f}`),
  );

  test('file list', () => {
    assert.ok(existsSync(CORPUS), `no corpus at ${CORPUS} (set SONDA_CORPUS)`);
    assert.ok(files.length > 1000, `${files.length} files`);
  });

  test('frames, wire bytes and time range match capinfos; no throw anywhere', async () => {
    const expected = runCapinfos(files);
    assert.ok(expected.size > 1000, `capinfos read ${expected.size} files`);
    const failures: string[] = [];
    let rejectedByCapinfos = 0;
    for (const f of files) {
      const t = new Tally();
      const warnings: CaptureWarning[] = [];
      try {
        await readCapture(join(CORPUS, f), t, { onWarning: (w) => warnings.push(w) });
      } catch (e) {
        failures.push(`${f}: threw ${(e as Error).message}`);
        continue;
      }
      const e = expected.get(f);
      if (e === undefined) {
        rejectedByCapinfos++;
        continue;
      }
      if (t.count !== e.count) {
        failures.push(`${f}: ${t.count} frames, capinfos ${e.count} (${warnings.map((w) => w.kind)})`);
        continue;
      }
      const x = EXCEPTIONS[f] ?? {};
      if (t.wire !== e.dataSize && !x.wire) failures.push(`${f}: ${t.wire} wire bytes, capinfos ${e.dataSize}`);
      if (t.count > 0 && !x.time) {
        if (e.earliest !== undefined && t.min !== e.earliest)
          failures.push(`${f}: earliest ${t.min}, capinfos ${e.earliest}`);
        if (e.latest !== undefined && t.max !== e.latest) failures.push(`${f}: latest ${t.max}, capinfos ${e.latest}`);
      }
    }
    assert.deepEqual(failures, []);
    // The files capinfos rejects are the ones with link types Wireshark does not know.
    assert.ok(rejectedByCapinfos < 30, `${rejectedByCapinfos} files rejected by capinfos`);
  });

  test('same frames and warnings whatever the chunking (random chunk sizes)', () => {
    let seed = 1;
    for (const f of files) {
      const data = readFileSync(join(CORPUS, f));
      const whole = digest(data, [data]);
      const chunks = randomChunks(data, seed++, 1 + (seed % 3 === 0 ? 7 : 3000));
      assert.deepEqual(digest(data, chunks), whole, f);
    }
  });
});

/** Runs the right parser over `chunks` and sums up what came out. */
function digest(data: Uint8Array, chunks: Uint8Array[]): string {
  const t = new Tally();
  const warnings: string[] = [];
  const warn = (w: CaptureWarning): void => {
    warnings.push(`${w.kind}@${w.offset}`);
  };
  const p = data[0] === 0x0a ? new PcapngParser(t, warn) : new PcapParser(t, warn);
  for (const c of chunks) if (!p.push(c)) break;
  p.end();
  return `${t.count} ${t.wire} ${t.min} ${t.max} ${t.hash} ${warnings.join(',')}`;
}
