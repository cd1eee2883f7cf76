/**
 * JSON-RPC sent bare over TCP (not inside HTTP): the first payload is a JSON object (or a batch
 * array of them) whose first member is `"jsonrpc"` with version `"2.0"` (or a 1.0-style request
 * with `"method"` … `"id"`). JSON-RPC inside HTTP bodies is the HTTP flow's; mining pools'
 * Stratum (JSON-RPC too) is left to the Mining dissector.
 */
import { byteSet, type Dissector, indexOf, MATCH, REJECT } from '../dissector.js';

/** Methods of mining pools' Stratum dialects: nDPI names those flows Mining. */
const MINING_PREFIXES = ['mining.', 'eth_submit'];
const MINING_METHODS = ['eth_getWork', 'login', 'submit', 'getjob', 'keepalived'];

/** The value of the `"method"` member (up to 32 characters), or '' when absent. */
function methodName(b: Uint8Array, from: number, end: number): string {
  const m = indexOf(b, from, end, '"method"');
  if (m < 0) return '';
  let j = m + 8;
  while (j < end && (b[j] === 0x20 || b[j] === 0x3a)) j++;
  if (j >= end || b[j] !== 0x22) return '';
  let s = '';
  for (j++; j < end && b[j] !== 0x22 && s.length < 32; j++) s += String.fromCharCode(b[j]!);
  return s;
}

/** True when `b[off, end)` opens a JSON-RPC request or response (not a mining pool's). */
export function isJsonRpc(b: Uint8Array, off: number, end: number): boolean {
  let i = off;
  const ws = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  while (i < end && ws(b[i])) i++;
  if (i < end && b[i] === 0x5b) {
    i++;
    while (i < end && ws(b[i])) i++;
  }
  if (i >= end || b[i] !== 0x7b) return false;
  const head = Math.min(end, i + 512);
  const method = methodName(b, i, head);
  if (MINING_PREFIXES.some((m) => method.startsWith(m)) || MINING_METHODS.includes(method)) return false;
  const v = indexOf(b, i, head, '"jsonrpc"');
  if (v >= 0) {
    let j = v + 9;
    while (j < head && ws(b[j])) j++;
    if (j >= head || b[j] !== 0x3a) return false;
    j++;
    while (j < head && ws(b[j])) j++;
    return indexOf(b, j, Math.min(head, j + 5), '"2.0"') === j;
  }
  return indexOf(b, i, head, '"method"') >= 0 && indexOf(b, i, head, '"params"') >= 0 && indexOf(b, i, end, '"id"') >= 0;
}

/** JSON-RPC over plain TCP, on the first payload. */
export const jsonRpc: Dissector = {
  name: 'JSON-RPC',
  transport: 'tcp',
  // Whitespace, a batch or an object; `{"jsonrpc":"2.0"` is the shortest.
  first: { bytes: byteSet(' \t\r\n[{'), minLength: 16 },
  inspect: (p) => (p.streamOffset === 0 && isJsonRpc(p.b, p.off, p.end) ? MATCH : REJECT),
};
