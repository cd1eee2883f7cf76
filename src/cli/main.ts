import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { readCapture } from '../capture/read-capture.js';
import { LiveCapture, type LiveCaptureResult } from '../capture/live-capture.js';
import { processConsumer } from '../capture/process-consumer.js';
import type { CaptureWarning } from '../capture/frame.js';
import type { Consumer } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import type { ParallelEngine } from '../engine/parallel/parallel-engine.js';
import { DEFAULT_FLOW_OPTIONS } from '../flow/flow-tracker.js';
import { SondaError } from '../errors.js';
import { NdjsonSink } from '../export/ndjson-sink.js';
import type { FlowRecord } from '../flow/record.js';
import { FlowJsonEncoder } from '../export/flow-json-encoder.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import { FlowTableWriter } from './flow-table-output.js';
import { ProgressBar } from './progress.js';
import { summaryText } from './summary.js';
import { formatCount } from './format.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stderrIsTty: boolean;
  /**
   * File descriptor of standard output, when `stdout` writes to the process's own: NDJSON is
   * then formatted and written by a worker thread, off the packet path.
   */
  stdoutFd?: number;
}

const processIo: CliIo = {
  stdoutFd: 1,
  stdout: (s) => {
    process.stdout.write(s);
  },
  stderr: (s) => {
    process.stderr.write(s);
  },
  stderrIsTty: process.stderr.isTTY === true,
};

interface FlowsCommandOptions {
  read?: string;
  interface?: string;
  snaplen?: number;
  promisc: boolean;
  duration?: number;
  count?: number;
  statsInterval?: number;
  process: boolean;
  bufferSize?: number;
  immediate: boolean;
  json?: boolean;
  idleTimeout: number;
  activeTimeout: number;
  tcpCloseTimeout: number;
  maxFlows: number;
  parsers: string;
  ja4: 'foxio' | 'ndpi';
  classify: boolean;
  protos: string[];
  plugin: string[];
  events?: boolean;
  summary: boolean;
  summaryJson?: boolean;
  progress: boolean;
  workers?: number;
}

/**
 * Flow timeouts for live capture when the user sets none (files keep DEFAULT_FLOW_OPTIONS):
 * records should come while the traffic is fresh. Idle 120 s (one timeout for TCP and UDP: the
 * tracker has one), active 30 min (NetFlow's customary active timeout: a long connection
 * reports every half hour), TCP close linger 15 s. docs/live-capture.md.
 */
const LIVE_FLOW_DEFAULTS = { idleTimeout: 120, activeTimeout: 1800, tcpCloseTimeout: 15 } as const;

/** Files larger than this get a progress bar (when stderr is a terminal). */
const PROGRESS_MIN_BYTES = 64 << 20;
/** NDJSON is written in blocks of about this many characters. */
const OUTPUT_BLOCK = 1 << 16;

function positiveNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function nonNegativeNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0`);
    return n;
  };
}

function positiveInteger(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

function ja4Form(v: string): 'foxio' | 'ndpi' {
  if (v !== 'foxio' && v !== 'ndpi') throw new InvalidArgumentError("--ja4 must be 'foxio' or 'ndpi'");
  return v;
}

/**
 * Runs the `sonda` command line. Returns the exit code: 0 on success (also when the capture
 * ended with a truncated or corrupt record: flows up to there are printed with a warning), 2
 * on a usage or input error (one line on stderr, no stack trace), 1 on an internal error.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('sonda')
    .description('Programmable network traffic monitoring and deep packet inspection')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('protocols')
    .description('list the protocols and applications Sonda names, with their categories')
    .option('--protos <file>', 'also list the applications of this protocol file; repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--plugin <file>', "also list a plugin's own applications; repeatable", (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'one JSON object per line')
    .action(async (opts: { protos: string[]; plugin: string[]; json?: boolean }) => {
      const { protocolsListing } = await import('./protocols-command.js');
      const extras = opts.plugin.length > 0 ? (await (await import('./plugins-run.js')).pluginHost(opts.plugin)).classifierExtras : undefined;
      io.stdout(protocolsListing(opts.protos, opts.json === true, extras));
    });

  program
    .command('run')
    .description('run plugins over a capture (or live): sonda run PLUGIN.ts... --read FILE [options of flows] [filter]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      // Plugin files are the arguments that name script files; the rest are `flows` arguments.
      const isPlugin = (a: string) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(a) && !a.startsWith('-');
      const plugins = args.filter(isPlugin);
      if (plugins.length === 0) throw new SondaError('SONDA_E_BAD_OPTION', 'run: name at least one plugin file (.ts or .js)');
      const rest = args.filter((a) => !isPlugin(a));
      exitCode = await main(['flows', '--json', ...plugins.flatMap((p) => ['--plugin', p]), ...rest], io);
    });

  program
    .command('flows')
    .description('read a capture (or capture live) and print one record per bidirectional flow')
    .argument('[filter...]', '(a capture file may come first instead of --read) filter in tcpdump syntax (e.g. tcp port 443): with --read applied by Sonda, with --interface run by tcpdump in the kernel')
    .option('-r, --read <file>', "capture file (pcap or pcapng, optionally gzip-compressed); '-' reads standard input")
    .option('-i, --interface <name>', 'capture live from this interface (through tcpdump, which must be installed); Ctrl-C stops')
    .option('--snaplen <bytes>', 'live: bytes kept of each packet (default 262144)', positiveInteger('--snaplen'))
    .option('--no-promisc', 'live: no promiscuous mode (only traffic to and from this host)')
    .option('--duration <seconds>', 'live: stop after this long', positiveNumber('--duration'))
    .option('--count <n>', 'live: stop after this many packets', positiveInteger('--count'))
    .option('--stats-interval <seconds>', 'live: print packets, rate, flows and drops on stderr this often', positiveNumber('--stats-interval'))
    .option('--no-process', "live: do not name the local process owning each flow's socket (the record's process)")
    .option('--buffer-size <MiB>', 'live: kernel capture buffer (default 64)', positiveInteger('--buffer-size'))
    .option('--no-immediate', 'live: let the kernel batch packets: less CPU at high rates, but up to 1 s of delay and the last batch lost at stop')
    .option('--json', 'print NDJSON flow records (../shared/spec/flow-record.md) instead of a table')
    .option('--idle-timeout <seconds>', 'end a flow after this long without packets', positiveNumber('--idle-timeout'), DEFAULT_FLOW_OPTIONS.idleTimeout)
    .option('--active-timeout <seconds>', 'end (and restart) a flow that has lasted this long; 0 = never', nonNegativeNumber('--active-timeout'), DEFAULT_FLOW_OPTIONS.activeTimeout)
    .option('--tcp-close-timeout <seconds>', 'how long a TCP flow closed by FIN/RST waits for stray packets', positiveNumber('--tcp-close-timeout'), DEFAULT_FLOW_OPTIONS.tcpCloseTimeout)
    .option('--max-flows <n>', 'flows held at once; the least recently seen is ended beyond it', positiveInteger('--max-flows'), DEFAULT_FLOW_OPTIONS.maxFlows)
    .option('--parsers <list>', "application parsers that fill the record's host/dns/http/tls fields: 'all', 'none' or names (dns,http,tls)", 'all')
    .option('--ja4 <form>', "tls.ja4 as its specification ('foxio') or as ndpiReader writes it ('ndpi': d unless the SNI is an address, ALPN's first two characters)", ja4Form, 'foxio')
    .option('--no-classify', "do not name flows' applications (the record's app and risks)")
    .option('--protos <file>', 'a protocol file with your own applications (host names, networks, ports); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--plugin <file>', 'load a plugin module (TypeScript or JavaScript, see docs/plugins.md); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--events', 'with --json: also print transaction events (type http, dns, tls, ssh, dhcp, ntp), each before its flow')
    .option('--no-summary', 'do not print the summary on stderr')
    .option('--summary-json', 'print the summary on stderr as one JSON object')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--workers <n>', 'with --read: threads that decode and follow flows, 1 = this thread only (default: one per core for captures of 64 MiB or more)', positiveInteger('--workers'))
    .action(async (filter: string[], opts: FlowsCommandOptions, cmd: Command) => {
      // `sonda flows FILE [filter]`: a first word that names a file is the capture.
      if (opts.read === undefined && opts.interface === undefined && filter.length > 0 && (filter[0] === '-' || existsSync(filter[0]!))) opts.read = filter.shift();
      if ((opts.read === undefined) === (opts.interface === undefined)) throw new SondaError('SONDA_E_BAD_OPTION', 'flows: give either --read <file> or --interface <name>');
      if (opts.interface !== undefined) {
        for (const k of ['idleTimeout', 'activeTimeout', 'tcpCloseTimeout'] as const) if (cmd.getOptionValueSource(k) === 'default') opts[k] = LIVE_FLOW_DEFAULTS[k];
      }
      exitCode = await runFlows(opts, io, filter);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof SondaError) {
      io.stderr(`sonda: ${e.message}\n`);
      return 2;
    }
    io.stderr(`sonda: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.SONDA_DEBUG && e instanceof Error) io.stderr(`${e.stack}\n`);
    return 1;
  }
  return exitCode;
}

