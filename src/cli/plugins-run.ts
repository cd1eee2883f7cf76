/** Plugins in the CLI: loading them for `flows --plugin` / `run`, and their summary lines. */
import { PluginHost } from '../plugins/host.js';
import { loadPlugins } from '../plugins/load.js';

export async function pluginHost(paths: readonly string[]): Promise<PluginHost> {
  return new PluginHost(await loadPlugins(paths));
}

/** One line per plugin: flows, alerts, errors (with the first message), counters. */
export function pluginSummaryText(host: PluginHost): string {
  let out = '';
  for (const [name, s] of Object.entries(host.stats())) {
    const counters = Object.entries(s.counters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out += `  plugin ${name}: ${s.flows} flows, ${s.alerts} alerts, ${s.sessions} sessions, ${s.errors} errors${counters ? `; ${counters}` : ''}\n`;
    for (const m of s.errorMessages) out += `    error: ${m}\n`;
  }
  if (host.droppedFlows > 0) out += `  rules: ${host.droppedFlows} flows dropped\n`;
  return out;
}
