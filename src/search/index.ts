/** Content search: multi-pattern automaton, Snort-like content rules, and their matcher for packets and streams. */
export { AhoCorasick, type AhoCorasickOptions, type MatchCallback, type Pattern, ScanState } from './aho-corasick.js';
export { type ContentMatchCallback, ContentMatcher, type ContentMatcherOptions, type ContentMatcherStats, type ContentWeird, DEFAULT_CONTENT_MATCHER_OPTIONS, enableLinearRegexFallback, type PacketContext, StreamMatchState } from './content-matcher.js';
export { type Clause, type ContentAction, type ContentClause, type ContentRule, FOLD, findContent, Haystack, nestedQuantifier, type PcreClause, parseContentRule, parseContentRules, RegexBudget, VerifyContext, verifyRule } from './content-rule.js';
