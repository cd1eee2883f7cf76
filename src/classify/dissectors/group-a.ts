/** Dissectors, group A (see index.ts for the order they are tried in). */
import type { Dissector } from '../dissector.js';

/** Group A's dissectors, in the order they are tried. */
export const GROUP_A: readonly Dissector[] = [];
