/**
 * SIP (RFC 3261) over UDP, and over TCP with Content-Length framing, with the SDP (RFC 4566)
 * offers and answers it carries.
 *
 * - {@link probeSip}: does a payload start with a SIP request or status line.
 * - {@link parseSipMessage}: one message's text to a {@link SipMessage}; never throws.
 * - {@link parseSdp}: an SDP body to its connection address and media lines (pure).
 * - {@link SipState}: per-flow state: messages (capped) and the media endpoints announced in
 *   SDP bodies as {@link SipMediaExpectation}s, for a later expectation table that links RTP
 *   flows to their call.
 * - {@link sipConsumer}: the engine's consumer; it only produces `sip` events, so it follows
 *   flows only when events are listened to.
 *
 * Anomalies are weirds by name ({@link SIP_WEIRDS}); nothing here throws on packet bytes.
 */
import type { Consumer, Dir, EventFields, FlowStart } from '../engine/consumer.js';

/** Well-known SIP ports (5061 is SIP over TLS: only its plaintext, if any, is read). */
export const SIP_PORTS: ReadonlySet<number> = new Set([5060, 5061]);

/** Limits of one flow's state. */
export interface SipLimits {
  /** Messages kept per flow; later ones are counted (`sip_too_many_messages`) and dropped. */
  maxMessages: number;
  /** Largest message (headers + body) buffered on TCP, bytes; larger: `sip_message_too_large`. */
  maxMessageBytes: number;
  /** Media lines kept per SDP body. */
  maxMedia: number;
  /** Media expectations kept per flow. */
  maxExpectations: number;
}

export const DEFAULT_SIP_LIMITS: Readonly<SipLimits> = { maxMessages: 64, maxMessageBytes: 65536, maxMedia: 8, maxExpectations: 32 };

/** Weirds this file reports. */
export const SIP_WEIRDS = [
  'sip_malformed_start_line',
  'sip_missing_call_id',
  'sip_bad_content_length',
  'sip_truncated_body',
  'sip_too_many_messages',
  'sip_message_too_large',
  'sip_bad_sdp',
  'sip_too_many_media',
] as const;

/** A From or To header: the display name (if any) and the URI. */
export interface SipAddress {
  display?: string;
  uri: string;
}

/** One `m=` line of an SDP body. */
export interface SdpMedia {
  /** `audio`, `video`, `image` (T.38) … */
  media: string;
  /** The media's `c=` address, else the session's; absent when neither is given. */
  address?: string;
  port: number;
  /** `RTP/AVP`, `udptl` … */
  proto: string;
  /** Format list (payload types for RTP) as written. */
  formats: string[];
  /** Codec names (`PCMA/8000`): from `a=rtpmap`, else the static payload type table. */
  codecs: string[];
}

/** What {@link parseSdp} reads. */
export interface Sdp {
  /** The session-level connection address (`c=IN IP4 addr`). */
  address?: string;
  media: SdpMedia[];
}

/** A SIP message. */
export interface SipMessage {
  /** Request method (absent in responses). */
  method?: string;
  /** Request-URI (absent in responses). */
  uri?: string;
  /** Status code (absent in requests). */
  status?: number;
  reason?: string;
  call_id?: string;
  from?: SipAddress;
  to?: SipAddress;
  cseq?: string;
  user_agent?: string;
  /** Server header of responses. */
  server?: string;
  content_type?: string;
  sdp?: Sdp;
  /** Packet time, µs. */
  tsUs: number;
  dir: Dir;
}

/** A media endpoint announced in SDP: an RTP flow to or from it belongs to `call_id`. */
export interface SipMediaExpectation {
  address: string;
  port: number;
  call_id: string;
  media: string;
}

/** Static RTP payload types (RFC 3551 table 4/5): encoding name/clock rate. */
const STATIC_PT: Readonly<Record<number, string>> = {
  0: 'PCMU/8000',
  3: 'GSM/8000',
  4: 'G723/8000',
  5: 'DVI4/8000',
  6: 'DVI4/16000',
  7: 'LPC/8000',
  8: 'PCMA/8000',
  9: 'G722/8000',
  10: 'L16/44100',
  11: 'L16/44100',
  12: 'QCELP/8000',
  13: 'CN/8000',
  14: 'MPA/90000',
  15: 'G728/8000',
  16: 'DVI4/11025',
  17: 'DVI4/22050',
  18: 'G729/8000',
  25: 'CelB/90000',
  26: 'JPEG/90000',
  28: 'nv/90000',
  31: 'H261/90000',
  32: 'MPV/90000',
  33: 'MP2T/90000',
  34: 'H263/90000',
};

