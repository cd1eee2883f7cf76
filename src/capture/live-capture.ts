/**
 * Live capture from a network interface. A `tcpdump` subprocess does the capturing (libpcap,
 * kernel filter, ring buffer) and writes a pcap stream on its standard output; Sonda's own pcap
 * reader parses that stream, so a live frame takes exactly the path a file's frame takes.
 * docs/live-capture.md says why (what was measured, what it costs).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SondaError } from '../errors.js';
import type { CaptureWarning, FrameSink } from './frame.js';
import { readCapture } from './read-capture.js';

/** Options of {@link LiveCapture.start}. */
export interface LiveCaptureOptions {
  /** Interface name (`eth0`, `lo`, `any` …). */
  interface: string;
  /**
   * Capture filter in tcpdump (pcap-filter) syntax, compiled by libpcap and run in the kernel:
   * packets it rejects never reach Sonda. Empty or absent: every packet.
   */
  filter?: string;
  /** Bytes kept of each packet (1 … 262144; default 262144, whole packets). */
  snaplen?: number;
  /** Promiscuous mode (default true); false captures only traffic addressed to this host. */
  promiscuous?: boolean;
  /** Stop after this many seconds (from the moment the capture is listening). */
  durationS?: number;
  /** Stop after this many packets (counted by tcpdump, after the filter). */
  count?: number;
  /**
   * Kernel capture buffer in KiB (tcpdump `-B`; default 65536, 64 MiB). In immediate mode
   * libpcap's ring has one fixed slot per packet, as large as the biggest packet the interface
   * can hand over (about 64 KiB on loopback and on NICs with receive offload), so libpcap's
   * own default of 2 MiB holds about 30 packets: docs/live-capture.md has the measurements.
   */
  bufferKiB?: number;
  /**
   * Immediate mode (default true): each packet is handed over as it arrives (latency under a
   * millisecond) and nothing is lost when the capture stops. False: libpcap's block mode,
   * about a quarter of the CPU (tcpdump and Sonda) at high rates and packets packed densely in
   * the buffer, but packets wait up to a second, and those in the last, unfinished block are
   * lost at `stop()`.
   */
  immediate?: boolean;
  /** The tcpdump program (default `tcpdump`, looked up on PATH). */
  tcpdump?: string;
  /** Problems of the pcap stream (should not happen: tcpdump writes it). */
  onWarning?: (w: CaptureWarning) => void;
  /** Lines tcpdump prints on stderr that are neither statistics nor its start banner. */
  onMessage?: (line: string) => void;
}

/** Counters of a live capture; a figure not known (yet) is undefined. */
export interface LiveCaptureStats {
  /** Packets tcpdump wrote to Sonda (libpcap's "captured"), at its last report. */
  captured?: number;
  /** Packets the kernel filter accepted (libpcap `ps_recv`; drops included). */
  received?: number;
  /** Packets the kernel dropped because the capture buffer was full (libpcap `ps_drop`). */
  kernelDrops?: number;
  /**
   * Packets the interface dropped since the capture started: the change of
   * `/sys/class/net/IF/statistics/rx_dropped` (undefined for `any` or without sysfs).
   */
  interfaceDrops?: number;
}

/** How a capture ended. */
export interface LiveCaptureResult extends LiveCaptureStats {
  /** `stop` (asked, or `durationS` reached), `count` (tcpdump stopped at `count`), `exit` (tcpdump ended by itself). */
  endedBy: 'stop' | 'count' | 'exit';
  /** tcpdump's complaint when it ended abnormally (interface gone, killed …); flows up to there were delivered. */
  error?: string;
}

/** The kernel filter accepts everything: `tcpdump` without an expression. */
const MAX_SNAPLEN = 262144;
const DEFAULT_BUFFER_KIB = 64 * 1024;
/** How long `stop()` waits for tcpdump to flush and exit after SIGINT before insisting. */
const STOP_GRACE_MS = 3000;
const STATS_RE = /(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)/g;

type Tcpdump = ChildProcessByStdio<null, Readable, Readable>;

