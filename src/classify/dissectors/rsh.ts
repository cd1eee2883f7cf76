/**
 * RSH (BSD remote shell, TCP 514). The client opens with the port for the error stream in ASCII
 * digits ended by a NUL ("0\0" for none), then three NUL-terminated strings: the local user, the
 * remote user and the command. A flow is RSH when its client's first bytes are exactly that.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, type Verdict } from '../dissector.js';

/** Longest user name or command looked at. */
const MAX_FIELD = 1024;

/** The offset after a NUL-terminated printable string at `at` (at most `max` bytes), or -1. */
function cString(b: Uint8Array, at: number, end: number, max: number): number {
  const stop = Math.min(end, at + max + 1);
  for (let i = at; i < stop; i++) {
    const c = b[i]!;
    if (c === 0) return i + 1;
    if (c < 0x20 || c > 0x7e) return -1;
  }
  return -1;
}

/** The offset after the error-port field (1 to 5 digits and a NUL) at `off`, or -1. Exported for tests. */
export function rshPort(b: Uint8Array, off: number, end: number): number {
  let i = off;
  while (i < end && i - off < 5 && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i > off && i < end && b[i] === 0 ? i + 1 : -1;
}

/** True when `b[at, end)` is exactly the three strings: local user, remote user, command. Exported for tests. */
export function rshLogin(b: Uint8Array, at: number, end: number): boolean {
  const local = cString(b, at, end, 64);
  if (local <= at + 1) return false;
  const remote = cString(b, local, end, 64);
  if (remote <= local + 1) return false;
  return cString(b, remote, end, MAX_FIELD) === end;
}

interface RshState {
  /** The client's error-port field was seen alone. */
  port: boolean;
}

function inspectRsh(p: Payload, st: RshState): Verdict {
  const { b, off, end } = p;
  if (p.dir !== 0) return st.port ? CONTINUE : REJECT;
  if (!st.port) {
    if (p.streamOffset !== 0) return REJECT;
    const after = rshPort(b, off, end);
    if (after < 0) return REJECT;
    if (after === end) {
      st.port = true;
      return CONTINUE;
    }
    return rshLogin(b, after, end) ? MATCH : REJECT;
  }
  return rshLogin(b, off, end) ? MATCH : REJECT;
}

/** RSH: the client's error port, then local user, remote user and command. */
export const rsh: Dissector<RshState> = {
  name: 'RSH',
  transport: 'tcp',
  // Only the client's error-port digits and their NUL open a flow.
  first: { bytes: byteSet('0123456789'), minLength: 2 },
  state: () => ({ port: false }),
  inspect: inspectRsh,
};
