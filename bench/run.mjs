#!/usr/bin/env node
// npm run bench — end-to-end throughput and memory of `sonda flows` on the benchmark capture,
// against pcap-walk.mjs (the JavaScript lower bound for reading a pcap, timed in the same run)
// and ndpiReader when installed.
//
// Every round runs every tool once, in turn (the order rotates per round), so machine drift hits
// all alike; the report gives medians. Each run is under GNU time for CPU seconds and peak RSS.
// The CLI is measured from a copy of dist/ taken at the start (a rebuild during the run does not
// change what is measured). Results also go to <cache>/bench-results.json.
// It is a report: misses against the targets do not fail it. Exit 0, or 1 when a tool crashed
// or timed out, 2 on a setup error (no capture, no build).
//
// Environment:
//   SONDA_BENCH_DIR      cache folder of the captures and bench-results.json
//                        (default ${XDG_CACHE_HOME:-$HOME/.cache}/sonda-bench; outside the repo)
//   SONDA_BENCH_MB       capture size in MiB (default 1024 → bench-1g.pcap, else bench-<MB>m.pcap)
//   SONDA_BENCH_ROUNDS   rounds (default 3)
//   SONDA_BENCH_TIMEOUT  seconds per tool run before it is killed (default 900)
//   SONDA_BENCH_BUILD_TIMEOUT  seconds for building the capture (default 3600)
//   SONDA_BENCH_TOOLS    comma-separated tool names to run (default: those enabled below);
//                        pcap-walk and the baselines always run
//   SONDA_BENCH_BUILD=1  run `tsc` before measuring even when dist/ exists
//   GNU_TIME             path of GNU time (default /usr/bin/time)
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { captureName, countPackets, ensureCapture } from './lib/capture.mjs';
import { BenchError, ensureGnuTime, envInt, onInterrupt, tail, which } from './lib/env.mjs';
import { timedRun } from './lib/measure.mjs';
import { fix, int, markdownTable, median } from './lib/report.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(REPO, '..', 'shared');
const WALK = join(SHARED, 'bench', 'pcap-walk.mjs');
const NODE = process.execPath;
const MIB = 1024 * 1024;

/** Targets for tools marked `targets: true` (see ../shared/ARCHITECTURE.md). */
const TARGETS = { ratioVsWalk: 0.6, peakRssMiB: 250, engineBytesPerFlow: 300 };

// One thread unless a tool asks for workers (a later --workers wins): the CLI's default is a
// worker per core for big files, and the single-thread figures must stay comparable.
const sondaFlows = (file, ...extra) => [NODE, 'bin/sonda.js', 'flows', '--read', file, '--json', '--no-summary', '--summary-json', '--workers', '1', ...extra];
const CORES = os.availableParallelism();
/** The scaling table's runs: 1, 2 and (on bigger machines) every core; `workers` marks them. */
const workersRuns = (prefix, note, ...extra) =>
  [...new Set([1, 2, CORES])].map((n) => ({
    name: `${prefix}${n}`,
    role: 'sonda',
    baseline: 'sonda-empty',
    workers: n,
    scaling: prefix,
    enabled: prefix === 'sonda-flows-workers',
    note: `${note}, ${n === 1 ? 'one thread (the reference of the scaling table)' : `${n} worker threads`}`,
    cmd: (f) => sondaFlows(f, ...extra, '--workers', String(n)),
    parse: parseSonda,
  }));

/**
 * The tools timed. `cmd(file, ctx)` gives argv (run in the repo folder, stdout to /dev/null
 * unless `stdout: 'capture'`); `parse(run)` pulls figures from its output; `role`:
 *   reference  pcap-walk: packets/s ratios are against it
 *   sonda      our CLI: flows and bytes per flow are reported; `baseline` names the empty run
 *              whose peak RSS is subtracted; `targets: true` checks TARGETS
 *   peer       another tool, for comparison
 *   baseline   empty run (start-up cost only), not in the main table
 * `enabled: false` entries are variants waiting for a CLI option; run them with
 * SONDA_BENCH_TOOLS=name,... once the option exists.
 */
