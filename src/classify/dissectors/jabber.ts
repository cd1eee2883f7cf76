/**
 * Jabber / XMPP (RFC 6120) on TCP, as nDPI names it ("Jabber"). A client opens its stream with
 * an XML declaration and/or a `<stream:stream` element declaring the
 * `http://etherx.jabber.org/streams` namespace; a capture picked up mid-connection shows
 * stanzas (`<presence>`, `<iq>`, `<message>`) in a Jabber/XMPP namespace, or the closing
 * `</stream:stream>`. On the legacy client ports (5222/5223) nDPI also names the old "SSL"
 * framing some servers use there: each payload starts with a type byte, a zero and its own
 * length; three such payloads of the opening types, then a fourth, name the flow.
 */
import { byteSet, CONTINUE, type Dissector, indexOf, MATCH, onPort, type Payload, REJECT, startsWith, type Verdict } from '../dissector.js';

/** Payloads an opening without its namespace (yet) may wait for the rest. */
const MAX_OPENING_WAIT = 4;
/** Legacy framed payloads in a row that name the flow (as nDPI: the fourth). */
const LEGACY_FRAMES = 4;
/** First bytes of the legacy framing's payloads before the fourth. */
const LEGACY_TYPES = new Set([0x25, 0x26, 0x30]);

interface JabberState {
  /** Payloads seen that opened a stream without naming its namespace. */
  waits: number;
  /** Legacy framed payloads seen in a row. */
  legacy: number;
}

/** True when `b[off, end)` names an XMPP namespace, in either quote style. */
function hasStreamNamespace(b: Uint8Array, off: number, end: number): boolean {
  return indexOf(b, off, end, "xmlns:stream='http://etherx.jabber.org/streams'") >= 0 || indexOf(b, off, end, 'xmlns:stream="http://etherx.jabber.org/streams"') >= 0;
}

/** True when a stanza carries one of the Jabber/XMPP namespaces. */
function hasStanzaNamespace(b: Uint8Array, off: number, end: number): boolean {
  return indexOf(b, off, end, 'http://jabber.org/protocol/') >= 0 || indexOf(b, off, end, "xmlns='jabber:") >= 0 || indexOf(b, off, end, 'xmlns="jabber:') >= 0;
}

/** The legacy framing: byte 1 zero, byte 2 the payload's length. */
function legacyFrame(b: Uint8Array, off: number, end: number): boolean {
  const n = end - off;
  return n >= 3 && n < 256 && b[off + 1] === 0 && b[off + 2] === n;
}

function inspectJabber(p: Payload, st: JabberState): Verdict {
  const { b, off, end } = p;
  if (end - off < 3) return REJECT;
  if (b[off] !== 0x3c /* < */) {
    // The rest of a stream header split over segments.
    if (st.waits > 0 && st.waits <= MAX_OPENING_WAIT && hasStreamNamespace(b, off, end)) return MATCH;
    if (!legacyFrame(b, off, end) || !(onPort(p.flow, 5222) || onPort(p.flow, 5223))) return REJECT;
    if (++st.legacy >= LEGACY_FRAMES) return MATCH;
    return LEGACY_TYPES.has(b[off]!) ? CONTINUE : REJECT;
  }
  st.legacy = 0;
  if (startsWith(b, off, end, '<?xml version=') || startsWith(b, off, end, '<stream:stream ')) {
    if (hasStreamNamespace(b, off, end)) return MATCH;
    // The declaration may come alone, the stream header in the next payload.
    return ++st.waits <= MAX_OPENING_WAIT ? CONTINUE : REJECT;
  }
  if (end - off === 16 && startsWith(b, off, end, '</stream:stream>')) return MATCH;
  if (startsWith(b, off, end, '<presence') || startsWith(b, off, end, '<iq ') || startsWith(b, off, end, '<message ')) {
    return hasStanzaNamespace(b, off, end) ? MATCH : REJECT;
  }
  return REJECT;
}

/** Jabber: a stream opening, a namespaced stanza, a stream close, or the legacy framing on 5222/5223. */
export const jabber: Dissector<JabberState> = {
  name: 'Jabber',
  transport: 'tcp',
  // XML, or the legacy framing's opening types (3 bytes and up).
  first: { bytes: byteSet('<', ...LEGACY_TYPES), minLength: 3 },
  state: () => ({ waits: 0, legacy: 0 }),
  inspect: inspectJabber,
};
