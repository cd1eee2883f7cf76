/**
 * Tokens of pcap-filter(7) expressions, cut as libpcap's scanner cuts them: the longest match
 * wins, and on a tie keywords come first, then MAC addresses, numbers, dotted IPv4 prefixes,
 * IPv6 addresses and last plain names. That is why `len-20` is one (unknown) name and
 * `portrange 1-1023` carries its range as a name, exactly as in tcpdump.
 */
import { FilterSyntaxError } from './error.js';

export const Tok = {
  Eof: 0,
  /** A number: decimal, 0x hex, 0 octal, or a named constant (`tcp-syn`, `icmptype` …). */
  Num: 1,
  /** Dotted IPv4 address or prefix (`10.1`, `192.168.0.1`). */
  Hid: 2,
  /** IPv6 address. */
  Hid6: 3,
  /** MAC address. */
  Eid: 4,
  /** A name: host, service, protocol; `\name` escapes a keyword. */
  Id: 5,
  /** A keyword; `text` holds its canonical spelling. */
  Kw: 6,
  /** Punctuation or operator; `text` holds it (`==` is `=`, `&&` is `and`, `||` is `or`, `!` is `not`). */
  Op: 7,
} as const;
export type Tok = (typeof Tok)[keyof typeof Tok];

export interface Token {
  kind: Tok;
  /** Canonical text: the keyword, the operator, the name or the literal as written. */
  text: string;
  /** Value of a `Num`. */
  value: number;
  /** 0-based character index of the token in the expression. */
  pos: number;
  end: number;
}

/** Keywords and their canonical names (aliases map to one name). */
const KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['dst', 'dst'],
  ['src', 'src'],
  ['link', 'link'],
  ['ether', 'link'],
  ['ppp', 'link'],
  ['slip', 'link'],
  ['fddi', 'link'],
  ['tr', 'link'],
  ['wlan', 'link'],
  ['arp', 'arp'],
  ['rarp', 'rarp'],
  ['ip', 'ip'],
  ['sctp', 'sctp'],
  ['tcp', 'tcp'],
  ['udp', 'udp'],
  ['icmp', 'icmp'],
  ['igmp', 'igmp'],
  ['igrp', 'igrp'],
  ['pim', 'pim'],
  ['vrrp', 'vrrp'],
  ['carp', 'carp'],
  ['radio', 'radio'],
  ['ip6', 'ip6'],
  ['icmp6', 'icmp6'],
  ['ah', 'ah'],
  ['esp', 'esp'],
  ['atalk', 'atalk'],
  ['aarp', 'aarp'],
  ['decnet', 'decnet'],
  ['lat', 'lat'],
  ['sca', 'sca'],
  ['moprc', 'moprc'],
  ['mopdl', 'mopdl'],
  ['iso', 'iso'],
  ['esis', 'esis'],
  ['es-is', 'esis'],
  ['isis', 'isis'],
  ['is-is', 'isis'],
  ['l1', 'l1'],
  ['l2', 'l2'],
  ['iih', 'iih'],
  ['lsp', 'lsp'],
  ['snp', 'snp'],
  ['csnp', 'csnp'],
  ['psnp', 'psnp'],
  ['clnp', 'clnp'],
  ['stp', 'stp'],
  ['ipx', 'ipx'],
  ['netbeui', 'netbeui'],
  ['host', 'host'],
  ['net', 'net'],
  ['mask', 'mask'],
  ['netmask', 'mask'],
  ['port', 'port'],
  ['portrange', 'portrange'],
  ['proto', 'proto'],
  ['protochain', 'protochain'],
  ['gateway', 'gateway'],
  ['type', 'type'],
  ['subtype', 'subtype'],
  ['direction', 'dir'],
  ['dir', 'dir'],
  ['address1', 'addr1'],
  ['addr1', 'addr1'],
  ['address2', 'addr2'],
  ['addr2', 'addr2'],
  ['address3', 'addr3'],
  ['addr3', 'addr3'],
  ['address4', 'addr4'],
  ['addr4', 'addr4'],
  ['ra', 'ra'],
  ['ta', 'ta'],
  ['less', 'less'],
  ['greater', 'greater'],
  ['byte', 'byte'],
  ['cbyte', 'byte'],
  ['broadcast', 'broadcast'],
  ['multicast', 'multicast'],
  ['and', 'and'],
  ['or', 'or'],
  ['not', 'not'],
  ['len', 'len'],
  ['length', 'len'],
  ['inbound', 'inbound'],
  ['outbound', 'outbound'],
  ['ifindex', 'ifindex'],
  ['vlan', 'vlan'],
  ['mpls', 'mpls'],
  ['pppoed', 'pppoed'],
  ['pppoes', 'pppoes'],
  ['geneve', 'geneve'],
  ['lane', 'lane'],
  ['llc', 'llc'],
  ['metac', 'metac'],
  ['bcc', 'bcc'],
  ['oam', 'oam'],
  ['oamf4', 'oamf4'],
  ['oamf4ec', 'oamf4ec'],
  ['oamf4sc', 'oamf4sc'],
  ['sc', 'sc'],
  ['ilmic', 'ilmic'],
  ['vpi', 'vpi'],
  ['vci', 'vci'],
  ['connectmsg', 'connectmsg'],
  ['metaconnect', 'metaconnect'],
  ['on', 'on'],
  ['ifname', 'on'],
  ['rnr', 'rnr'],
  ['rulenum', 'rnr'],
  ['reason', 'reason'],
  ['rset', 'rset'],
  ['ruleset', 'rset'],
  ['srnr', 'srnr'],
  ['subrulenum', 'srnr'],
  ['action', 'action'],
  ['fisu', 'fisu'],
  ['lssu', 'lssu'],
  ['lsu', 'lssu'],
  ['msu', 'msu'],
  ['hfisu', 'hfisu'],
  ['hlssu', 'hlssu'],
  ['hmsu', 'hmsu'],
  ['sio', 'sio'],
  ['opc', 'opc'],
  ['dpc', 'dpc'],
  ['sls', 'sls'],
  ['hsio', 'hsio'],
  ['hopc', 'hopc'],
  ['hdpc', 'hdpc'],
  ['hsls', 'hsls'],
]);

