/**
 * SMPP 3.4 / 5.0 (Short Message Peer-to-Peer) on TCP. Every PDU starts with a 16-byte header:
 * command_length (the whole PDU), command_id (a request, or the request's id with the top bit
 * set for its response), command_status (zero in requests) and sequence_number. A flow is SMPP
 * when a direction starts with a PDU whose id is known and whose length fits what the command
 * carries (no body for unbind or enquire_link, the three bind strings for a bind …) and the PDUs
 * tile its payload exactly; a PDU split over segments is checked when its next PDU arrives.
 */
import { byteSet, CONTINUE, type Dissector, MATCH, type Payload, REJECT, u32, type Verdict } from '../dissector.js';

const HEADER = 16;
/** Larger PDUs than this are not SMPP (a submit_multi to 255 numbers is far below). */
const MAX_PDU = 1 << 16;
const RESPONSE = 0x80000000;

/** The shortest body of each request (spec's mandatory fields, C-strings at one byte). */
const REQUEST_MIN_BODY = new Map<number, number>([
  [0x01, 7], // bind_receiver: system_id, password, system_type, version, ton, npi, address_range
  [0x02, 7], // bind_transmitter
  [0x09, 7], // bind_transceiver
  [0x03, 4], // query_sm: message_id, source ton, npi, addr
  [0x04, 17], // submit_sm
  [0x05, 17], // deliver_sm
  [0x06, 0], // unbind
  [0x07, 9], // replace_sm
  [0x08, 8], // cancel_sm
  [0x0b, 4], // outbind: system_id, password
  [0x15, 0], // enquire_link
  [0x21, 17], // submit_multi
  [0x102, 6], // alert_notification
  [0x103, 10], // data_sm
  [0x111, 13], // broadcast_sm (5.0)
  [0x112, 4], // query_broadcast_sm (5.0)
  [0x113, 5], // cancel_broadcast_sm (5.0)
]);
/** Requests and responses that never carry a body. */
const NO_BODY = new Set([0x06, 0x15, RESPONSE | 0x06, RESPONSE | 0x15, RESPONSE | 0x07, RESPONSE | 0x08, RESPONSE | 0x113, RESPONSE]);
const BINDS = new Set([0x01, 0x02, 0x09]);

/** Fields of a bind: C-strings of at most n characters, or one byte (-1). */
const BIND_FIELDS = [15, 8, 12, -1, -1, -1, 40];
/** Fields of a bind response: the system_id. */
const BIND_RESP_FIELDS = [15];

/**
 * True when the fields at `at` fit `fields` as far as `stop` (the PDU's end or the payload's,
 * whichever comes first): C-strings printable and NUL-terminated within their maximum.
 * `whole` says the PDU ends at `stop`, so every field must be there.
 */
function fieldsFit(b: Uint8Array, at: number, stop: number, fields: readonly number[], whole: boolean): boolean {
  let o = at;
  for (const max of fields) {
    if (o >= stop) return !whole;
    if (max < 0) {
      o++;
      continue;
    }
    let i = o;
    for (; i < stop && b[i] !== 0; i++) {
      const c = b[i]!;
      if (c < 0x20 || c > 0x7e || i - o >= max) return false;
    }
    if (i >= stop) return !whole && i - o <= max;
    o = i + 1;
  }
  return true;
}

/** True when the 16-byte header at `at` (with `avail` bytes of its PDU here) is a plausible PDU. */
export function smppHeader(b: Uint8Array, at: number, avail: number): boolean {
  if (avail < HEADER) return false;
  const len = u32(b, at);
  const id = u32(b, at + 4);
  const status = u32(b, at + 8);
  if (len < HEADER || len > MAX_PDU) return false;
  const body = len - HEADER;
  const whole = avail >= len;
  const stop = at + Math.min(len, avail);
  if (NO_BODY.has(id)) return body === 0 && (id >= RESPONSE || status === 0);
  if (id >= RESPONSE) {
    const req = id - RESPONSE;
    if (!REQUEST_MIN_BODY.has(req)) return false;
    // A failed response may drop its body; a good bind response names the system.
    if (BINDS.has(req) && status === 0) return body >= 1 && fieldsFit(b, at + HEADER, stop, BIND_RESP_FIELDS, whole);
    return true;
  }
  const min = REQUEST_MIN_BODY.get(id);
  if (min === undefined || status !== 0 || body < min) return false;
  return !BINDS.has(id) || fieldsFit(b, at + HEADER, stop, BIND_FIELDS, whole);
}

interface SmppState {
  /** Stream position of each direction's next PDU header, -1 before the first. */
  next: [number, number];
}

function inspectSmpp(p: Payload, st: SmppState): Verdict {
  const { b, off, end, dir } = p;
  const start = p.streamOffset;
  let at: number;
  const expect = st.next[dir];
  if (expect < 0) {
    if (start !== 0) return REJECT;
    at = off;
  } else {
    if (expect >= start + (end - off)) return CONTINUE;
    if (expect < start) return REJECT;
    at = off + (expect - start);
  }
  // Walk the PDUs here: each header checked; a whole one ends the search, unless what follows
  // it here is not a header either (a split header may trail).
  let whole = false;
  for (;;) {
    if (end - at < HEADER && whole) return MATCH;
    if (!smppHeader(b, at, end - at)) return REJECT;
    const len = u32(b, at);
    if (at + len === end) return MATCH;
    if (at + len > end) {
      if (whole) return MATCH;
      st.next[dir] = start + (at - off) + len;
      return CONTINUE;
    }
    whole = true;
    at += len;
  }
}

/** SMPP: PDUs with known command ids and lengths fitting their commands, tiling the stream. */
export const smpp: Dissector<SmppState> = {
  name: 'SMPP',
  transport: 'tcp',
  // command_length is at most 64 KiB: its high byte is 0.
  first: { bytes: byteSet(0), minLength: HEADER },
  state: () => ({ next: [-1, -1] }),
  inspect: inspectSmpp,
};
