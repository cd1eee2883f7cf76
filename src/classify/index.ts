/**
 * Application classification: names every flow's protocol and application in nDPI's
 * vocabulary (see docs/classification.md). The classifier is a consumer of the engine; put it
 * after the parsers so it can read the names they found.
 */
import type { Consumer } from '../engine/consumer.js';
import { type Catalog, loadCatalog } from './catalog.js';
import { Classifier, type ClassifierOptions } from './classifier.js';
import type { Dissector } from './dissector.js';
import { CORE_DISSECTORS } from './dissectors/core.js';
import type { ProtocolEntry } from './protocol-file.js';
import { GROUP_A } from './dissectors/group-a.js';
import { GROUP_B } from './dissectors/group-b.js';
import { GROUP_C } from './dissectors/group-c.js';
import { GROUP_D } from './dissectors/group-d.js';
import { GROUP_E } from './dissectors/group-e.js';

export { type AppField, Classifier, type ClassifierOptions } from './classifier.js';
export { Catalog, type KnownProtocol, loadCatalog } from './catalog.js';
export * from './dissector.js';
export { type ProtocolEntry, parseProtocolFile } from './protocol-file.js';
export { RISK, flowRisks, looksLikeDga } from './risks.js';

/** Every built-in dissector, in the order they are tried. */
export const DISSECTORS: readonly Dissector[] = [...CORE_DISSECTORS, ...GROUP_A, ...GROUP_B, ...GROUP_C, ...GROUP_D, ...GROUP_E];

/** Options of `createClassifier`. */
export interface CreateClassifierOptions extends Partial<Omit<ClassifierOptions, 'catalog'>> {
  /** User protocol files (`--protos`), read after the built-in ones. */
  protos?: readonly string[];
  /** Entries added after the built-in ones and before `protos` files (a plugin's own applications). */
  entries?: readonly ProtocolEntry[];
  /** A ready catalog (instead of loading one). */
  catalog?: Catalog;
  /** Dissectors added before the built-in ones (a plugin's own protocol). */
  extraDissectors?: readonly Dissector[];
}

/** A classifier with the built-in dissectors and protocol files (plus the user's). */
export function createClassifier(opts: CreateClassifierOptions = {}): Classifier {
  return new Classifier({
    catalog: opts.catalog ?? loadCatalog(opts.protos, opts.entries),
    dissectors: [...(opts.extraDissectors ?? []), ...(opts.dissectors ?? DISSECTORS)],
    packetBudget: opts.packetBudget,
    risks: opts.risks,
  });
}

/** The classifier as the engine consumer (one per engine). */
export function classifierConsumer(opts: CreateClassifierOptions = {}): Consumer {
  return createClassifier(opts).consumer as Consumer;
}
