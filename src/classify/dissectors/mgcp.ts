/**
 * MGCP (RFC 3435), the call agent ↔ media gateway protocol on UDP (2427 gateways, 2727 call
 * agents). A command's first line is `VERB transaction-id endpoint MGCP 1.0`: one of the nine
 * verbs, a transaction id of 1 to 9 digits, an endpoint `local-name@domain`, the protocol name
 * and a `digit.digit` version, the line ended by CR LF or LF. nDPI names the flow from a
 * command (a flow that opens with a response is not named) and reports the endpoint's domain
 * as the flow's host.
 */
import { byteSet, type Dissector, MATCH, type Payload, REJECT, startsWith, type Verdict } from '../dissector.js';

const VERBS = ['AUEP', 'AUCX', 'CRCX', 'DLCX', 'EPCF', 'MDCX', 'NTFY', 'RQNT', 'RSIP'];
/** First letters of the verbs: a cheap first check. */
const FIRST = new Set(VERBS.map((v) => v.charCodeAt(0)));
const SP = 0x20;

/** Offset of the first byte of `b[from, end)` that is a space or a control character, or `end`. */
function fieldEnd(b: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i < end && b[i]! > SP && b[i]! < 0x7f) i++;
  return i;
}

/** Where the endpoint's domain starts in `b[from, to)`: after its `@`, else the whole endpoint. */
function domainStart(b: Uint8Array, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (b[i] === 0x40 /* @ */) return i + 1;
  return from;
}

/**
 * The command line at `off`: the endpoint's span as [start, end) packed in `span`, or false.
 * Exported for tests.
 */
export function mgcpCommand(b: Uint8Array, off: number, end: number, span: [number, number]): boolean {
  if (end - off < 8 || !FIRST.has(b[off]!) || b[off + 4] !== SP) return false;
  let verb = false;
  for (const v of VERBS) if (startsWith(b, off, end, v)) verb = true;
  if (!verb) return false;
  // The payload ends its last line (nDPI: the datagram ends with CR or LF).
  const last = b[end - 1];
  if (last !== 0x0a && last !== 0x0d) return false;
  // Transaction id: 1 to 9 digits.
  let i = off + 5;
  const tx = i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  if (i === tx || i - tx > 9 || b[i] !== SP) return false;
  const ep = i + 1;
  const epEnd = fieldEnd(b, ep, end);
  if (epEnd === ep || b[epEnd] !== SP) return false;
  // "MGCP" and a version digit.digit, then an end of field.
  const m = epEnd + 1;
  if (!startsWith(b, m, end, 'MGCP ') || end - m < 9) return false;
  const d = b[m + 5]!;
  const e = b[m + 7]!;
  if (d < 0x30 || d > 0x39 || b[m + 6] !== 0x2e || e < 0x30 || e > 0x39) return false;
  const after = b[m + 8];
  if (after !== SP && after !== 0x0d && after !== 0x0a) return false;
  span[0] = ep;
  span[1] = epEnd;
  return true;
}

const span: [number, number] = [0, 0];

function inspectMgcp(p: Payload): Verdict {
  const { b, off, end } = p;
  if (!mgcpCommand(b, off, end, span)) return REJECT;
  const from = domainStart(b, span[0], span[1]);
  if (from < span[1]) {
    let host = '';
    for (let i = from; i < span[1]; i++) host += String.fromCharCode(b[i]!);
    p.host(host.toLowerCase());
  }
  return MATCH;
}

/** MGCP: a command line on the first datagram; its endpoint's domain names the host. */
export const mgcp: Dissector = {
  name: 'MGCP',
  transport: 'udp',
  // A verb's first letter; `AUEP 1 e MGCP 1.0` and an end of line is the shortest.
  first: { bytes: byteSet(...FIRST), minLength: 18 },
  inspect: inspectMgcp,
};