/**
 * A running capture. Frames go to the sink (synchronously, as the pcap stream is parsed) from
 * the moment {@link LiveCapture.start} resolves until {@link LiveCapture.done} settles.
 *
 * @example
 * ```ts
 * const engine = new Engine();
 * const cap = await LiveCapture.start({ interface: 'eth0', filter: 'tcp port 443' }, engine);
 * process.once('SIGINT', () => void cap.stop());
 * const result = await cap.done;
 * engine.finish();
 * ```
 */
export class LiveCapture {
  /**
   * Settles when the capture is over and every frame tcpdump wrote has been delivered: after
   * `stop()`, at `durationS` or `count`, or when tcpdump ends by itself. Rejects only when the
   * pcap stream cannot be read at all.
   */
  readonly done: Promise<LiveCaptureResult>;
  private readonly counters: LiveCaptureStats = {};
  private readonly statsWaiters: Array<() => void> = [];
  private stopRequested = false;
  private exited = false;
  private durationTimer: NodeJS.Timeout | undefined;
  private readonly onProcessExit = (): void => {
    this.child.kill('SIGKILL');
  };

  private constructor(
    private readonly child: Tcpdump,
    private readonly options: LiveCaptureOptions,
    private readonly rxDropped0: number | undefined,
    private readonly lines: LineReader,
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    sink: FrameSink,
  ) {
    lines.onLine = (line) => this.stderrLine(line);
    // kill() on a process that is already gone reports an 'error': nothing to do about it.
    child.on('error', () => undefined);
    // A crashed or exiting Node must not leave tcpdump running (it would only notice at its next write).
    process.once('exit', this.onProcessExit);
    const read = readCapture(child.stdout, sink, { name: `tcpdump on ${options.interface}`, onWarning: options.onWarning });
    read.catch(() => child.kill('SIGTERM'));
    this.done = Promise.all([read, exit]).then(
      async ([, { code, signal }]) => {
        this.finished();
        await this.readInterfaceDrops();
        const result: LiveCaptureResult = { ...this.counters, endedBy: this.stopRequested ? 'stop' : 'exit' };
        if (!this.stopRequested && code === 0 && options.count !== undefined) result.endedBy = 'count';
        // SIGINT is how we stop it; anything else is tcpdump's own failure, worth saying.
        const clean = code === 0 || (this.stopRequested && (signal === 'SIGINT' || signal === 'SIGTERM'));
        if (!clean) result.error = lines.last() ?? `tcpdump ended (${signal ?? `exit code ${code}`})`;
        return result;
      },
      (e: unknown) => {
        this.finished();
        throw e;
      },
    );
    if (options.durationS !== undefined) this.durationTimer = setTimeout(() => void this.stop(), options.durationS * 1000);
  }

