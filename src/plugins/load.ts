/**
 * Loads plugin modules by path: TypeScript directly (through tsx's loader, no build step for
 * the user) or JavaScript. A module's default export is a plugin or an array of plugins (a
 * named export `plugin` or `plugins` is accepted too).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SondaError } from '../errors.js';
import type { Plugin } from './plugin.js';

const TS = /\.(ts|mts|cts|tsx)$/;

function pluginsOf(mod: Record<string, unknown>, path: string): Plugin[] {
  let v = mod.default ?? mod.plugins ?? mod.plugin;
  // A TypeScript file outside an ESM package is compiled as CommonJS: its exports sit one level down.
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as Plugin).name !== 'string') {
    const inner = v as Record<string, unknown>;
    v = inner.default ?? inner.plugins ?? inner.plugin;
  }
  const list = Array.isArray(v) ? v : [v];
  for (const p of list) {
    if (p === null || typeof p !== 'object' || typeof (p as Plugin).name !== 'string') {
      throw new SondaError('SONDA_E_BAD_PLUGIN', `${path}: the default export is not a plugin (an object with a name, see docs/plugins.md)`);
    }
  }
  return list as Plugin[];
}

/** Imports the plugin modules, in order. Errors name the file. */
export async function loadPlugins(paths: readonly string[]): Promise<Plugin[]> {
  const out: Plugin[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new SondaError('SONDA_E_BAD_PLUGIN', `plugin file not found: ${p}`);
    const url = pathToFileURL(abs).href;
    let mod: Record<string, unknown>;
    try {
      if (TS.test(abs)) {
        const { tsImport } = await import('tsx/esm/api');
        mod = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
      } else mod = (await import(url)) as Record<string, unknown>;
    } catch (e) {
      throw new SondaError('SONDA_E_BAD_PLUGIN', `loading plugin ${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
    out.push(...pluginsOf(mod, p));
  }
  return out;
}
