/**
 * Crypto-currency mining pools (nDPI's `Mining`): the Stratum protocol and its variants, one
 * JSON-RPC object per line. The miner's first message names a pool method: `mining.subscribe`
 * / `mining.authorize` (Stratum v1), `eth_submitLogin` / `eth_login` (Ethereum proxies), or
 * `login` with a password and an agent (Monero's xmrig).
 */
import { CONTINUE, type Dissector, MATCH, REJECT, indexOf } from '../dissector.js';

const METHODS = ['"mining.subscribe"', '"mining.authorize"', '"mining.extranonce.subscribe"', '"eth_submitLogin"', '"eth_login"', '"eth_getWork"', '"eth_submitWork"'];
/** How far into the message the method is looked for. */
const HEAD = 2048;

/** A Stratum-like JSON-RPC request at `b[off, end)`. */
export function isStratumRequest(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 20 || b[off] !== 0x7b) return false;
  const last = Math.min(end, off + HEAD);
  const method = indexOf(b, off, last, '"method"');
  if (method < 0) return false;
  for (const m of METHODS) if (indexOf(b, method, last, m) >= 0) return true;
  // xmrig: {"method":"login","params":{"login":…,"pass":…,"agent":…}}
  return indexOf(b, method, last, '"login"') >= 0 && indexOf(b, off, last, '"pass"') >= 0 && indexOf(b, off, last, '"agent"') >= 0;
}

/** Mining pool traffic over TCP: the client's first message. */
export const mining: Dissector = {
  name: 'Mining',
  transport: 'tcp',
  inspect(p) {
    if (p.dir === 1) return p.packets[0] === 0 ? CONTINUE : REJECT;
    return p.streamOffset === 0 && isStratumRequest(p.b, p.off, p.end) ? MATCH : REJECT;
  },
};
