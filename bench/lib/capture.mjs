// The benchmark capture: found in the cache folder, or built there with
// ../shared/bench/make-bench-pcap.sh (into a private temp folder, then renamed into place, so a
// capture that exists under its final name is complete). Waits for a build of the same folder that
// is already running (another bench run, or make-bench-pcap.sh started by hand).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError, ensureCommand, spawnGroup, tail, which } from './env.mjs';

/** File name make-bench-pcap.sh gives a capture of `mb` MiB. */
export function captureName(mb) {
  return mb === 1024 ? 'bench-1g.pcap' : `bench-${mb}m.pcap`;
}

/**
 * Makes sure `<cache>/<captureName(mb)>` and `<cache>/real-mix.pcap` exist, building them when
 * missing. Returns the capture's path. `mbGiven`: pass MB to the script (else its default 1024).
 */
export async function ensureCapture({ shared, cache, mb, mbGiven, buildTimeoutS }) {
  mkdirSync(cache, { recursive: true });
  const file = join(cache, captureName(mb));
  const ready = () => existsSync(file) && existsSync(join(cache, 'real-mix.pcap')) && statSync(file).size > 24;

  await waitForForeignBuilds(cache, buildTimeoutS);
  if (ready()) return file;

  const lock = join(cache, '.build.lock');
  await acquireLock(lock, buildTimeoutS);
  try {
    await waitForForeignBuilds(cache, buildTimeoutS);
    if (ready()) return file; // built by someone else meanwhile
    await build({ shared, cache, mb, mbGiven, buildTimeoutS });
    if (!ready()) throw new BenchError(`build finished but ${file} is missing`);
    return file;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function build({ shared, cache, mb, mbGiven, buildTimeoutS }) {
  const script = join(shared, 'bench', 'make-bench-pcap.sh');
  const src = join(shared, 'corpus', 'ndpi', 'pcap');
  if (!existsSync(script)) throw new BenchError(`${script} not found (shared/ is resolved as <repo>/../shared)`);
  if (!existsSync(src)) throw new BenchError(`${src} not found: the nDPI test captures are needed to build the bench capture`);
  ensureCommand('mergecap', 'wireshark-common', 'needed by make-bench-pcap.sh');
  for (const c of ['capinfos', 'editcap']) ensureCommand(c, 'wireshark-common', 'needed by make-bench-pcap.sh');
  ensureCommand('git', 'git', 'needed by make-bench-pcap.sh');

  const tmp = join(cache, `.build-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const args = [script, src, tmp];
  if (mbGiven) args.push(String(mb));
  console.error(`bench: building ${captureName(mb)} in ${cache} (bash ${args.join(' ')}); this is done once`);
  const t0 = process.hrtime.bigint();
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  const r = await spawnGroup('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] }, buildTimeoutS, (child) => {
    child.stdout?.on('data', keep);
    child.stderr?.on('data', (c) => {
      keep(c);
      process.stderr.write(c.toString().replace(/^(?=.)/gm, '  | '));
    });
  });
  if (r.error || r.timedOut || r.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const why = r.error ? r.error.message : r.timedOut ? `timed out after ${buildTimeoutS} s (SONDA_BENCH_BUILD_TIMEOUT)` : `exit ${r.code ?? r.signal}`;
    throw new BenchError(`building the bench capture failed: ${why}\n--- output tail ---\n${tail(log)}`);
  }
  for (const name of ['real-mix.files', 'real-mix.pcap', captureName(mb)]) {
    const from = join(tmp, name);
    if (!existsSync(from)) {
      rmSync(tmp, { recursive: true, force: true });
      throw new BenchError(`make-bench-pcap.sh succeeded but did not write ${name}\n--- output tail ---\n${tail(log)}`);
    }
    renameSync(from, join(cache, name));
  }
  rmSync(tmp, { recursive: true, force: true });
  console.error(`bench: built ${join(cache, captureName(mb))} in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
}

/** make-bench-pcap.sh processes whose OUT_DIR is `cache` or inside it: [{ pid, cmd }]. */
function foreignBuilds(cache) {
  const found = [];
  let pids;
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    return found; // no /proc: cannot tell
  }
  for (const pid of pids) {
    let argv;
    let cwd;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!argv.some((a) => a.endsWith('make-bench-pcap.sh'))) continue;
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue;
    }
    const i = argv.findIndex((a) => a.endsWith('make-bench-pcap.sh'));
    const out = argv[i + 2];
    if (!out) continue;
    const abs = resolve(cwd, out);
    if (abs === cache || abs.startsWith(`${cache}/`)) found.push({ pid: Number(pid), cmd: argv.join(' ') });
  }
  return found;
}

async function waitForForeignBuilds(cache, maxS) {
  const t0 = Date.now();
  let said = false;
  for (;;) {
    const running = foreignBuilds(cache);
    if (running.length === 0) return;
    if (!said) {
      console.error(`bench: a capture build into ${cache} is running (pid ${running[0].pid}: ${running[0].cmd}); waiting for it to end`);
      said = true;
    }
    if (Date.now() - t0 > maxS * 1000) throw new BenchError(`gave up waiting ${maxS} s for the running capture build (pid ${running[0].pid})`);
    await sleep(5000);
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function acquireLock(lock, maxS) {
  const t0 = Date.now();
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid}\n`);
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw new BenchError(`cannot create lock ${lock}: ${e.message}`);
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8').trim());
    } catch {
      // lock just created, pid not yet written: treat as alive for now
    }
    const ownerAlive = owner > 0 ? alive(owner) : Date.now() - lockAgeBase(lock) < 10000;
    if (!ownerAlive) {
      rmSync(lock, { recursive: true, force: true }); // stale: its owner has gone
      continue;
    }
    if (!said) {
      console.error(`bench: another bench run (pid ${owner || '?'}) is building the capture; waiting`);
      said = true;
    }
    if (Date.now() - t0 > maxS * 1000) throw new BenchError(`gave up waiting ${maxS} s for lock ${lock}`);
    await sleep(2000);
  }
}

function lockAgeBase(lock) {
  try {
    return statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

/** Packet count by `capinfos -c -M`, or null when capinfos is not installed or fails. */
export function countPackets(file) {
  if (!which('capinfos')) return null;
  const r = spawnSync('capinfos', ['-c', '-M', '-T', '-r', file], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const n = Number(r.stdout.trim().split('\t').pop());
  return Number.isFinite(n) ? n : null;
}
