import type { EngineSummary } from '../engine.js';

/** Numbers that are not sums: the run's time span comes from the dispatcher, the rest are maxima. */
const NOT_SUMMED = new Set(['firstTsUs', 'lastTsUs', 'flowStateBytesPerFlow']);

type Tree = { [key: string]: number | Tree };

/**
 * One summary for several engines that shared a run: counters (packets, flows, weirds, defrag
 * and consumer counters, whatever nested counters the engine adds later) are summed; the time
 * span is the dispatcher's (the first frame's time and the latest time, as one engine would
 * report them); `flowStateBytesPerFlow` is the largest.
 */
export function mergeSummaries(parts: readonly EngineSummary[], firstTsUs: number, lastTsUs: number): EngineSummary {
  const out: Tree = {};
  for (const part of parts) addInto(out, part as unknown as Tree);
  const merged = out as unknown as EngineSummary;
  merged.firstTsUs = firstTsUs;
  merged.lastTsUs = lastTsUs;
  merged.flowStateBytesPerFlow = parts.reduce((m, p) => Math.max(m, p.flowStateBytesPerFlow), 0);
  if (merged.weirds === undefined) merged.weirds = {};
  return merged;
}

function addInto(out: Tree, part: Tree): void {
  for (const key of Object.keys(part)) {
    const v = part[key]!;
    if (typeof v === 'number') {
      if (NOT_SUMMED.has(key)) {
        // Set at the end; a placeholder keeps the engine's key order.
        if (!(key in out)) out[key] = 0;
        continue;
      }
      const have = out[key];
      out[key] = (typeof have === 'number' ? have : 0) + v;
    } else if (typeof v === 'object' && v !== null) {
      let sub = out[key];
      if (typeof sub !== 'object') {
        sub = {};
        out[key] = sub;
      }
      addInto(sub, v);
    }
  }
}
