// Host helpers for the benchmark: finding executables, installing missing Debian packages,
// reading integer settings from the environment. Node built-ins only.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A setup problem (missing tool, failed build): printed as one line, exit code 2. */
export class BenchError extends Error {}

/** Absolute path of an executable on PATH, or null. */
export function which(cmd) {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure `cmd` is on PATH, installing Debian package `pkg` with apt-get when it is not
 * (only as root). Returns the executable's path; throws BenchError with a clear message otherwise.
 */
export function ensureCommand(cmd, pkg, why) {
  const found = which(cmd);
  if (found) return found;
  const hint = `${cmd} (${why}) is missing: install the Debian package "${pkg}" (apt-get install ${pkg})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new BenchError(`${hint}; not root, so not installing it myself`);
  console.error(`bench: ${cmd} missing; installing Debian package ${pkg} (apt-get) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const upd = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (upd.error || upd.status !== 0) throw new BenchError(`${hint}; "apt-get update" failed (${upd.error?.message ?? `exit ${upd.status}`})`);
  const inst = spawnSync('apt-get', ['install', '-y', pkg], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (inst.error || inst.status !== 0) throw new BenchError(`${hint}; "apt-get install -y ${pkg}" failed (${inst.error?.message ?? `exit ${inst.status}`})`);
  const after = which(cmd);
  if (!after) throw new BenchError(`${hint}; installed ${pkg} but ${cmd} is still not on PATH`);
  return after;
}

/** GNU time (not the shell keyword): env GNU_TIME, else /usr/bin/time or `time` on PATH; installs Debian "time". */
export function ensureGnuTime() {
  const candidates = [process.env.GNU_TIME, '/usr/bin/time', which('time')].filter(Boolean);
  for (const c of candidates) if (isExecutable(c) && isGnuTime(c)) return c;
  const p = ensureCommand('time', 'time', 'GNU time, measures wall/CPU time and peak RSS');
  if (!isGnuTime(p)) throw new BenchError(`${p} is not GNU time (it lacks -f/-o); install the Debian package "time" or set GNU_TIME`);
  return p;
}

function isGnuTime(p) {
  const r = spawnSync(p, ['-f', '%M', '-o', '/dev/null', 'true'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Positive integer from env `name`, or `def`. Throws BenchError on a malformed value. */
export function envInt(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new BenchError(`${name}=${v}: expected a positive integer`);
  return n;
}

/** The last `lines` lines of a text (at most `chars` characters), for error messages. */
export function tail(text, lines = 15, chars = 3000) {
  const t = text.trimEnd();
  const cut = t.split('\n').slice(-lines).join('\n');
  return cut.length > chars ? `...${cut.slice(-chars)}` : cut;
}

const active = new Set(); // process groups we started and that still run
const cleanups = new Set(); // run on SIGINT/SIGTERM (the normal path cleans up by itself)
let signalHooked = false;

/** Registers `fn` to run if the bench is interrupted; returns a function that unregisters it. */
export function onInterrupt(fn) {
  hookSignals();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function killGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

function hookSignals() {
  if (signalHooked) return;
  signalHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const pid of active) killGroup(pid, 'SIGKILL');
      for (const fn of cleanups) {
        try {
          fn();
        } catch {
          // best effort
        }
      }
      console.error(`\nbench: ${sig}, stopped`);
      process.exit(130);
    });
  }
}

/**
 * Spawns `cmd args` in its own process group; after `timeoutS` seconds the group gets SIGTERM,
 * then SIGKILL 5 s later. Resolves { code, signal, timedOut, error, child }; never rejects.
 * `onChild(child)` is called right after spawn (to attach to piped streams).
 */
export function spawnGroup(cmd, args, options, timeoutS, onChild) {
  hookSignals();
  return new Promise((resolvePromise) => {
    let child;
    try {
      child = spawn(cmd, args, { ...options, detached: true });
    } catch (error) {
      resolvePromise({ code: null, signal: null, timedOut: false, error });
      return;
    }
    let timedOut = false;
    let killTimer = null;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
    }, timeoutS * 1000);
    if (child.pid) active.add(child.pid);
    onChild?.(child);
    let spawnError = null;
    let settled = false;
    const settle = (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      active.delete(child.pid);
      resolvePromise({ code, signal, timedOut, error: spawnError, child });
    };
    child.on('error', (e) => {
      spawnError = e;
      if (child.pid === undefined) settle(null, null); // never started (ENOENT, EACCES)
    });
    child.on('close', settle);
  });
}