const TOOLS = [
  { name: 'pcap-walk', role: 'reference', cmd: (f) => [NODE, WALK, f], stdout: 'capture', parse: parseWalk },
  { name: 'sonda-flows', role: 'sonda', baseline: 'sonda-empty', targets: true, note: 'no application layer (--parsers none --no-classify)', cmd: (f) => sondaFlows(f, '--parsers', 'none', '--no-classify'), parse: parseSonda },
  {
    name: 'sonda-flows-held',
    role: 'sonda',
    baseline: 'sonda-empty',
    note: 'timeouts of 1e9 s: every flow stays in the table until the end, so RSS/flow is memory per held flow',
    cmd: (f) => sondaFlows(f, '--parsers', 'none', '--no-classify', '--idle-timeout', '1e9', '--tcp-close-timeout', '1e9'),
    parse: parseSonda,
  },
  { name: 'ndpiReader', role: 'peer', requires: 'ndpiReader', note: 'nDPI 4.2 (Debian libndpi-bin), -q quiet mode, stdout to /dev/null', cmd: (f) => ['ndpiReader', '-i', f, '-q'] },
  // Later variants (enable once the CLI has the option):
  { name: 'sonda-flows-parsers', role: 'sonda', baseline: 'sonda-empty', note: 'every protocol parser, no classification', cmd: (f) => sondaFlows(f, '--parsers', 'all', '--no-classify'), parse: parseSonda },
  { name: 'sonda-flows-classify', role: 'sonda', baseline: 'sonda-empty', note: 'every parser and the classifier (the default)', cmd: (f) => sondaFlows(f), parse: parseSonda },
  { name: 'sonda-plugins10', role: 'sonda', baseline: 'sonda-empty', note: 'core run + 10 plugins whose filters match nothing', cmd: (f) => sondaFlows(f, '--parsers', 'none', '--no-classify', '--plugin', 'bench/plugins/no-match-10.mjs'), parse: parseSonda },
  { name: 'sonda-content1000', role: 'sonda', baseline: 'sonda-empty', note: 'core run + 1,000 content rules over every stream and datagram', cmd: (f) => sondaFlows(f, '--parsers', 'none', '--no-classify', '--plugin', 'bench/plugins/content-1000.mjs'), parse: parseSonda },
  // Scaling over worker threads: the default run (every parser, the classifier), and the
  // engine alone (SONDA_BENCH_TOOLS=sonda-core-workers1,sonda-core-workers2), where the reading
  // thread's dispatch is the limit.
  ...workersRuns('sonda-flows-workers', 'every parser and the classifier'),
  ...workersRuns('sonda-core-workers', 'no application layer', '--parsers', 'none', '--no-classify'),
  // Baselines: peak RSS of start-up alone.
  { name: 'node-empty', role: 'baseline', cmd: () => [NODE, '-e', '0'] },
  { name: 'sonda-empty', role: 'baseline', note: 'sonda flows on a header-only capture', cmd: (_f, ctx) => sondaFlows(ctx.emptyPcap), parse: parseSonda },
];

/** The last stderr line that is a JSON object with "type":"summary". */
function parseSonda(run) {
  const lines = run.stderr.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i].trim();
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l);
      if (o && o.type === 'summary') {
        return { packets: o.packets, flows: o.flows?.created ?? o.flows_printed, flowsPrinted: o.flows_printed, flowStateBytesPerFlow: o.flowStateBytesPerFlow, summary: o };
      }
    } catch {
      // not JSON: a warning line
    }
  }
  throw new Error('no {"type":"summary"} JSON line on stderr');
}

/** pcap-walk prints one JSON line. */
function parseWalk(run) {
  const line = run.stdout.trim().split('\n').pop() ?? '';
  const o = JSON.parse(line);
  return { packets: o.packets, flows: o.flows, summary: o };
}