async function runFlows(opts: FlowsCommandOptions, io: CliIo, filter: string[] = []): Promise<number> {
  const started = process.hrtime.bigint();
  // Compiled first, so that a syntax error (printed with a caret) comes before any other work.
  const packetFilter = opts.read !== undefined && filter.length > 0 ? (await import('../filter/index.js')).compileFilter(filter.join(' ')) : undefined;
  // Files spread their flows over worker threads (engine/parallel), started first so that they
  // load while this thread checks the options; plugins run in this thread.
  const par = opts.read !== undefined && opts.plugin.length === 0 ? await flowsInWorkers(opts, filter, io) : null;
  let consumers: Consumer[] = [];
  try {
    // Loaded only when used: the parsers (and node:crypto, zlib) cost start-up time.
    if (opts.parsers !== 'none') consumers = (await import('../protocols/index.js')).selectParsers(opts.parsers, { ja4: opts.ja4 });
  } catch (e) {
    throw new SondaError('SONDA_E_BAD_OPTION', `--parsers: ${(e as Error).message}`);
  }
  // Sockets are this host's only when capturing live; asked first, at the flow's first packet.
  if (opts.interface !== undefined && opts.process) consumers.unshift(processConsumer());
  const plugins = opts.plugin.length > 0 ? await import('./plugins-run.js') : null;
  const host = plugins ? await plugins.pluginHost(opts.plugin) : null;
  // The classifier reads the names the parsers found, so it comes after them; plugins may add
  // their own applications to it.
  if (opts.classify) consumers.push((await import('../classify/index.js')).classifierConsumer({ protos: opts.protos, ...host?.classifierExtras }));
  if (host) consumers.push(...host.consumers);
  const engine = new Engine({
    flows: { idleTimeout: opts.idleTimeout, activeTimeout: opts.activeTimeout, tcpCloseTimeout: opts.tcpCloseTimeout, maxFlows: opts.maxFlows },
    consumers,
    filter: packetFilter,
  });
  let printed = 0;
  const table = opts.json ? null : new FlowTableWriter(io.stdout);
  // The process's own stdout gets NDJSON from a worker; an embedding caller's io, in-thread.
  if (opts.events && !opts.json) throw new SondaError('SONDA_E_BAD_OPTION', '--events needs --json');
  if (host) {
    if (!opts.json) throw new SondaError('SONDA_E_BAD_OPTION', 'plugins need --json (alerts and tagged records are NDJSON)');
    host.attach(engine);
  }
  const sink = !par && opts.json && io.stdoutFd !== undefined ? new NdjsonSink(engine, io.stdoutFd, opts.events === true) : null;
  const encoder = !par && opts.json && !sink ? new FlowJsonEncoder() : null;
  const text = new TextDecoder();
  const flushOut = (): void => {
    if (encoder && encoder.pos > 0) io.stdout(text.decode(encoder.take()));
  };
  if (par && table) par.on('flow', (rec) => table.add(rec));
  else if (par) par.on('ndjson', (bytes) => io.stdout(text.decode(bytes)));
  else if (table) {
    engine.on('flow', (rec: FlowRecord) => {
      printed++;
      table.add(rec);
    });
  } else if (encoder) {
    if (opts.events) engine.on('event', (ev) => {
      flushOut();
      io.stdout(`${JSON.stringify(ev)}\n`);
    });
    const row = new Float64Array(SNAPSHOT_FIELDS);
    engine.on('flow-row', (t, f, reason, fields) => {
      printed++;
      snapshotFlow(t, f, reason, row, 0);
      encoder.encode(row, 0, fields);
      if (encoder.pos >= OUTPUT_BLOCK) flushOut();
    });
  }

  host?.onAlert((alert) => {
    if (sink) sink.line(JSON.stringify(alert));
    else {
      flushOut();
      io.stdout(`${JSON.stringify(alert)}\n`);
    }
  });

  let progress: ProgressBar | null = null;
  if (opts.progress && io.stderrIsTty && opts.read !== undefined && opts.read !== '-') {
    try {
      const size = statSync(opts.read).size;
      if (size >= PROGRESS_MIN_BYTES) progress = new ProgressBar(io.stderr, size);
    } catch {
      // readCapture reports a missing or unreadable file with the proper message.
    }
  }
  const onWarning = (w: CaptureWarning): void => {
    progress?.clear();
    io.stderr(`sonda: warning: ${opts.read === '-' ? 'standard input' : (opts.read ?? opts.interface)}: ${w.message} (at byte ${w.offset}); flows up to there are reported\n`);
  };
  let live: LiveCaptureResult | undefined;
  try {
    if (opts.interface !== undefined) live = await captureLive(opts, filter, engine, io, onWarning);
    else if (opts.read !== undefined) {
      await readCapture(opts.read, par ?? engine, {
        onWarning,
        onProgress: progress ? (done) => progress?.update(done) : undefined,
      });
    }
  } catch (e) {
    // The writer thread would keep the process alive past the error message.
    await sink?.abort();
    throw e;
  }
  progress?.clear();
  engine.finish();
  const parallelSummary = par ? await par.finish() : null;
  host?.finish();
  flushOut();
  table?.end();
  if (par) {
    printed = par.flows;
    if (par.outputError && par.outputError !== 'EPIPE') throw new Error(`writing flow records: ${par.outputError}`);
  }
  if (sink) {
    printed = sink.flows;
    const error = await sink.close();
    // EPIPE: the reader of our output went away (`| head`); that ends the run quietly.
    if (error && error !== 'EPIPE') throw new Error(`writing flow records: ${error}`);
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = { ...(parallelSummary ?? engine.summary()), ...(host ? { plugins: host.stats() } : {}) };
  const capture = live ? { interface: opts.interface, ...live } : undefined;
  if (opts.summaryJson) io.stderr(`${JSON.stringify({ type: 'summary', flows_printed: printed, wall_seconds: wall, ...summary, ...(capture ? { capture } : {}) })}\n`);
  else if (opts.summary) io.stderr(summaryText(summary, printed, wall) + (live ? `  ${liveText(opts.interface, live)}\n` : '') + (plugins && host ? plugins.pluginSummaryText(host) : ''));
  if (live?.error) io.stderr(`sonda: warning: capture on ${opts.interface} ended: ${live.error}\n`);
  return 0;
}

/**
 * The engine over worker threads for `--read` (`--workers`, by default one per core for big
 * files), or null to run in this thread. NDJSON goes from the workers to standard output.
 */
async function flowsInWorkers(opts: FlowsCommandOptions, filter: string[], io: CliIo): Promise<ParallelEngine | null> {
  const { defaultWorkerCount, ParallelEngine } = await import('../engine/parallel/parallel-engine.js');
  const workers = opts.workers ?? defaultWorkerCount(opts.read);
  if (workers <= 1) return null;
  return new ParallelEngine({
    workers,
    engine: { flows: { idleTimeout: opts.idleTimeout, activeTimeout: opts.activeTimeout, tcpCloseTimeout: opts.tcpCloseTimeout, maxFlows: opts.maxFlows } },
    parsers: opts.parsers,
    ja4: opts.ja4,
    classify: opts.classify ? { protos: opts.protos } : undefined,
    filter: filter.length > 0 ? filter.join(' ') : undefined,
    events: opts.events === true,
    output: !opts.json ? 'records' : io.stdoutFd !== undefined ? 'fd' : 'ndjson',
    fd: io.stdoutFd,
  });
}

/** "capture on lo: 1,234 received by filter, 0 dropped by kernel, 0 dropped by interface" */
function liveText(iface: string | undefined, s: LiveCaptureResult): string {
  const n = (v: number | undefined): string => (v === undefined ? '?' : formatCount(v));
  return `capture on ${iface}: ${n(s.received)} received by filter, ${n(s.kernelDrops)} dropped by kernel, ${n(s.interfaceDrops)} dropped by interface`;
}

/**
 * Live capture into the engine until --duration, --count, SIGINT or SIGTERM (a second signal
 * stops at once, dropping what tcpdump still holds). Meanwhile the flow clock follows the wall
 * clock, so idle flows end on a quiet link too, and --stats-interval prints a line.
 */
async function captureLive(opts: FlowsCommandOptions, filter: string[], engine: Engine, io: CliIo, onWarning: (w: CaptureWarning) => void): Promise<LiveCaptureResult> {
  const cap = await LiveCapture.start(
    {
      interface: opts.interface ?? '',
      filter: filter.join(' '),
      snaplen: opts.snaplen,
      promiscuous: opts.promisc,
      durationS: opts.duration,
      count: opts.count,
      bufferKiB: opts.bufferSize === undefined ? undefined : opts.bufferSize * 1024,
      immediate: opts.immediate,
      onWarning,
      onMessage: (line) => io.stderr(`sonda: tcpdump: ${line}\n`),
    },
    engine,
  );
  // Like tcpdump's banner: from here on, traffic is captured.
  if (opts.summary) io.stderr(`sonda: capturing on ${opts.interface}${filter.length > 0 ? ` (${filter.join(' ')})` : ''}; Ctrl-C stops\n`);
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    void (signals === 1 ? cap.stop() : cap.kill());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const clock = setInterval(() => engine.advanceClock(Date.now() * 1000), 1000);
  let stats: NodeJS.Timeout | undefined;
  let over = false;
  if (opts.statsInterval !== undefined) {
    let last = { packets: 0, at: performance.now() };
    stats = setInterval(async () => {
      const s = await cap.refreshStats();
      if (over) return; // the summary has the final figures
      const sum = engine.summary();
      const now = performance.now();
      const pps = ((sum.packets - last.packets) * 1000) / Math.max(1, now - last.at);
      last = { packets: sum.packets, at: now };
      const n = (v: number | undefined): string => (v === undefined ? '?' : formatCount(v));
      io.stderr(`sonda: ${formatCount(sum.packets)} packets, ${formatCount(Math.round(pps))} packets/s, ${formatCount(sum.flows.created - sum.flows.ended)} flows open, ${formatCount(sum.flows.ended)} ended; dropped: ${n(s.kernelDrops)} by kernel, ${n(s.interfaceDrops)} by interface\n`);
    }, opts.statsInterval * 1000);
  }
  try {
    return await cap.done;
  } finally {
    over = true;
    clearInterval(clock);
    clearInterval(stats);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
