/** Dissectors, group C (see index.ts for the order they are tried in). */
import type { Dissector } from '../dissector.js';

/** Group C's dissectors, in the order they are tried. */
export const GROUP_C: readonly Dissector[] = [];
