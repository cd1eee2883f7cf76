/** Rule table (PF_RING style) and its text form. */
export { ANY_PORTS, type Cidr, type PortRange, parseCidr, parseIpv4, parseIpv6, parsePortRange, parseProtocol, PROTOCOL_NUMBERS } from './address.js';
export { DEFAULT_RULE_TABLE_LIMITS, type Rule, type RuleAction, type RuleId, RuleSelector, RuleTable, type RuleTableLimits, type RuleTableStats, RuleTuple } from './rule-table.js';
export { parseHeader, parseRule, parseRules, type RuleHeader, RuleSyntaxError, type Token, tokenize, unquote } from './rule-text.js';
