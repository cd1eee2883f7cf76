// One timed run of a command under GNU time: wall seconds (measured here around the process,
// monotonic clock), user and system CPU seconds and peak RSS (GNU time, %U %S %M), exit status,
// stdout (when asked for) and the tail of stderr.
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGroup, tail } from './env.mjs';

let seq = 0;

/**
 * Runs `argv` under GNU time (`gnuTime`). `stdout`: 'null' sends it to /dev/null, 'capture'
 * returns it. Never throws for a failing command: `ok` is false and `failure` says why.
 * @returns {Promise<{ ok: boolean, failure: string | null, wallS: number, gnuWallS: number,
 *   userS: number, sysS: number, rssKiB: number, stdout: string, stderr: string }>}
 */
export async function timedRun({ gnuTime, argv, cwd, stdout = 'null', timeoutS, scratch }) {
  const id = `run${++seq}`;
  const timeFile = join(scratch, `${id}.time`);
  const outFile = join(scratch, `${id}.out`);
  const errFile = join(scratch, `${id}.err`);
  const outFd = openSync(stdout === 'capture' ? outFile : '/dev/null', 'w');
  const errFd = openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  let r;
  try {
    r = await spawnGroup(gnuTime, ['-o', timeFile, '-f', '%e %U %S %M %x', ...argv], { cwd, stdio: ['ignore', outFd, errFd] }, timeoutS);
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const read = (f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const timeText = read(timeFile);
  const out = stdout === 'capture' ? read(outFile) : '';
  const err = read(errFile);
  for (const f of [timeFile, outFile, errFile]) rmSync(f, { force: true });

  const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+) (-?\d+)\s*$/m.exec(timeText.trim().split('\n').pop() ?? '');
  const res = {
    ok: false,
    failure: null,
    wallS,
    gnuWallS: m ? Number(m[1]) : Number.NaN,
    userS: m ? Number(m[2]) : Number.NaN,
    sysS: m ? Number(m[3]) : Number.NaN,
    rssKiB: m ? Number(m[4]) : Number.NaN,
    stdout: out,
    stderr: tail(err, 400, 200000),
  };
  const sig = /Command terminated by signal (\d+)/.exec(timeText);
  if (r.error) res.failure = `could not start ${gnuTime}: ${r.error.message}`;
  else if (r.timedOut) res.failure = `timed out after ${timeoutS} s (SONDA_BENCH_TIMEOUT), killed`;
  else if (sig) res.failure = `killed by signal ${sig[1]}`;
  else if (r.code !== 0) res.failure = `exit status ${r.code ?? r.signal}`;
  else if (!m) res.failure = `no GNU time output (${tail(timeText, 3) || 'empty'})`;
  res.ok = res.failure === null;
  return res;
}