function settings() {
  const base = process.env.XDG_CACHE_HOME || join(process.env.HOME || os.homedir(), '.cache');
  const cache = resolve(process.env.SONDA_BENCH_DIR || join(base, 'sonda-bench'));
  const mbGiven = Boolean(process.env.SONDA_BENCH_MB);
  const mb = envInt('SONDA_BENCH_MB', 1024);
  const wanted = (process.env.SONDA_BENCH_TOOLS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) if (!TOOLS.some((t) => t.name === w)) throw new BenchError(`SONDA_BENCH_TOOLS: unknown tool "${w}" (known: ${TOOLS.map((t) => t.name).join(', ')})`);
  return {
    cache,
    mb,
    mbGiven,
    rounds: envInt('SONDA_BENCH_ROUNDS', 3),
    timeoutS: envInt('SONDA_BENCH_TIMEOUT', 900),
    buildTimeoutS: envInt('SONDA_BENCH_BUILD_TIMEOUT', 3600),
    wanted,
  };
}

/** Builds dist/ with tsc when it is missing (or SONDA_BENCH_BUILD=1); warns when it is older than src/. */
function ensureCli() {
  const main = join(REPO, 'dist', 'cli', 'main.js');
  if (!existsSync(main) || process.env.SONDA_BENCH_BUILD === '1') {
    console.error(`bench: ${existsSync(main) ? 'SONDA_BENCH_BUILD=1' : 'dist/cli/main.js missing'}: npx tsc -p tsconfig.json`);
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO, encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new BenchError(`tsc failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(`${r.stdout ?? ''}${r.stderr ?? ''}`)}`);
    if (!existsSync(main)) throw new BenchError('tsc succeeded but dist/cli/main.js is still missing');
    return;
  }
  const stale = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(REPO, 'dist', relative(join(REPO, 'src'), p)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(relative(REPO, p));
      }
    }
  };
  try {
    walk(join(REPO, 'src'));
  } catch {
    return;
  }
  if (stale.length) {
    console.error(`bench: warning: dist/ is older than ${stale.length} file(s) of src/ (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}):`);
    console.error('bench: warning: the figures measure the last build; run `npm run build` (or SONDA_BENCH_BUILD=1) to measure src/ as it is');
  }
}

function gitInfo() {
  const git = (...args) => spawnSync('git', ['--no-optional-locks', ...args], { cwd: REPO, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return null;
  const st = git('status', '--porcelain', '--', 'src', 'bin', 'package.json', 'tsconfig.json');
  const changed = st.status === 0 ? st.stdout.split('\n').filter(Boolean).length : null;
  return { commit: head.stdout.trim(), changedFiles: changed };
}

function hostInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** Newest modification time (ms) of the .js files under dist/: a change during the run means a rebuild. */
function distStamp() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  try {
    walk(join(REPO, 'dist'));
  } catch {
    // a rebuild may remove files while we look: compare what we saw
  }
  return newest;
}

/**
 * Copies bin/, dist/, data/ and package.json (node_modules linked) to `<scratch>/sonda`, so that a
 * rebuild of dist/ by someone else during the run does not change what is measured. Retries while
 * dist/ is being written. Returns { root, builtMs }.
 */
async function snapshotCli(scratch) {
  const root = join(scratch, 'sonda');
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = distStamp();
    if (Date.now() - before >= 2000) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
      cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
      cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
      // The classifier's protocol files, read at start-up relative to dist/.
      if (existsSync(join(REPO, 'data'))) cpSync(join(REPO, 'data'), join(root, 'data'), { recursive: true });
      // The bench's own plugin modules (sonda-plugins10, sonda-content1000).
      cpSync(join(REPO, 'bench/plugins'), join(root, 'bench/plugins'), { recursive: true });
      copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
      symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
      if (distStamp() === before) return { root, builtMs: before };
    }
    await sleep(3000); // a build is writing dist/
  }
  throw new BenchError('dist/ keeps changing (is a build running?); try again later');
}

/** Reads the file once so that the first timed run does not pay for the disk. */
async function warmPageCache(file) {
  for await (const _ of createReadStream(file, { highWaterMark: 16 * MIB })) {
    // discard
  }
}

/** Header-only classic pcap (Ethernet): the "empty run" input. */
function writeEmptyPcap(path) {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(1, 20);
  writeFileSync(path, b);
}