/** Compact header forms (RFC 3261 §7.3.3) to full lower-case names. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  l: 'content-length',
  c: 'content-type',
  m: 'contact',
  v: 'via',
  s: 'subject',
  k: 'supported',
  e: 'content-encoding',
};

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9._!%*+`'~-]*) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/;
const CRLF2 = [13, 10, 13, 10];
/** Non-SIP payloads tolerated on a SIP port before the first SIP message. */
const NON_SIP_BUDGET = 16;

/** Text of `b[off, end)` (UTF-8; invalid bytes become U+FFFD). */
function text(b: Uint8Array, off: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('utf8');
}

/** True when `b[off, end)` starts with a SIP request or status line (first line complete, or 64+ bytes seen). */
export function probeSip(b: Uint8Array, off: number, end: number): boolean {
  let i = off;
  while (i < end && (b[i] === 13 || b[i] === 10)) i++;
  // A request method or "SIP/2.0" starts with an upper-case letter: most payloads fail here, before any text is made.
  if (i >= end || b[i]! < 0x41 || b[i]! > 0x5a) return false;
  const stop = Math.min(end, i + 512);
  let eol = i;
  while (eol < stop && b[eol] !== 10) eol++;
  if (eol === stop) return false;
  const line = text(b, i, eol).replace(/\r$/, '');
  return REQUEST_LINE.test(line) || STATUS_LINE.test(line);
}

/** A From/To value: `"Name" <sip:u@h>;tag=x`, `Name <sip:u@h>` or `sip:u@h;tag=x`. */
export function parseSipAddress(v: string): SipAddress {
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"') && display.endsWith('"') && display.length >= 2) display = display.slice(1, -1).replace(/\\(.)/g, '$1');
    const uri = v.slice(lt + 1, gt < 0 ? v.length : gt).trim();
    return display === '' ? { uri } : { display, uri };
  }
  const semi = v.indexOf(';');
  return { uri: (semi < 0 ? v : v.slice(0, semi)).trim() };
}

/**
 * An SDP body: the session `c=` address and the `m=` lines with their own `c=` and
 * `a=rtpmap` codecs. Lines it does not know are skipped; never throws.
 */
export function parseSdp(sdp: string, limits: Pick<SipLimits, 'maxMedia'> = DEFAULT_SIP_LIMITS, weird?: (name: string) => void): Sdp {
  const out: Sdp = { media: [] };
  let cur: (SdpMedia & { rtpmap: Map<string, string> }) | undefined;
  const all: Array<SdpMedia & { rtpmap: Map<string, string> }> = [];
  let bad = false;
  for (const raw of sdp.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length < 2 || line[1] !== '=') {
      if (line.trim() !== '') bad = true;
      continue;
    }
    const v = line.slice(2);
    switch (line[0]) {
      case 'c': {
        // c=IN IP4 224.2.1.1/127/3
        const parts = v.trim().split(/\s+/);
        if (parts.length < 3) {
          bad = true;
          break;
        }
        const addr = parts[2].split('/')[0];
        if (cur === undefined) out.address = addr;
        else cur.address = addr;
        break;
      }
      case 'm': {
        const parts = v.trim().split(/\s+/);
        const port = Number.parseInt(parts[1] ?? '', 10);
        if (parts.length < 3 || !Number.isFinite(port) || port < 0 || port > 65535) {
          bad = true;
          cur = undefined;
          break;
        }
        if (all.length >= limits.maxMedia) {
          weird?.('sip_too_many_media');
          cur = undefined;
          break;
        }
        cur = { media: parts[0], port, proto: parts[2], formats: parts.slice(3, 35), codecs: [], rtpmap: new Map() };
        all.push(cur);
        break;
      }
      case 'a': {
        if (cur === undefined || !v.startsWith('rtpmap:')) break;
        // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
        const m = /^rtpmap:(\d+)\s+(\S+)/.exec(v);
        if (m !== null && cur.rtpmap.size < 64) cur.rtpmap.set(m[1], m[2]);
        break;
      }
    }
  }
  for (const m of all) {
    for (const f of m.formats) {
      const name = m.rtpmap.get(f) ?? (/^\d+$/.test(f) ? STATIC_PT[Number(f)] : undefined);
      if (name !== undefined) m.codecs.push(name);
    }
    if (m.address === undefined && out.address !== undefined) m.address = out.address;
    const { rtpmap: _r, ...media } = m;
    out.media.push(media);
  }
  if (bad) weird?.('sip_bad_sdp');
  return out;
}

