/**
 * TeamSpeak, the way nDPI names it:
 * - TeamSpeak 3 voice (UDP): the connection handshake's packets carry `TS3INIT1` in place of the
 *   MAC (the only clear-text ones), at least 20 bytes.
 * - TeamSpeak 2 (TCP, as nDPI checks it): the login/connection packet header `F4 BE 0x 00`
 *   (class 1-3), at least 20 bytes.
 * - TeamSpeak 3's licence and weblist exchanges with the accounting servers (UDP 2008/2010/2011):
 *   short messages starting with 0x01, type 1 or 2 in byte 3, of four fixed shapes — weak alone,
 *   so only on those ports and only after three such datagrams.
 */
import { byteSet, CONTINUE, type Dissector, type FlowInfo, MATCH, onPort, type Payload, REJECT, startsWith, u32, type Verdict } from '../dissector.js';

const MIN_INIT = 20;
/** Datagrams of the licence/weblist shapes in a row that name the flow. */
const WEBLIST_DATAGRAMS = 3;

/** True on TeamSpeak 3's accounting (licence, weblist) ports. */
const accountingPort = (f: FlowInfo): boolean => onPort(f, 2008) || onPort(f, 2010) || onPort(f, 2011);

/** True when `b[off, end)` is one of the licence/weblist message shapes. Exported for tests. */
export function weblistMessage(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  if (b[off] !== 0x01) return false;
  if (n === 4 || n === 8) return b[off + 3] === 0x01;
  if (n === 5) return b[off + 3] === 0x02 && b[off + 4] === 0x00;
  if (n === 16) return b[off + 3] === 0x02 && u32(b, off + 11) === 0 && b[off + 15] === 0x00;
  return false;
}

interface TeamSpeakState {
  weblist: number;
}

function inspectTeamSpeak(p: Payload, st: TeamSpeakState): Verdict {
  const { b, off, end } = p;
  const n = end - off;
  if (p.flow.transport === 6) {
    // "\xF4\xBE" then class 1..3 and a zero byte.
    return n >= MIN_INIT && b[off] === 0xf4 && b[off + 1] === 0xbe && b[off + 2]! >= 1 && b[off + 2]! <= 3 && b[off + 3] === 0 ? MATCH : REJECT;
  }
  if (n >= MIN_INIT && b[off] === 0x54 && startsWith(b, off, end, 'TS3INIT1')) return MATCH;
  if (accountingPort(p.flow) && n <= 16 && weblistMessage(b, off, end)) return ++st.weblist >= WEBLIST_DATAGRAMS ? MATCH : CONTINUE;
  return REJECT;
}

/** TeamSpeak: TS3's init packets, TS2's connection header, TS3's licence/weblist datagrams on their ports. */
export const teamSpeak: Dissector<TeamSpeakState> = {
  name: 'TeamSpeak',
  transport: 'both',
  // TS2 header 0xF4, TS3INIT1, or a licence/weblist message (0x01, 4 bytes or more).
  first: { bytes: byteSet(0x01, 'T', 0xf4), minLength: 4 },
  state: () => ({ weblist: 0 }),
  inspect: inspectTeamSpeak,
};