  /**
   * Starts tcpdump and resolves once it is listening (the kernel filter is in place: traffic
   * sent from then on is captured).
   *
   * @throws SondaError `SONDA_E_CAPTURE` — tcpdump missing, no such interface, no permission,
   *   interface down …; `SONDA_E_BAD_FILTER` — tcpdump rejected the filter; `SONDA_E_BAD_OPTION`
   *   — an option out of range. The message includes tcpdump's own words.
   */
  static async start(options: LiveCaptureOptions, sink: FrameSink): Promise<LiveCapture> {
    const args = tcpdumpArgs(options);
    const iface = options.interface;
    const rxDropped0 = await readRxDropped(iface);
    const program = options.tcpdump ?? 'tcpdump';
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = new LineReader(child.stderr);
    // 'close' comes once stdout and stderr are read to their end too: the end of everything.
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    // Listening, or the reason it is not: the first of the banner, a spawn error and an exit.
    const ready = await new Promise<{ ok: true } | { ok: false; error: SondaError }>((resolve) => {
      lines.onLine = (line) => {
        if (line.startsWith('listening on ') || line.includes(': listening on ')) resolve({ ok: true });
        else if (!isBanner(line)) lines.keep(line);
      };
      child.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? 'not found (on Debian: apt-get install tcpdump)' : e.message;
        resolve({ ok: false, error: new SondaError('SONDA_E_CAPTURE', `live capture needs tcpdump: ${program}: ${why}`) });
      });
      // Before listening nobody reads stdout, so 'close' would wait: 'exit', then the last of stderr.
      child.once('exit', (code, signal) => {
        lines.ended.then(() => resolve({ ok: false, error: startError(options, lines.kept(), code, signal) }));
      });
    });
    if (!ready.ok) {
      child.stdout.destroy();
      throw ready.error;
    }
    return new LiveCapture(child, options, rxDropped0, lines, closed, sink);
  }

  /** The counters as last reported (see {@link LiveCapture.refreshStats}). */
  stats(): LiveCaptureStats {
    return { ...this.counters };
  }

  /**
   * Asks tcpdump for its counters (SIGUSR1: it prints them on stderr) and reads the interface's
   * drop counter; resolves with fresh figures, or the last known ones after `timeoutMs`.
   */
  async refreshStats(timeoutMs = 1000): Promise<LiveCaptureStats> {
    // Not while it stops: tcpdump would answer from a closed handle (`pcap_stats: … Bad file
    // descriptor`), and its exit report comes anyway.
    if (!this.exited && !this.stopRequested) {
      const reported = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.statsWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.child.kill('SIGUSR1');
      await reported;
    }
    await this.readInterfaceDrops();
    return this.stats();
  }

  /**
   * Ends the capture cleanly: SIGINT makes tcpdump flush what it holds, print its counters and
   * exit; resolves (as {@link LiveCapture.done}) once every frame has been delivered. If tcpdump
   * has not exited after a few seconds it is terminated. Safe to call more than once.
   */
  stop(): Promise<LiveCaptureResult> {
    if (!this.stopRequested && !this.exited) {
      this.stopRequested = true;
      this.child.kill('SIGINT');
      const insist = setTimeout(() => {
        this.child.kill('SIGTERM');
        setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }, STOP_GRACE_MS);
      insist.unref();
      this.done.finally(() => clearTimeout(insist)).catch(() => undefined);
    }
    return this.done;
  }

  /** Ends the capture at once (SIGKILL): frames tcpdump had not written yet are lost. */
  kill(): Promise<LiveCaptureResult> {
    this.stopRequested = true;
    if (!this.exited) this.child.kill('SIGKILL');
    return this.done;
  }

  private finished(): void {
    this.exited = true;
    clearTimeout(this.durationTimer);
    process.off('exit', this.onProcessExit);
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    for (const w of this.statsWaiters.splice(0)) w();
  }

  /**
   * tcpdump's counters: on SIGUSR1 one line (`tcpdump: 10 packets captured, 20 packets received
   * by filter, 0 packets dropped by kernel`), at exit one line per counter.
   */
  private stderrLine(line: string): void {
    let matched = false;
    for (const m of line.matchAll(STATS_RE)) {
      matched = true;
      const n = Number(m[1]);
      const what = m[2];
      if (what === 'captured') this.counters.captured = n;
      else if (what === 'received by filter') this.counters.received = n;
      else if (what === 'dropped by kernel') this.counters.kernelDrops = n;
    }
    if (matched) {
      if (line.includes('dropped by kernel')) this.releaseWaiters();
      return;
    }
    if (isBanner(line)) return;
    this.lines.keep(line);
    this.options.onMessage?.(line.replace(/^tcpdump: /, ''));
  }

  private async readInterfaceDrops(): Promise<void> {
    if (this.rxDropped0 === undefined) return;
    const now = await readRxDropped(this.options.interface);
    if (now !== undefined) this.counters.interfaceDrops = Math.max(0, now - this.rxDropped0);
  }
}