/** Headers of a message: lower-case full name → first value (folded lines joined). */
function parseHeaders(lines: string[]): Map<string, string> {
  const h = new Map<string, string>();
  let last: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      h.set(last, `${h.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    last = undefined;
    if (h.has(name)) continue;
    h.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return h;
}

/**
 * One SIP message (start line, headers, optional body) to a {@link SipMessage}; undefined
 * when the start line is not SIP (`sip_malformed_start_line`).
 */
export function parseSipMessage(msg: string, dir: Dir, tsUs: number, weird: (name: string) => void, limits: SipLimits = DEFAULT_SIP_LIMITS): SipMessage | undefined {
  let sep = msg.indexOf('\r\n\r\n');
  let bodyStart = sep + 4;
  if (sep < 0) {
    sep = msg.indexOf('\n\n');
    bodyStart = sep + 2;
  }
  if (sep < 0) {
    sep = msg.length;
    bodyStart = msg.length;
  }
  const lines = msg.slice(0, sep).split(/\r?\n/);
  const first = lines[0] ?? '';
  const out: SipMessage = { tsUs, dir };
  const req = REQUEST_LINE.exec(first);
  if (req !== null) {
    out.method = req[1].toUpperCase();
    out.uri = req[2];
  } else {
    const st = STATUS_LINE.exec(first);
    if (st === null) {
      weird('sip_malformed_start_line');
      return undefined;
    }
    out.status = Number(st[1]);
    if (st[2] !== undefined && st[2] !== '') out.reason = st[2];
  }
  const h = parseHeaders(lines);
  out.call_id = h.get('call-id');
  if (out.call_id === undefined) weird('sip_missing_call_id');
  const from = h.get('from');
  if (from !== undefined) out.from = parseSipAddress(from);
  const to = h.get('to');
  if (to !== undefined) out.to = parseSipAddress(to);
  out.cseq = h.get('cseq');
  out.user_agent = h.get('user-agent');
  out.server = h.get('server');
  out.content_type = h.get('content-type');
  let body = msg.slice(bodyStart);
  const cl = h.get('content-length');
  if (cl !== undefined) {
    const n = /^\d+$/.test(cl) ? Number(cl) : Number.NaN;
    if (!Number.isFinite(n)) weird('sip_bad_content_length');
    else if (n < body.length) body = body.slice(0, n);
    else if (n > Buffer.byteLength(body)) weird('sip_truncated_body');
  }
  if (out.content_type !== undefined && /^application\/sdp\b/i.test(out.content_type) && body.length > 0) out.sdp = parseSdp(body, limits, weird);
  return out;
}

/** A message whose body may be SDP (`v=` first): the only ones read for media alone. */
const SDP_BODY = /\r\n\r\nv=/;

/** Byte-level {@link SDP_BODY}, before any text is made of a datagram. */
function hasSdpBody(b: Uint8Array, off: number, end: number): boolean {
  const sep = indexOfCrlf2(b, off, end);
  return sep >= 0 && sep + 5 < end && b[sep + 4] === 0x76 && b[sep + 5] === 0x3d;
}

/** Per-direction TCP buffer. */
interface TcpBuf {
  buf: Uint8Array;
  len: number;
}

/** Byte index of `\r\n\r\n` in `b[off, end)`, or -1. */
function indexOfCrlf2(b: Uint8Array, off: number, end: number): number {
  for (let i = off; i + 3 < end; i++) if (b[i] === CRLF2[0] && b[i + 1] === CRLF2[1] && b[i + 2] === CRLF2[2] && b[i + 3] === CRLF2[3]) return i;
  return -1;
}

/** Content-Length of a header block (compact `l` too); 0 when absent, -1 when unreadable. */
function contentLength(head: string): number {
  const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/i.exec(head);
  if (m === null) return 0;
  const v = m[1].trim();
  return /^\d{1,9}$/.test(v) ? Number(v) : -1;
}

/** One SIP flow: its messages and the media endpoints its SDP bodies announce. */
export class SipState {
  readonly messages: SipMessage[] = [];
  readonly expectations: SipMediaExpectation[] = [];
  /** The first payload was SIP (or the port is a SIP port); false after a non-SIP start: done. */
  sip: boolean | undefined;
  /** Stop reading: not SIP, or the message cap was reached. */
  done = false;
  private readonly tcp: [TcpBuf, TcpBuf] = [
    { buf: new Uint8Array(0), len: 0 },
    { buf: new Uint8Array(0), len: 0 },
  ];
  private readonly gapped: [boolean, boolean] = [false, false];
  /** Non-SIP payloads seen on a SIP port before the first SIP message. */
  private nonSip = 0;
  /**
   * Nobody reads the messages (no event listener): only bodies that may be SDP are parsed,
   * for the media endpoints, and no message is kept.
   */
  mediaOnly = false;
  private messagesSeen = 0;

  constructor(
    private readonly weird: (name: string) => void,
    private readonly onPort: boolean,
    readonly limits: SipLimits = DEFAULT_SIP_LIMITS,
  ) {}

  private decide(b: Uint8Array, off: number, end: number): boolean {
    if (this.sip !== undefined) return this.sip;
    let i = off;
    while (i < end && (b[i] === 13 || b[i] === 10 || b[i] === 0)) i++;
    if (i === end) return false; // keep-alive: undecided
    if (probeSip(b, i, end)) {
      this.sip = true;
      return true;
    }
    // On a SIP port, non-SIP payloads (NAT keep-alives such as "hello") may come first.
    if (!this.onPort || ++this.nonSip >= NON_SIP_BUDGET) {
      this.sip = false;
      this.done = true;
    }
    return false;
  }

  /** One UDP datagram: one message (keep-alive CRLFs are skipped). */
  datagram(dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    if (this.done || !this.decide(b, off, end)) return;
    let i = off;
    while (i < end && (b[i] === 13 || b[i] === 10 || b[i] === 0)) i++;
    if (i === end) return;
    if (!probeSip(b, i, end)) {
      // Short non-SIP datagrams are NAT keep-alives; longer ones are anomalies.
      if (end - i >= 32) this.weird('sip_malformed_start_line');
      return;
    }
    if (this.mediaOnly && !hasSdpBody(b, i, end)) {
      this.admit();
      return;
    }
    this.add(text(b, i, end), dir, tsUs);
  }

  /** In-order TCP bytes: messages framed by the blank line and Content-Length. */
  stream(dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    if (this.done) return;
    if (this.gapped[dir]) {
      // Resync: wait for a chunk that starts with a start line.
      if (!probeSip(b, off, end)) return;
      this.gapped[dir] = false;
    }
    const t = this.tcp[dir];
    const need = t.len + (end - off);
    if (need > this.limits.maxMessageBytes) {
      this.weird('sip_message_too_large');
      t.len = 0;
      t.buf = new Uint8Array(0);
      this.gapped[dir] = true;
      return;
    }
    if (t.buf.length < need) {
      const nb = new Uint8Array(Math.min(this.limits.maxMessageBytes, Math.max(need, t.buf.length * 2, 1024)));
      nb.set(t.buf.subarray(0, t.len));
      t.buf = nb;
    }
    t.buf.set(b.subarray(off, end), t.len);
    t.len = need;
    if (this.sip === undefined) {
      // Decide on the first complete line (or 512 bytes without one).
      const nl = t.buf.subarray(0, t.len).indexOf(10);
      if (nl < 0 && t.len < 512) return;
      if (!this.decide(t.buf, 0, t.len)) {
        t.len = 0;
        return;
      }
    }
    let p = 0;
    while (p < t.len && !this.done) {
      while (p < t.len && (t.buf[p] === 13 || t.buf[p] === 10)) p++;
      if (p === t.len) break;
      const sep = indexOfCrlf2(t.buf, p, t.len);
      if (sep < 0) break;
      const cl = contentLength(text(t.buf, p, sep + 2));
      if (cl < 0) {
        this.weird('sip_bad_content_length');
        // Without a length the rest of the stream cannot be framed.
        this.add(text(t.buf, p, sep + 4), dir, tsUs);
        p = t.len;
        this.gapped[dir] = true;
        break;
      }
      const total = sep + 4 + cl;
      if (total > t.len) break;
      this.add(text(t.buf, p, total), dir, tsUs);
      p = total;
    }
    t.buf.copyWithin(0, p, t.len);
    t.len -= p;
  }

  /** A hole in one TCP direction: drop the partial message, resync on the next start line. */
  gap(dir: Dir): void {
    this.tcp[dir].len = 0;
    this.gapped[dir] = true;
  }

  /** Called with each media endpoint announced (the engine's expectation table links the RTP flow). */
  onMedia: ((e: SipMediaExpectation) => void) | null = null;
  /** Called with each message as it is read (live listeners). */
  onMessage: ((m: SipMessage) => void) | null = null;

  /** Counts a message against the cap; false (and done) past it. */
  private admit(): boolean {
    if (this.messagesSeen++ < this.limits.maxMessages) return true;
    this.weird('sip_too_many_messages');
    this.done = true;
    return false;
  }

  private add(msg: string, dir: Dir, tsUs: number): void {
    if (!this.admit()) return;
    if (this.mediaOnly && !SDP_BODY.test(msg)) return;
    const m = parseSipMessage(msg, dir, tsUs, this.weird, this.limits);
    if (m === undefined) return;
    if (!this.mediaOnly) this.messages.push(m);
    this.onMessage?.(m);
    if (m.sdp === undefined || m.call_id === undefined) return;
    for (const media of m.sdp.media) {
      if (media.address === undefined || media.port === 0) continue;
      if (this.expectations.some((e) => e.address === media.address && e.port === media.port && e.call_id === m.call_id)) continue;
      if (this.expectations.length >= this.limits.maxExpectations) break;
      const e = { address: media.address, port: media.port, call_id: m.call_id, media: media.media };
      this.expectations.push(e);
      this.onMedia?.(e);
    }
  }
}

/** A copy of `obj` without undefined values. */
function defined(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

/** A message as a `sip` event. */
export function sipEvent(m: SipMessage): EventFields {
  return {
    type: 'sip',
    ...defined({
      ts: Math.round(m.tsUs) / 1e6,
      method: m.method,
      uri: m.uri,
      status: m.status,
      reason: m.reason,
      call_id: m.call_id,
      from: m.from,
      to: m.to,
      cseq: m.cseq,
      user_agent: m.user_agent ?? m.server,
      media: m.sdp?.media.map((x) => defined({ media: x.media, address: x.address, port: x.port, codecs: x.codecs })),
    }),
  };
}

/**
 * SIP on UDP/TCP 5060/5061, or (when events are listened to) any UDP/TCP flow whose first
 * payload is a SIP start line: one `sip` event per message; media announced in SDP bodies go
 * to the engine's expectation table (the RTP flows are named and linked to the call's flow).
 */
export const sipConsumer: Consumer<SipState> = {
  name: 'sip',
  open(s: FlowStart) {
    if (s.protocol !== 17 && s.protocol !== 6) return undefined;
    const onPort = SIP_PORTS.has(s.serverPort) || SIP_PORTS.has(s.clientPort);
    if (!s.events && !onPort) return undefined;
    const st = new SipState(s.weird, onPort);
    st.mediaOnly = !s.events;
    const flow = s.flow;
    const expect = s.expect;
    st.onMedia = (e) => {
      if (e.media === 'audio' || e.media === 'video') expect(flow, { name: 'RTP', protocol: 17, address: e.address, port: e.port });
    };
    if (s.live) {
      const publish = s.publish;
      st.onMessage = (m) => publish(flow, sipEvent(m));
    }
    return st;
  },
  datagram: (st, dir, b, off, end, tsUs) => st.datagram(dir, b, off, end, tsUs),
  stream: (st, dir, b, off, end, tsUs) => st.stream(dir, b, off, end, tsUs),
  gap: (st, dir) => st.gap(dir),
  done: (st) => st.done,
  events: (st) => (st.messages.length === 0 ? undefined : st.messages.map(sipEvent)),
};