async function main() {
  const cfg = settings();
  const host0 = hostInfo();
  const gnuTime = ensureGnuTime();
  ensureCli();
  const file = await ensureCapture({ shared: SHARED, cache: cfg.cache, mb: cfg.mb, mbGiven: cfg.mbGiven, buildTimeoutS: cfg.buildTimeoutS });
  const fileBytes = statSync(file).size;
  if (!existsSync(WALK)) throw new BenchError(`${WALK} not found (shared/ is resolved as <repo>/../shared)`);

  const selected = TOOLS.filter((t) => {
    if (t.role === 'reference' || t.role === 'baseline') return true;
    return cfg.wanted.length ? cfg.wanted.includes(t.name) : t.enabled !== false;
  });
  const skipped = [];
  const tools = selected.filter((t) => {
    if (t.requires && !which(t.requires)) {
      skipped.push(`${t.name} (${t.requires} not installed)`);
      return false;
    }
    return true;
  });

  const scratch = mkdtempSync(join(os.tmpdir(), 'sonda-bench-'));
  const dropCleanup = onInterrupt(() => rmSync(scratch, { recursive: true, force: true }));
  const ctx = { emptyPcap: join(scratch, 'empty.pcap') };
  const state = new Map(tools.map((t) => [t.name, { tool: t, runs: [], failures: [], parsed: null, stopped: false }]));
  const width = Math.max(...tools.map((t) => t.name.length));
  let loadBefore = 0;
  let snap;
  try {
    writeEmptyPcap(ctx.emptyPcap);
    snap = await snapshotCli(scratch);
    console.error(`bench: measuring the build in dist/ of ${new Date(snap.builtMs).toISOString()} (copied to ${snap.root})`);
    console.error(`bench: capture ${file} (${fix(fileBytes / MIB, 1)} MiB); counting packets (capinfos) and warming the page cache`);
    const capinfosPackets = countPackets(file);
    ctx.capinfosPackets = capinfosPackets;
    await warmPageCache(file);
    loadBefore = os.loadavg()[0];
    for (let r = 0; r < cfg.rounds; r++) {
      const order = tools.map((_, i) => tools[(i + r) % tools.length]);
      for (const t of order) {
        const s = state.get(t.name);
        if (s.stopped) continue;
        const argv = t.cmd(file, ctx);
        const run = await timedRun({ gnuTime, argv, cwd: snap.root, stdout: t.stdout ?? 'null', timeoutS: cfg.timeoutS, scratch });
        let parsed = null;
        let parseError = null;
        if (run.ok && t.parse) {
          try {
            parsed = t.parse(run);
          } catch (e) {
            parseError = e.message;
          }
        }
        const tag = `round ${r + 1}/${cfg.rounds}  ${t.name.padEnd(width)}`;
        if (!run.ok) {
          s.failures.push({ round: r + 1, failure: run.failure, stderrTail: tail(run.stderr) });
          s.stopped = true; // no more rounds of a crashing tool
          console.error(`${tag}  FAILED: ${run.failure}\n  command: ${argv.join(' ')}\n  --- stderr tail ---\n${(tail(run.stderr) || '(empty)').replace(/^/gm, '  ')}`);
          continue;
        }
        if (parseError) console.error(`${tag}  warning: output not understood: ${parseError}`);
        if (parsed) s.parsed = parsed;
        s.runs.push({ round: r + 1, wallS: run.wallS, gnuWallS: run.gnuWallS, userS: run.userS, sysS: run.sysS, rssKiB: run.rssKiB });
        console.error(`${tag}  ${fix(run.wallS, 3).padStart(8)} s  cpu ${fix(run.userS + run.sysS, 2).padStart(7)} s  rss ${fix(run.rssKiB / 1024, 1).padStart(7)} MiB`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    dropCleanup();
  }

  // ---- aggregate ----
  const capinfosPackets = ctx.capinfosPackets;
  const walkState = state.get('pcap-walk');
  const packets = capinfosPackets ?? walkState.parsed?.packets ?? null;
  const agg = new Map();
  for (const [name, s] of state) {
    const walls = s.runs.map((x) => x.wallS);
    const wall = median(walls);
    const rssMax = s.runs.length ? Math.max(...s.runs.map((x) => x.rssKiB)) : Number.NaN;
    agg.set(name, {
      name,
      role: s.tool.role,
      note: s.tool.note ?? null,
      command: s.tool.cmd(file, ctx).map((a) => (a === NODE ? 'node' : a === file ? 'FILE' : a === ctx.emptyPcap ? 'EMPTY.pcap' : a)).join(' '),
      ok: s.failures.length === 0,
      failures: s.failures,
      runs: s.runs,
      medianWallS: wall,
      minWallS: walls.length ? Math.min(...walls) : Number.NaN,
      maxWallS: walls.length ? Math.max(...walls) : Number.NaN,
      medianCpuS: median(s.runs.map((x) => x.userS + x.sysS)),
      peakRssMiB: rssMax / 1024,
      mpps: packets && wall > 0 ? packets / wall / 1e6 : Number.NaN,
      gbps: wall > 0 ? (fileBytes * 8) / wall / 1e9 : Number.NaN,
      parsed: s.parsed,
    });
  }
  const ref = agg.get('pcap-walk');
  for (const a of agg.values()) {
    a.ratioVsWalk = ref && ref.medianWallS > 0 && a.medianWallS > 0 ? ref.medianWallS / a.medianWallS : Number.NaN;
    if (a.role === 'sonda' && a.parsed) {
      const base = agg.get(state.get(a.name).tool.baseline);
      a.flows = a.parsed.flows;
      a.engineBytesPerFlow = a.parsed.flowStateBytesPerFlow;
      a.baselineRssMiB = base?.peakRssMiB ?? Number.NaN;
      a.rssBytesPerFlow = a.flows > 0 && base ? ((a.peakRssMiB - base.peakRssMiB) * MIB) / a.flows : Number.NaN;
    }
  }

  // ---- checks ----
  const warnings = [];
  const loadAfter = os.loadavg()[0];
  if (distStamp() !== snap.builtMs) warnings.push(`dist/ was rebuilt during the run; the figures are of the build copied at the start (${new Date(snap.builtMs).toISOString()})`);
  if (Math.max(loadBefore, loadAfter) > host0.cores) {
    warnings.push(`1-minute load average ${fix(loadBefore, 2)} → ${fix(loadAfter, 2)} on ${host0.cores} cores: other work competed for the CPU; figures are noisy`);
  }
  const counts = [['capinfos', capinfosPackets], ['pcap-walk', walkState.parsed?.packets]];
  for (const a of agg.values()) if (a.role === 'sonda' && a.parsed) counts.push([a.name, a.parsed.packets]);
  const known = counts.filter(([, n]) => Number.isFinite(n));
  if (new Set(known.map(([, n]) => n)).size > 1) warnings.push(`packet counts differ: ${known.map(([k, n]) => `${k} ${n}`).join(', ')}`);

  const targets = [];
  for (const a of agg.values()) {
    if (!state.get(a.name).tool.targets || !a.ok) continue;
    const check = (what, value, shown, goal, pass) => targets.push({ tool: a.name, what, value, shown, goal, pass: Number.isFinite(value) ? pass : null });
    check('packets/s vs pcap-walk', a.ratioVsWalk, `${fix(a.ratioVsWalk, 2)}×`, `≥ ${TARGETS.ratioVsWalk.toFixed(2)}×`, a.ratioVsWalk >= TARGETS.ratioVsWalk);
    check('peak RSS', a.peakRssMiB, `${fix(a.peakRssMiB, 1)} MiB`, `≤ ${TARGETS.peakRssMiB} MiB`, a.peakRssMiB <= TARGETS.peakRssMiB);
    check('engine state per flow', a.engineBytesPerFlow, `${fix(a.engineBytesPerFlow, 0)} B`, `≤ ${TARGETS.engineBytesPerFlow} B`, a.engineBytesPerFlow <= TARGETS.engineBytesPerFlow);
  }

  // ---- print ----
  const git = gitInfo();
  const host = { ...host0, loadAvg1mBefore: loadBefore, loadAvg1mAfter: loadAfter };
  const out = [];
  out.push('');
  out.push(`Sonda bench — ${new Date().toISOString()}`);
  out.push(`capture: ${file}`);
  out.push(`  ${fix(fileBytes / MIB, 1)} MiB (${int(fileBytes)} bytes), ${int(packets)} packets${capinfosPackets === null ? ' (pcap-walk count; capinfos unavailable)' : ''}, ${int(walkState.parsed?.flows)} distinct 5-tuples (pcap-walk)`);
  out.push(`host: ${host.cpu}, ${host.cores} cores, ${host.memGiB} GiB, ${host.kernel}, node ${host.node}; load avg (1 min) ${fix(loadBefore, 2)} → ${fix(loadAfter, 2)}`);
  out.push(`sonda build: dist/ of ${new Date(snap.builtMs).toISOString()} (copied before the first run)`);
  if (git) out.push(`git: ${git.commit}${git.changedFiles ? ` + ${git.changedFiles} changed file(s) in src/bin/config (working tree)` : ''}`);
  out.push(`rounds: ${cfg.rounds} (interleaved, order rotating), medians; peak RSS = max over rounds; timeout ${cfg.timeoutS} s per run`);
  out.push('');
  const main = [...agg.values()].filter((a) => a.role !== 'baseline');
  const rows = main.map((a) => [
    a.ok ? a.name : `${a.name} (FAILED)`,
    fix(a.medianWallS, 3),
    a.runs.length > 1 ? `${fix(a.minWallS, 2)}–${fix(a.maxWallS, 2)}` : '-',
    fix(a.medianCpuS, 2),
    fix(a.mpps, 3),
    fix(a.gbps, 2),
    fix(a.peakRssMiB, 1),
    a.name === 'pcap-walk' ? '1.00 (ref)' : fix(a.ratioVsWalk, 2),
    a.role === 'sonda' ? int(a.flows) : '-',
    a.role === 'sonda' ? fix(a.engineBytesPerFlow, 0) : '-',
    a.role === 'sonda' ? fix(a.rssBytesPerFlow, 0) : '-',
  ]);
  out.push(
    markdownTable(
      ['tool', 'wall s', 'wall range', 'CPU s', 'Mpps', 'Gbit/s', 'peak RSS MiB', '× pcap-walk pkt/s', 'flows', 'engine B/flow', 'RSS B/flow'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  const baseTxt = [...agg.values()]
    .filter((a) => a.role === 'baseline')
    .map((a) => `${a.name} ${fix(a.peakRssMiB, 1)} MiB / ${fix(a.medianWallS, 3)} s`)
    .join(', ');
  out.push('Mpps = packets / median wall; Gbit/s = file bytes × 8 / median wall; CPU s = user + sys (median).');
  out.push('engine B/flow = flowStateBytesPerFlow of the summary (engine state per flow slot).');
  out.push(`RSS B/flow = (peak RSS − peak RSS of the empty run) / flows; empty runs: ${baseTxt}.`);
  if (agg.has('sonda-flows') && agg.has('sonda-flows-held')) {
    out.push('  sonda-flows ends flows on timeouts as it goes, so its table never holds all flows at once and');
    out.push('  its RSS B/flow understates memory per flow; sonda-flows-held keeps every flow to the end.');
  }
  for (const a of main) if (a.note && a.role !== 'sonda') out.push(`${a.name}: ${a.note}.`);
  // What each layer costs: throughput of a run against the run without that layer (same rounds).
  const cost = (name, base, what, target) => {
    const x = agg.get(name);
    const b = agg.get(base);
    if (!x?.ok || !b?.ok || !x.mpps || !b.mpps) return;
    const ratio = x.mpps / b.mpps;
    out.push(`  ${what}: ${fix(ratio, 2)}× the throughput of ${base} (${fix((1 - ratio) * 100, 0)} % cost${target ? `; target ${target}` : ''})`);
  };
  if (['sonda-flows-parsers', 'sonda-flows-classify', 'sonda-plugins10', 'sonda-content1000'].some((n) => agg.has(n))) {
    out.push('');
    out.push('Cost of each layer (packets/s ratios within this run):');
    cost('sonda-flows-parsers', 'sonda-flows', 'all parsers', '>= 0.6×');
    cost('sonda-flows-classify', 'sonda-flows-parsers', 'classification', '<= 25 % cost');
    cost('sonda-plugins10', 'sonda-flows', '10 plugins matching nothing', '<= 10 % cost');
    cost('sonda-content1000', 'sonda-flows', '1,000 content rules over all streams');
  }
  for (const prefix of new Set(TOOLS.map((t) => t.scaling).filter(Boolean))) {
    const runs = [...agg.values()].filter((a) => state.get(a.name).tool.scaling === prefix && a.ok && a.mpps > 0);
    const one = runs.find((a) => state.get(a.name).tool.workers === 1);
    if (runs.length < 2 || !one) continue;
    out.push('');
    out.push(`Scaling over worker threads (${prefix}*: ${state.get(one.name).tool.note.split(',')[0]}; ${host0.cores} cores, the reading thread included):`);
    out.push(
      markdownTable(
        ['workers', 'wall s', 'CPU s', 'Mpps', '× 1 thread'],
        runs.map((a) => [String(state.get(a.name).tool.workers), fix(a.medianWallS, 3), fix(a.medianCpuS, 2), fix(a.mpps, 3), a === one ? '1.00 (ref)' : fix(a.mpps / one.mpps, 2)]),
        ['r', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  if (skipped.length) out.push(`skipped: ${skipped.join(', ')}`);
  if (targets.length) {
    out.push('');
    out.push('Targets:');
    out.push(
      markdownTable(
        ['tool', 'figure', 'value', 'target', 'verdict'],
        targets.map((t) => [t.tool, t.what, t.shown, t.goal, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS']),
        ['l', 'l', 'r', 'r', 'l'],
      ),
    );
  }
  for (const w of warnings) out.push(`warning: ${w}`);
  const failed = main.concat([...agg.values()].filter((a) => a.role === 'baseline')).filter((a) => !a.ok);
  for (const a of failed) {
    for (const f of a.failures) {
      out.push(`FAILED: ${a.name} (round ${f.round}): ${f.failure}; command: ${a.command}`);
      if (f.stderrTail) out.push(`  stderr tail:\n${tail(f.stderrTail, 5).replace(/^/gm, '    ')}`);
    }
  }

  // ---- JSON ----
  const resultsPath = join(cfg.cache, 'bench-results.json');
  const json = {
    date: new Date().toISOString(),
    capture: { file, name: captureName(cfg.mb), bytes: fileBytes, packets, capinfosPackets, walkFlows: walkState.parsed?.flows ?? null },
    host,
    git,
    distBuiltAt: new Date(snap.builtMs).toISOString(),
    rounds: cfg.rounds,
    timeoutS: cfg.timeoutS,
    targets: TARGETS,
    checks: targets.map(({ tool, what, value, goal, pass }) => ({ tool, what, value, goal, pass })),
    warnings,
    skipped,
    tools: [...agg.values()].map((a) => ({
      name: a.name,
      role: a.role,
      note: a.note,
      command: a.command,
      ok: a.ok,
      medianWallS: a.medianWallS,
      minWallS: a.minWallS,
      maxWallS: a.maxWallS,
      medianCpuS: a.medianCpuS,
      mpps: a.mpps,
      gbps: a.gbps,
      peakRssMiB: a.peakRssMiB,
      ratioVsWalk: a.ratioVsWalk,
      flows: a.flows ?? null,
      engineBytesPerFlow: a.engineBytesPerFlow ?? null,
      rssBytesPerFlow: a.rssBytesPerFlow ?? null,
      baselineRssMiB: a.baselineRssMiB ?? null,
      summary: a.parsed?.summary ?? null,
      runs: a.runs,
      failures: a.failures,
    })),
  };
  const tmp = `${resultsPath}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(json, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  renameSync(tmp, resultsPath);
  out.push('');
  out.push(`results (JSON): ${resultsPath}`);
  console.log(out.join('\n'));
  return failed.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof BenchError) {
      console.error(`bench: error: ${e.message}`);
      process.exitCode = 2;
    } else {
      console.error(`bench: internal error: ${e?.stack ?? e}`);
      process.exitCode = 2;
    }
  },
);
