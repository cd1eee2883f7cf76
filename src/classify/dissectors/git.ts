/**
 * The git protocol (git://, TCP 9418): the client's first segment is one pkt-line — four hex
 * digits giving its length, prefix included — requesting `git-upload-pack`, `git-receive-pack`
 * or `git-upload-archive` and a path.
 */
import { byteSet, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const SERVICES = ['git-upload-pack ', 'git-receive-pack ', 'git-upload-archive '];

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** True when `b[off, end)` starts with a git service request pkt-line that fits it. */
export function isGitRequest(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 20) return false;
  let len = 0;
  for (let i = 0; i < 4; i++) {
    const d = hexDigit(b[off + i]!);
    if (d < 0) return false;
    len = len * 16 + d;
  }
  return len > 4 + 16 && len === end - off && SERVICES.some((s) => startsWith(b, off + 4, end, s));
}

/** git://: the client's service request. */
export const git: Dissector = {
  name: 'Git',
  transport: 'tcp',
  // The pkt-line's first lower-case hex digit; a request is over 20 bytes.
  first: { bytes: byteSet([0x30, 0x39], [0x61, 0x66]), minLength: 21 },
  inspect: (p) => (p.dir === 0 && p.streamOffset === 0 && isGitRequest(p.b, p.off, p.end) ? MATCH : REJECT),
};
