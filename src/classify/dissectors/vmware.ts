/**
 * VMware remote console and host management (TCP 902/903): the VMware Authentication Daemon
 * greets with an FTP-like `220 VMware Authentication Daemon Version …` line.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, startsWith } from '../dissector.js';

const GREETING = '220 VMware Authentication Daemon';

/** VMware: the authentication daemon's greeting as the server's first bytes. */
export const vmware: Dissector = {
  name: 'VMware',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 0) return p.packets[1] === 0 && p.index === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && startsWith(p.b, p.off, p.end, GREETING) ? MATCH : REJECT;
  },
};
