/** The plugin SDK (docs/plugins.md). */
export { type AlertListener, PluginHost, type PluginHostOptions, type PluginStats } from './host.js';
export { type PluginRun, type RunPluginOptions, runPlugin } from './harness.js';
export { loadPlugins } from './load.js';
export * from './plugin.js';