/** The tcpdump command line for the options (exported for tests and for the docs). */
export function tcpdumpArgs(o: LiveCaptureOptions): string[] {
  if (typeof o.interface !== 'string' || o.interface.length === 0) throw new SondaError('SONDA_E_BAD_OPTION', 'live capture: an interface name is needed');
  const snaplen = o.snaplen ?? MAX_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_SNAPLEN) throw new SondaError('SONDA_E_BAD_OPTION', `snaplen must be an integer from 1 to ${MAX_SNAPLEN}`);
  // -U: each packet is written out as soon as tcpdump has it; --immediate-mode: the kernel
  // hands each packet over as it comes, not in blocks; -w - : raw pcap on stdout, which
  // Sonda's reader parses.
  const args = ['-i', o.interface, '-U', '-w', '-'];
  if (o.immediate !== false) args.push('--immediate-mode');
  args.push('-s', String(snaplen));
  if (o.promiscuous === false) args.push('-p');
  const buffer = o.bufferKiB ?? DEFAULT_BUFFER_KIB;
  if (!Number.isInteger(buffer) || buffer <= 0) throw new SondaError('SONDA_E_BAD_OPTION', 'capture buffer size must be a positive integer (KiB)');
  args.push('-B', String(buffer));
  if (o.count !== undefined) {
    if (!Number.isInteger(o.count) || o.count <= 0) throw new SondaError('SONDA_E_BAD_OPTION', 'packet count must be a positive integer');
    args.push('-c', String(o.count));
  }
  if (o.durationS !== undefined && !(o.durationS > 0 && Number.isFinite(o.durationS))) throw new SondaError('SONDA_E_BAD_OPTION', 'duration must be a positive number of seconds');
  // After `--` the filter is never taken for an option, whatever it starts with.
  const filter = o.filter?.trim();
  if (filter) args.push('--', filter);
  return args;
}

/** tcpdump's start-up chatter, not worth repeating. */
function isBanner(line: string): boolean {
  return line.includes('listening on ') || line.includes('verbose output suppressed') || line.trim().length === 0;
}

/** Why tcpdump quit before listening, as a SondaError with its own words. */
function startError(o: LiveCaptureOptions, said: string[], code: number | null, signal: NodeJS.Signals | null): SondaError {
  const words = said.map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('('));
  const quoted = words.length > 0 ? ` (${words.join('; ')})` : ` (tcpdump ${signal ? `killed by ${signal}` : `exit code ${code}`}, no message)`;
  const text = said.join('\n');
  const iface = o.interface;
  if (/no such device|doesn't exist|no such interface/i.test(text)) {
    const known = interfaceNames();
    const list = known.length > 0 ? `; interfaces here: ${known.join(', ')}` : '';
    return new SondaError('SONDA_E_CAPTURE', `${iface}: no such interface${quoted}${list}`);
  }
  if (/permission|not permitted/i.test(text)) {
    return new SondaError('SONDA_E_CAPTURE', `${iface}: no permission to capture${quoted}; run as root or give tcpdump the capabilities cap_net_raw,cap_net_admin`);
  }
  if (o.filter?.trim() && /syntax error|unknown|filter|expression|illegal|invalid|parse error/i.test(text)) {
    return new SondaError('SONDA_E_BAD_FILTER', `capture filter "${o.filter.trim()}" rejected${quoted}`);
  }
  return new SondaError('SONDA_E_CAPTURE', `capture on ${iface} failed${quoted}`);
}

function interfaceNames(): string[] {
  try {
    return readdirSync('/sys/class/net').sort();
  } catch {
    return [];
  }
}

/** The interface's rx_dropped counter, undefined where there is none (`any`, no sysfs). */
async function readRxDropped(iface: string): Promise<number | undefined> {
  if (iface.includes('/') || iface.startsWith('.')) return undefined;
  try {
    const n = Number((await readFile(`/sys/class/net/${iface}/statistics/rx_dropped`, 'utf8')).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a stream into lines (tcpdump writes a line in several pieces at times). */
class LineReader {
  onLine: (line: string) => void = () => undefined;
  /** Resolves when the stream has ended (every line delivered) or failed. */
  readonly ended: Promise<void>;
  private rest = '';
  private readonly saved: string[] = [];

  constructor(stream: Readable) {
    this.ended = new Promise((resolve) => {
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      const parts = (this.rest + s).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) this.onLine(p);
    });
    stream.on('end', () => {
      if (this.rest.length > 0) this.onLine(this.rest);
      this.rest = '';
    });
  }

  /** Keeps a line for an error message (the last few). */
  keep(line: string): void {
    this.saved.push(line);
    if (this.saved.length > 8) this.saved.shift();
  }

  kept(): string[] {
    return this.saved;
  }

  last(): string | undefined {
    return this.saved.at(-1)?.replace(/^tcpdump: /, '');
  }
}