/** Named constants of pcap-filter(7): scanned as numbers, usable wherever a number is. */
const NAMED_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['icmptype', 0],
  ['icmpcode', 1],
  ['icmp-echoreply', 0],
  ['icmp-unreach', 3],
  ['icmp-sourcequench', 4],
  ['icmp-redirect', 5],
  ['icmp-echo', 8],
  ['icmp-routeradvert', 9],
  ['icmp-routersolicit', 10],
  ['icmp-timxceed', 11],
  ['icmp-paramprob', 12],
  ['icmp-tstamp', 13],
  ['icmp-tstampreply', 14],
  ['icmp-ireq', 15],
  ['icmp-ireqreply', 16],
  ['icmp-maskreq', 17],
  ['icmp-maskreply', 18],
  ['icmp6type', 0],
  ['icmp6code', 1],
  ['icmp6-destinationunreach', 1],
  ['icmp6-packettoobig', 2],
  ['icmp6-timeexceeded', 3],
  ['icmp6-parameterproblem', 4],
  ['icmp6-echo', 128],
  ['icmp6-echoreply', 129],
  ['icmp6-multicastlistenerquery', 130],
  ['icmp6-multicastlistenerreportv1', 131],
  ['icmp6-multicastlistenerdone', 132],
  ['icmp6-routersolicit', 133],
  ['icmp6-routeradvert', 134],
  ['icmp6-neighborsolicit', 135],
  ['icmp6-neighboradvert', 136],
  ['icmp6-redirect', 137],
  ['icmp6-routerrenum', 138],
  ['icmp6-nodeinformationquery', 139],
  ['icmp6-nodeinformationresponse', 140],
  ['icmp6-ineighbordiscoverysolicit', 141],
  ['icmp6-ineighbordiscoveryadvert', 142],
  ['icmp6-multicastlistenerreportv2', 143],
  ['icmp6-homeagentdiscoveryrequest', 144],
  ['icmp6-homeagentdiscoveryreply', 145],
  ['icmp6-mobileprefixsolicit', 146],
  ['icmp6-mobileprefixadvert', 147],
  ['icmp6-certpathsolicit', 148],
  ['icmp6-certpathadvert', 149],
  ['icmp6-multicastrouteradvert', 151],
  ['icmp6-multicastroutersolicit', 152],
  ['icmp6-multicastrouterterm', 153],
  ['tcpflags', 13],
  ['tcp-fin', 0x01],
  ['tcp-syn', 0x02],
  ['tcp-rst', 0x04],
  ['tcp-push', 0x08],
  ['tcp-ack', 0x10],
  ['tcp-urg', 0x20],
  ['tcp-ece', 0x40],
  ['tcp-cwr', 0x80],
]);

