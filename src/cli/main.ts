import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { statSync } from 'node:fs';
import { readCapture } from '../capture/read-capture.js';
import type { CaptureWarning } from '../capture/frame.js';
import type { Consumer } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import { DEFAULT_FLOW_OPTIONS } from '../flow/flow-tracker.js';
import { SondaError } from '../errors.js';
import { NdjsonSink } from '../export/ndjson-sink.js';
import type { FlowRecord } from '../flow/record.js';
import { FlowJsonEncoder } from '../export/flow-json-encoder.js';
import { SNAPSHOT_FIELDS, snapshotFlow } from '../flow/flow-snapshot.js';
import { FlowTableWriter } from './flow-table-output.js';
import { ProgressBar } from './progress.js';
import { summaryText } from './summary.js';

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
  read: string;
  json?: boolean;
  idleTimeout: number;
  activeTimeout: number;
  tcpCloseTimeout: number;
  maxFlows: number;
  parsers: string;
  classify: boolean;
  protos: string[];
  events?: boolean;
  summary: boolean;
  summaryJson?: boolean;
  progress: boolean;
}

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
    .option('--json', 'one JSON object per line')
    .action(async (opts: { protos: string[]; json?: boolean }) => {
      const { protocolsListing } = await import('./protocols-command.js');
      io.stdout(protocolsListing(opts.protos, opts.json === true));
    });

  program
    .command('flows')
    .description('read a capture and print one record per bidirectional flow')
    .requiredOption('-r, --read <file>', "capture file (pcap or pcapng, optionally gzip-compressed); '-' reads standard input")
    .option('--json', 'print NDJSON flow records (../shared/spec/flow-record.md) instead of a table')
    .option('--idle-timeout <seconds>', 'end a flow after this long without packets', positiveNumber('--idle-timeout'), DEFAULT_FLOW_OPTIONS.idleTimeout)
    .option('--active-timeout <seconds>', 'end (and restart) a flow that has lasted this long; 0 = never', nonNegativeNumber('--active-timeout'), DEFAULT_FLOW_OPTIONS.activeTimeout)
    .option('--tcp-close-timeout <seconds>', 'how long a TCP flow closed by FIN/RST waits for stray packets', positiveNumber('--tcp-close-timeout'), DEFAULT_FLOW_OPTIONS.tcpCloseTimeout)
    .option('--max-flows <n>', 'flows held at once; the least recently seen is ended beyond it', positiveInteger('--max-flows'), DEFAULT_FLOW_OPTIONS.maxFlows)
    .option('--parsers <list>', "application parsers that fill the record's host/dns/http/tls fields: 'all', 'none' or names (dns,http,tls)", 'all')
    .option('--no-classify', "do not name flows' applications (the record's app and risks)")
    .option('--protos <file>', 'a protocol file with your own applications (host names, networks, ports); repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--events', 'with --json: also print transaction events (type http, dns, tls, ssh, dhcp, ntp), each before its flow')
    .option('--no-summary', 'do not print the summary on stderr')
    .option('--summary-json', 'print the summary on stderr as one JSON object')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action(async (opts: FlowsCommandOptions) => {
      exitCode = await runFlows(opts, io);
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

async function runFlows(opts: FlowsCommandOptions, io: CliIo): Promise<number> {
  const started = process.hrtime.bigint();
  let consumers: Consumer[] = [];
  try {
    // Loaded only when used: the parsers (and node:crypto, zlib) cost start-up time.
    if (opts.parsers !== 'none') consumers = (await import('../protocols/index.js')).selectParsers(opts.parsers);
  } catch (e) {
    throw new SondaError('SONDA_E_BAD_OPTION', `--parsers: ${(e as Error).message}`);
  }
  // The classifier reads the names the parsers found, so it comes after them.
  if (opts.classify) consumers.push((await import('../classify/index.js')).classifierConsumer({ protos: opts.protos }));
  const engine = new Engine({
    flows: { idleTimeout: opts.idleTimeout, activeTimeout: opts.activeTimeout, tcpCloseTimeout: opts.tcpCloseTimeout, maxFlows: opts.maxFlows },
    consumers,
  });
  let printed = 0;
  const table = opts.json ? null : new FlowTableWriter(io.stdout);
  // The process's own stdout gets NDJSON from a worker; an embedding caller's io, in-thread.
  if (opts.events && !opts.json) throw new SondaError('SONDA_E_BAD_OPTION', '--events needs --json');
  const sink = opts.json && io.stdoutFd !== undefined ? new NdjsonSink(engine, io.stdoutFd, opts.events === true) : null;
  const encoder = opts.json && !sink ? new FlowJsonEncoder() : null;
  const text = new TextDecoder();
  const flushOut = (): void => {
    if (encoder && encoder.pos > 0) io.stdout(text.decode(encoder.take()));
  };
  if (table) {
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

  let progress: ProgressBar | null = null;
  if (opts.progress && io.stderrIsTty && opts.read !== '-') {
    try {
      const size = statSync(opts.read).size;
      if (size >= PROGRESS_MIN_BYTES) progress = new ProgressBar(io.stderr, size);
    } catch {
      // readCapture reports a missing or unreadable file with the proper message.
    }
  }
  const onWarning = (w: CaptureWarning): void => {
    progress?.clear();
    io.stderr(`sonda: warning: ${opts.read === '-' ? 'standard input' : opts.read}: ${w.message} (at byte ${w.offset}); flows up to there are reported\n`);
  };
  await readCapture(opts.read, engine, {
    onWarning,
    onProgress: progress ? (done) => progress?.update(done) : undefined,
  });
  progress?.clear();
  engine.finish();
  flushOut();
  table?.end();
  if (sink) {
    printed = sink.flows;
    const error = await sink.close();
    // EPIPE: the reader of our output went away (`| head`); that ends the run quietly.
    if (error && error !== 'EPIPE') throw new Error(`writing flow records: ${error}`);
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = engine.summary();
  if (opts.summaryJson) io.stderr(`${JSON.stringify({ type: 'summary', flows_printed: printed, wall_seconds: wall, ...summary })}\n`);
  else if (opts.summary) io.stderr(summaryText(summary, printed, wall));
  return 0;
}
