/**
 * Runs plugins over a capture and returns what they produced: for plugin authors' own tests.
 *
 * @example
 * ```ts
 * const { alerts, flows } = await runPlugin(myPlugin, 'test.pcap');
 * assert.equal(alerts.length, 1);
 * ```
 */
import { readCapture } from '../capture/read-capture.js';
import type { Consumer } from '../engine/consumer.js';
import { Engine, type EventRecord } from '../engine/engine.js';
import type { FlowRecord } from '../flow/record.js';
import { PluginHost, type PluginStats } from './host.js';
import type { AlertRecord, Plugin } from './plugin.js';

/** Options of `runPlugin`. */
export interface RunPluginOptions {
  /** Parsers to load: `'all'` (default), `'none'` or names (`'http,dns'`). */
  parsers?: string;
  /** Name flows' applications (default true). */
  classify?: boolean;
}

/** What plugins produced over a capture. */
export interface PluginRun {
  alerts: AlertRecord[];
  /** Every flow record, with `tags` where plugins or rules set them. */
  flows: FlowRecord[];
  /** Flows' tags by flow id (only flows with tags). */
  tags: Map<string, string[]>;
  /** Per plugin: flows followed, alerts, errors (and their messages), counters, sessions. */
  stats: Record<string, PluginStats>;
  /** Transaction events of all flows (as `--events` prints them). */
  events: EventRecord[];
}

/** Runs one plugin (or several) over a capture file through a whole engine. */
export async function runPlugin(plugins: Plugin | readonly Plugin[], capture: string, opts: RunPluginOptions = {}): Promise<PluginRun> {
  const list = Array.isArray(plugins) ? plugins : [plugins as Plugin];
  const host = new PluginHost(list);
  const consumers: Consumer[] = [];
  if ((opts.parsers ?? 'all') !== 'none') consumers.push(...(await import('../protocols/index.js')).selectParsers(opts.parsers ?? 'all'));
  if (opts.classify !== false) consumers.push((await import('../classify/index.js')).classifierConsumer(host.classifierExtras));
  consumers.push(...host.consumers);
  const engine = new Engine({ consumers });
  const run: PluginRun = { alerts: [], flows: [], tags: new Map(), stats: {}, events: [] };
  host.onAlert((a) => run.alerts.push({ ...a }));
  host.attach(engine);
  engine.on('event', (e) => run.events.push(e));
  engine.on('flow', (r) => {
    run.flows.push(r);
    const tags = (r as { tags?: string[] }).tags;
    if (tags !== undefined) run.tags.set(r.flow_id, tags);
  });
  await readCapture(capture, engine);
  engine.finish();
  host.finish();
  run.stats = host.stats();
  return run;
}