/** Operators, longest first so that `<<` is not read as `<` `<`. */
const OPERATORS = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '(', ')', '[', ']', ':', '+', '-', '*', '/', '%', '&', '|', '^', '!', '<', '>', '='] as const;
const OP_CANON: Readonly<Record<string, string>> = { '&&': 'and', '||': 'or', '!': 'not', '==': '=' };

const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** Length of libpcap's name pattern `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?` at `i`. */
function idLength(s: string, i: number): number {
  if (!isAlnum(s.charCodeAt(i))) return 0;
  let last = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (isAlnum(c) || c === 46 /* . */) last = j + 1;
    else if (c !== 45 /* - */ && c !== 95 /* _ */) break;
  }
  return last - i;
}

/** Length of a number `[0-9]+` or `0x[0-9a-f]+` at `i`. */
function numLength(s: string, i: number): number {
  if (!isDigit(s.charCodeAt(i))) return 0;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && isHex(s.charCodeAt(i + 2))) {
    let j = i + 2;
    while (isHex(s.charCodeAt(j))) j++;
    return j - i;
  }
  let j = i;
  while (isDigit(s.charCodeAt(j))) j++;
  return j - i;
}

/** Length of 2 to 4 dot-separated numbers at `i` (libpcap's HID). */
function hidLength(s: string, i: number): number {
  let j = i;
  let parts = 0;
  let best = 0;
  for (;;) {
    const n = numLength(s, j);
    if (n === 0) break;
    j += n;
    parts++;
    if (parts >= 2) best = j - i;
    if (parts === 4 || s[j] !== '.') break;
    j++;
  }
  return best;
}

/** Length of a MAC address at `i`: six 1–2 digit hex groups split by `:`, `-` or `.`, `xxxx.xxxx.xxxx`, or 12 hex digits. */
function macLength(s: string, i: number): number {
  let best = 0;
  for (const sep of [':', '-', '.']) {
    let j = i;
    let groups = 0;
    for (;;) {
      let k = j;
      while (k - j < 2 && isHex(s.charCodeAt(k))) k++;
      if (k === j) break;
      groups++;
      j = k;
      if (groups === 6 || s[j] !== sep) break;
      j++;
    }
    if (groups === 6) best = Math.max(best, j - i);
  }
  let j = i;
  let groups = 0;
  for (;;) {
    let k = j;
    while (k - j < 4 && isHex(s.charCodeAt(k))) k++;
    if (k - j !== 4) break;
    groups++;
    j = k;
    if (groups === 3 || s[j] !== '.') break;
    j++;
  }
  if (groups === 3) best = Math.max(best, j - i);
  // Twelve hex digits in a row.
  let h = i;
  while (h - i < 12 && isHex(s.charCodeAt(h))) h++;
  if (h - i === 12) best = Math.max(best, 12);
  return best;
}

/** Length of the longest IPv6 address at `i` (none: 0). */
function ipv6Length(s: string, i: number): number {
  let j = i;
  while (j < s.length && (isHex(s.charCodeAt(j)) || s[j] === ':' || s[j] === '.')) j++;
  for (let end = j; end > i + 1; end--) {
    const text = s.slice(i, end);
    if (text.includes(':') && parseIpv6(text) !== null) return end - i;
  }
  return 0;
}

