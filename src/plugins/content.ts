/**
 * A plugin's content rules (Snort style) over the flows it follows: one multi-pattern matcher
 * per plugin; TCP is scanned as a stream per direction (a match split across segments is
 * found), other transports datagram by datagram.
 */
import { SondaError } from '../errors.js';
import { ContentMatcher, enableLinearRegexFallback, type StreamMatchState } from '../search/content-matcher.js';
import type { RegexBudget } from '../search/content-rule.js';
import { type ContentRule, parseContentRules } from '../search/content-rule.js';
import type { ContentMatch, Direction } from './plugin.js';

/** Scans one flow direction at a time; `newState` per direction (both of a flow share `budget`). */
export interface ContentScanner {
  newBudget(): unknown;
  newState(budget: unknown): unknown;
  scan(state: unknown, dir: Direction, b: Uint8Array, off: number, end: number, stream: boolean, onMatch: (m: ContentMatch) => void): void;
  /** A hole in a stream direction: no match spans it. */
  gap(state: unknown, bytes: number): void;
}

/** Compiles a plugin's rule texts; a bad rule is an error naming the plugin and the line. */
export function makeContentScanner(texts: readonly string[], plugin: string): ContentScanner {
  const { rules, errors } = parseContentRules(texts.join('\n'));
  if (errors.length > 0) throw new SondaError('SONDA_E_BAD_PLUGIN', `plugin ${plugin}: content rule: ${errors[0]!.message}`);
  // Regular expressions on hostile payloads: V8 falls back to its linear engine on runaway backtracking.
  if (rules.some((r) => r.clauses.some((c) => c.kind === 'pcre'))) enableLinearRegexFallback();
  const matcher = new ContentMatcher(rules);
  const match = { sid: 0, msg: '', dir: 0 as Direction, offset: 0 };
  let sink: (m: ContentMatch) => void = () => undefined;
  let dirNow: Direction = 0;
  const report = (rule: ContentRule, end: number): void => {
    match.sid = rule.sid ?? rule.line;
    match.msg = rule.msg ?? '';
    match.dir = dirNow;
    match.offset = end;
    sink(match);
  };
  return {
    newBudget: () => matcher.newBudget(),
    newState: (budget) => matcher.newStreamState(undefined, budget as RegexBudget),
    gap: (state, bytes) => matcher.gap(state as StreamMatchState, bytes),
    scan(state, dir, b, off, end, stream, onMatch) {
      sink = onMatch;
      dirNow = dir;
      if (stream) matcher.stream(state as StreamMatchState, b, off, end, report);
      else matcher.packet(b, off, end, report);
    },
  };
}
