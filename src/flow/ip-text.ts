/** IPv4 address word to dotted-quad text. */
export function ipv4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** IPv6 address (four big-endian words) to RFC 5952 text: lower case, longest zero run as "::". */
export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 §5).
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${ipv4Text(w3 >>> 0)}`;
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** IPv4 dotted quad to a word, or undefined. Each part is 1–3 decimal digits, at most 255. */
export function parseIpv4(s: string): number | undefined {
  let word = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 0x2e) {
      if (digits === 0 || ++dots > 3) return undefined;
      word = word * 256 + part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return word * 256 + part;
}

/**
 * IPv6 text (RFC 4291 §2.2: hex groups, one `::`, an IPv4 tail) to four words, or undefined.
 * Zone ids (`%eth0`) are not addresses and are refused.
 */
export function parseIpv6(s: string): [number, number, number, number] | undefined {
  const groups: number[] = [];
  let gap = -1; // index in `groups` where the `::` run goes
  let i = 0;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
  } else if (s.startsWith(':')) return undefined;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s[j] !== ':') j++;
    const part = s.slice(i, j);
    if (part.includes('.')) {
      // An IPv4 tail is the last part and counts for two groups.
      if (j !== s.length) return undefined;
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = j;
      break;
    }
    if (part.length === 0 || part.length > 4 || !/^[0-9a-fA-F]+$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
    if (j === s.length) {
      i = j;
      break;
    }
    if (s[j + 1] === ':') {
      if (gap >= 0) return undefined; // a second `::`
      gap = groups.length;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === s.length) return undefined; // trailing single ':'
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  const g = new Array<number>(8).fill(0);
  if (gap < 0) for (let k = 0; k < 8; k++) g[k] = groups[k]!;
  else {
    for (let k = 0; k < gap; k++) g[k] = groups[k]!;
    const tail = groups.length - gap;
    for (let k = 0; k < tail; k++) g[8 - tail + k] = groups[gap + k]!;
  }
  return [(g[0]! * 65536 + g[1]!) >>> 0, (g[2]! * 65536 + g[3]!) >>> 0, (g[4]! * 65536 + g[5]!) >>> 0, (g[6]! * 65536 + g[7]!) >>> 0];
}

/** Parses an address into four big-endian words (IPv4 in word 0); undefined when not an address. */
export function parseAddress(text: string): { version: 4 | 6; words: Uint32Array } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, words: Uint32Array.of(v4, 0, 0, 0) };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { version: 6, words: Uint32Array.from(v6) };
}