/** The 16 bytes of an IPv6 address in text (with `::` and an optional dotted-quad tail), or null. */
export function parseIpv6(text: string): Uint8Array | null {
  let str = text;
  const words: number[] = [];
  let tail: number[] = [];
  if (str.includes('.')) {
    const at = str.lastIndexOf(':') + 1;
    const v4 = parseDottedQuad(str.slice(at));
    if (v4 === null || at === 0) return null;
    tail = [(v4 >>> 16) & 0xffff, v4 & 0xffff];
    str = str.slice(0, at);
    // "::1.2.3.4" leaves "::", "a:b::1.2.3.4" leaves "a:b::", "a:…:f:1.2.3.4" leaves "a:…:f:".
    if (str.endsWith(':') && !str.endsWith('::')) str = str.slice(0, -1);
  }
  const halves = str.split('::');
  if (halves.length > 2) return null;
  const group = (x: string): number[] | null => {
    if (x === '') return [];
    const out: number[] = [];
    for (const w of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
      out.push(Number.parseInt(w, 16));
    }
    return out;
  };
  const left = group(halves[0]!);
  const right = halves.length === 2 ? group(halves[1]!) : [];
  if (left === null || right === null) return null;
  const given = left.length + right.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  words.push(...left);
  if (halves.length === 2) for (let k = given; k < 8; k++) words.push(0);
  words.push(...right, ...tail);
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    out[2 * k] = words[k]! >> 8;
    out[2 * k + 1] = words[k]! & 0xff;
  }
  return out;
}

function parseDottedQuad(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return null;
    v = v * 256 + Number(p);
  }
  return v;
}

/**
 * The value of a number as libpcap reads it: `0x` hex, a leading `0` octal, else decimal;
 * more than 32 bits is an error.
 */
function numberValue(text: string, pos: number, expression: string): number {
  let v: number;
  if (/^0[xX]/.test(text)) v = Number.parseInt(text.slice(2), 16);
  else if (text.length > 1 && text[0] === '0') {
    if (/[89]/.test(text)) throw new FilterSyntaxError(`number ${text} contains non-octal digit`, expression, pos);
    v = Number.parseInt(text, 8);
  } else v = Number(text);
  if (v > 0xffffffff) throw new FilterSyntaxError(`number ${text} overflows 32 bits`, expression, pos);
  return v;
}

/** Splits an expression into tokens; throws `FilterSyntaxError` on a character no token can hold. */
export function tokenize(expression: string): Token[] {
  const s = expression;
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    if (c === 92 /* \ */) {
      // An escaped name: everything up to a space, '!', '(' or ')'.
      let j = i + 1;
      while (j < s.length && !' !()\n\t'.includes(s[j]!)) j++;
      if (j === i + 1) throw new FilterSyntaxError('illegal character', s, i);
      out.push({ kind: Tok.Id, text: s.slice(i + 1, j), value: 0, pos: i, end: j });
      i = j;
      continue;
    }
    const lId = idLength(s, i);
    const lNum = numLength(s, i);
    const lHid = hidLength(s, i);
    const lMac = macLength(s, i);
    const lV6 = ipv6Length(s, i);
    const longest = Math.max(lId, lNum, lHid, lMac, lV6);
    if (longest > 0) {
      const text = s.slice(i, i + longest);
      const pos = i;
      i += longest;
      // Ties go to the rule libpcap lists first: keywords, MAC, numbers, IPv4, IPv6, names
      // (so `0011.2233.4455` and `001122334455` are MAC addresses, as in tcpdump).
      // Keywords are case-sensitive, as in libpcap: `TCP` is a name.
      if (lId === longest && KEYWORDS.has(text)) out.push({ kind: Tok.Kw, text: KEYWORDS.get(text)!, value: 0, pos, end: i });
      else if (lId === longest && NAMED_NUMBERS.has(text)) out.push({ kind: Tok.Num, text, value: NAMED_NUMBERS.get(text)!, pos, end: i });
      else if (lMac === longest) out.push({ kind: Tok.Eid, text, value: 0, pos, end: i });
      else if (lNum === longest) out.push({ kind: Tok.Num, text, value: numberValue(text, pos, s), pos, end: i });
      else if (lHid === longest) out.push({ kind: Tok.Hid, text, value: 0, pos, end: i });
      else if (lV6 === longest) out.push({ kind: Tok.Hid6, text, value: 0, pos, end: i });
      else out.push({ kind: Tok.Id, text, value: 0, pos, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (op === undefined) throw new FilterSyntaxError(`illegal character '${s[i]}'`, s, i);
    const canon = OP_CANON[op];
    if (canon === 'and' || canon === 'or' || canon === 'not') out.push({ kind: Tok.Kw, text: canon, value: 0, pos: i, end: i + op.length });
    else out.push({ kind: Tok.Op, text: canon ?? op, value: 0, pos: i, end: i + op.length });
    i += op.length;
  }
  out.push({ kind: Tok.Eof, text: '', value: 0, pos: s.length, end: s.length });
  return out;
}
