/** Dissectors, group B (see index.ts for the order they are tried in). */
import type { Dissector } from '../dissector.js';

/** Group B's dissectors, in the order they are tried. */
export const GROUP_B: readonly Dissector[] = [];
