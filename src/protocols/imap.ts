/**
 * IMAP4 (RFC 3501 / 9051, 2595 STARTTLS, 7888 LITERAL+) over reassembled TCP: the user
 * (LOGIN, AUTHENTICATE PLAIN/LOGIN), STARTTLS, and each message that crosses the wire whole
 * or as its header (`FETCH` answers with `BODY[]`, `BODY[HEADER]`, `RFC822`, `RFC822.HEADER`,
 * `BINARY[]` literals; `APPEND` literals), read with ./mime.ts.
 *
 * Literals (`{n}` at a line's end, then n raw bytes) are followed in both directions; a
 * message literal is gathered up to {@link ImapLimits.maxMessage} bytes, other literals are
 * skipped (kept only up to `maxLine` on the client side, for LOGIN arguments). After an
 * accepted STARTTLS the rest is TLS: the parser is done. Nothing throws: anomalies are weirds
 * ({@link IMAP_WEIRDS}).
 */
import type { Consumer, Dir, EventFields } from '../engine/consumer.js';
import { base64Text, ByteSink, DEFAULT_MIME_LIMITS, LineSplitter, type MimeLimits, mailEventFields, parseMime, text, type Weird } from './mime.js';
import { latin1 } from './byte-text.js';
import { type ProbedFlow, probedTcpConsumer } from './probed.js';
import { saslPlainUser } from './smtp.js';

/**
 * Weirds (`imap_` prefix):
 * - `imap_line_too_long`: a line over `maxLine`; cut
 * - `imap_huge_literal`: a literal over `maxLiteral` bytes (or no number); the rest of that
 *   direction is not parsed
 * - `imap_message_too_large`: a message literal over `maxMessage`; the rest counted only
 * - `imap_bad_response`: a server line that is no `*`, `+` or tagged response
 * - `imap_unmatched_response`: a tagged response to no known command
 * - `imap_content_gap`: bytes lost
 * - `imap_too_many_messages`: more than `maxMessages` messages; later ones not read
 */
export const IMAP_WEIRDS = ['imap_line_too_long', 'imap_huge_literal', 'imap_message_too_large', 'imap_bad_response', 'imap_unmatched_response', 'imap_content_gap', 'imap_too_many_messages'] as const;

export interface ImapLimits {
  maxLine: number;
  maxMessage: number;
  /** Largest literal followed; a larger one stops that direction. */
  maxLiteral: number;
  maxMessages: number;
  /** Commands waiting for their tagged response. */
  maxPending: number;
  mime: MimeLimits;
}

export const DEFAULT_IMAP_LIMITS: Readonly<ImapLimits> = {
  maxLine: 8192,
  maxMessage: 4 * 1024 * 1024,
  maxLiteral: 1024 * 1024 * 1024,
  maxMessages: 100,
  maxPending: 64,
  mime: DEFAULT_MIME_LIMITS,
};

/** A message seen in a FETCH answer or an APPEND. */
export interface ImapMessage {
  ts: number;
  command: 'FETCH' | 'APPEND';
  /** Message sequence number (FETCH). */
  seq?: number;
  uid?: number;
  /** Only the header was fetched. */
  header_only?: boolean;
  mailbox?: string;
  message: Record<string, unknown>;
  message_bytes: number;
}

/** A literal being read in one direction. */
interface Literal {
  left: number;
  sink: ByteSink;
  /** A message, and whether only its header. */
  msg: 'full' | 'header' | null;
}

/** Per direction: the line, the literal being read, the text of the command/response so far. */
interface Side {
  lines: LineSplitter;
  lit: Literal | null;
  /** Pieces of the current command or response (lines and small literals). */
  tokens: string[];
  textLen: number;
  /** Messages read from literals of the current command / response. */
  msgs: ImapMessage[];
  /** A literal too large: nothing more is parsed in this direction. */
  stopped: boolean;
}

const LITERAL = /\{(\d+)(\+)?\}$/;
const MESSAGE_ITEM = /(BODY(?:\.PEEK)?\[(HEADER)?\](?:<\d+>)?|RFC822(\.HEADER)?|BINARY(?:\.PEEK)?\[\](?:<\d+>)?)\s*$/i;

/** Splits IMAP arguments: atoms, quoted strings (unescaped), literal contents as given. */
export function imapArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      i++;
      out.push(v);
    } else {
      const j = s.indexOf(' ', i);
      out.push(j < 0 ? s.slice(i) : s.slice(i, j));
      i = j < 0 ? s.length : j;
    }
  }
  return out;
}

/** A literal's content marker inside assembled command text (never in a real line: NUL). */
const LIT_MARK = '\u0000';

/** The IMAP dialogue of one flow. */
export class ImapParser {
  readonly messages: ImapMessage[] = [];
  user?: string;
  authMech?: string;
  authSuccess?: boolean;
  tls = false;
  logout = false;
  greeting?: string;
  private readonly sides: [Side, Side];
  private readonly pending = new Map<string, string>();
  private authLines = 0;
  private lastTs = 0;
  private reported = new Set<string>();

  constructor(
    private readonly weird: Weird,
    private readonly limits: Readonly<ImapLimits> = DEFAULT_IMAP_LIMITS,
  ) {
    const side = (): Side => ({ lines: new LineSplitter(limits.maxLine), lit: null, tokens: [], textLen: 0, msgs: [], stopped: false });
    this.sides = [side(), side()];
  }

  get done(): boolean {
    return this.tls || this.logout || (this.sides[0].stopped && this.sides[1].stopped);
  }

  private once(name: string): void {
    if (this.reported.has(name)) return;
    this.reported.add(name);
    this.weird(name);
  }

  data(dir: Dir, b: Uint8Array, off: number, end: number, tsUs = 0): void {
    this.lastTs = tsUs;
    try {
      this.feed(dir, b, off, end);
    } catch {
      this.weird('imap_internal_error');
    }
  }

  gap(dir: Dir): void {
    this.weird('imap_content_gap');
    const s = this.sides[dir];
    s.lines.reset();
    s.lit = null;
    s.tokens = [];
    s.textLen = 0;
  }

  /** The flow ended: a message literal cut short is read as far as it went. */
  end(): void {
    for (const dir of [0, 1] as const) {
      const s = this.sides[dir];
      if (s.lit?.msg) this.literalDone(dir, s, true);
      s.lit = null;
      if (s.msgs.length > 0) this.flushMessages(s, undefined);
    }
  }

  private feed(dir: Dir, b: Uint8Array, off: number, end: number): void {
    const s = this.sides[dir];
    while (off < end && !this.done && !s.stopped) {
      if (s.lit !== null) {
        const take = Math.min(s.lit.left, end - off);
        s.lit.sink.push(b, off, off + take);
        s.lit.left -= take;
        off += take;
        if (s.lit.left === 0) this.literalDone(dir, s, false);
        continue;
      }
      off = s.lines.feed(b, off, end);
      const line = s.lines.line;
      if (line === null) continue;
      if (s.lines.tooLong) this.once('imap_line_too_long');
      const m = LITERAL.exec(line);
      if (m !== null) {
        const n = Number(m[1]);
        const before = line.slice(0, m.index);
        this.addText(s, before);
        if (!Number.isSafeInteger(n) || n > this.limits.maxLiteral) {
          this.once('imap_huge_literal');
          s.stopped = true;
          break;
        }
        const item = dir === 1 ? MESSAGE_ITEM.exec(before) : null;
        let msg: Literal['msg'] = null;
        if (item !== null) msg = item[2] !== undefined || item[3] !== undefined ? 'header' : 'full';
        else if (dir === 0 && /^\S+\s+(UID\s+)?APPEND\s/i.test(s.tokens.join(''))) msg = 'full';
        if (msg !== null && this.messages.length + s.msgs.length >= this.limits.maxMessages) {
          this.once('imap_too_many_messages');
          msg = null;
        }
        s.lit = { left: n, sink: new ByteSink(msg !== null ? this.limits.maxMessage : dir === 0 ? this.limits.maxLine : 0), msg };
        if (n === 0) this.literalDone(dir, s, false);
        continue;
      }
      this.addText(s, line);
      const whole = s.tokens.join('');
      s.tokens = [];
      s.textLen = 0;
      if (dir === 0) this.command(whole);
      else this.response(whole);
    }
  }

  private addText(s: Side, t: string): void {
    if (s.textLen >= this.limits.maxLine) return;
    const piece = t.slice(0, this.limits.maxLine - s.textLen);
    s.tokens.push(piece);
    s.textLen += piece.length;
  }

  private literalDone(dir: Dir, s: Side, truncated: boolean): void {
    const lit = s.lit!;
    s.lit = null;
    if (lit.msg === null) {
      // A small client literal stands in the command as a quoted string.
      if (dir === 0) this.addText(s, ` "${text(lit.sink.bytes()).replace(/["\\]/g, '\\$&')}"`);
      else this.addText(s, ' NIL');
      return;
    }
    if (lit.sink.truncated) this.weird('imap_message_too_large');
    const parsed = parseMime(lit.sink.bytes(), this.weird, this.limits.mime, truncated || lit.sink.truncated);
    const m: ImapMessage = { ts: this.lastTs, command: dir === 0 ? 'APPEND' : 'FETCH', message: mailEventFields(parsed), message_bytes: lit.sink.total };
    if (lit.msg === 'header') m.header_only = true;
    s.msgs.push(m);
    this.addText(s, ` ${LIT_MARK}`);
  }

  /** Messages of a finished command/response get their numbers and are kept. */
  private flushMessages(s: Side, whole: string | undefined): void {
    for (const m of s.msgs) {
      if (whole !== undefined) {
        if (m.command === 'FETCH') {
          const seq = /^\*\s+(\d+)\s+FETCH/i.exec(whole);
          if (seq !== null) m.seq = Number(seq[1]);
          const uid = /[( ]UID\s+(\d+)/i.exec(whole);
          if (uid !== null) m.uid = Number(uid[1]);
        } else {
          const a = imapArgs(whole);
          if (a[2] !== undefined) m.mailbox = a[2].toUpperCase() === 'APPEND' ? a[3] : a[2];
        }
      }
      this.messages.push(m);
    }
    s.msgs = [];
  }

  private command(line: string): void {
    this.flushMessages(this.sides[0], line);
    if (this.authLines > 0) {
      this.authLines--;
      if (line === '*') {
        this.authLines = 0;
        return;
      }
      if (this.user === undefined) this.user = this.authMech === 'PLAIN' ? saslPlainUser(line) : this.authMech === 'LOGIN' ? base64Text(line) : undefined;
      return;
    }
    const a = imapArgs(line);
    if (a.length < 2) return;
    const tag = a[0]!;
    let verb = a[1]!.toUpperCase();
    if (verb === 'UID' && a[2] !== undefined) verb = a[2].toUpperCase();
    if (verb === 'LOGIN' && a[2] !== undefined) this.user = a[2];
    else if (verb === 'AUTHENTICATE' && a[2] !== undefined) {
      this.authMech = a[2].toUpperCase();
      const ir = a[3];
      const initial = ir !== undefined && ir !== '' && ir !== '=';
      if (this.authMech === 'PLAIN') {
        if (initial) this.user = saslPlainUser(ir);
        else this.authLines = 1;
      } else if (this.authMech === 'LOGIN') {
        if (initial) this.user = base64Text(ir);
        this.authLines = initial ? 1 : 2;
      } else this.authLines = initial ? 0 : 1;
    }
    if (this.pending.size >= this.limits.maxPending) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(tag, verb);
  }

  private response(line: string): void {
    this.flushMessages(this.sides[1], line);
    if (line.startsWith('+')) return; // continuation request
    if (line.startsWith('* ') || line === '*') {
      if (this.greeting === undefined && /^\*\s+(OK|PREAUTH)\b/i.test(line)) this.greeting = line.slice(2).trim().slice(0, 256);
      return;
    }
    const a = /^(\S+)\s+(OK|NO|BAD)\b/i.exec(line);
    if (a === null) {
      this.once('imap_bad_response');
      return;
    }
    const verb = this.pending.get(a[1]!);
    if (verb === undefined) {
      this.once('imap_unmatched_response');
      return;
    }
    this.pending.delete(a[1]!);
    const ok = a[2]!.toUpperCase() === 'OK';
    if (verb === 'LOGIN' || verb === 'AUTHENTICATE') this.authSuccess = ok;
    if (verb === 'AUTHENTICATE') this.authLines = 0; // refused or done: no more continuation lines
    else if (verb === 'STARTTLS' && ok) this.tls = true;
    else if (verb === 'LOGOUT') this.logout = true;
  }
}

/** One `imap` event per message; one for the session (user, STARTTLS) when none. */
export function imapEvents(p: ImapParser): EventFields[] {
  p.end();
  const session: Record<string, unknown> = {};
  if (p.user !== undefined) session.user = p.user;
  if (p.authMech !== undefined) session.auth_mech = p.authMech;
  if (p.authSuccess !== undefined) session.auth_success = p.authSuccess;
  if (p.tls) session.starttls = true;
  const out: EventFields[] = p.messages.map((m) => {
    const ev: EventFields = { type: 'imap', ...(m.ts > 0 ? { ts: Math.round(m.ts) / 1e6 } : {}), ...session, command: m.command };
    if (m.seq !== undefined) ev.seq = m.seq;
    if (m.uid !== undefined) ev.uid = m.uid;
    if (m.mailbox !== undefined) ev.mailbox = m.mailbox;
    if (m.header_only) ev.header_only = true;
    return Object.assign(ev, m.message, { message_bytes: m.message_bytes });
  });
  if (out.length === 0 && (p.tls || p.user !== undefined || p.authMech !== undefined || p.greeting !== undefined)) {
    out.push({ type: 'imap', ...session, ...(p.greeting === undefined ? {} : { greeting: p.greeting }) });
  }
  return out;
}

/** True when a server's first line is an IMAP greeting (`* OK … IMAP`, `* PREAUTH`). */
export function probeImap(dir: Dir, b: Uint8Array, off: number, end: number): boolean {
  if (dir !== 1 || end - off < 4 || b[off] !== 0x2a) return false; // "* OK"
  const s = latin1(b, off, Math.min(end, off + 256));
  return /^\* (OK|PREAUTH) [^\r\n]*IMAP/i.test(s);
}

export type ImapFlow = ProbedFlow<ImapParser>;

/**
 * IMAP on port 143, or any TCP flow whose server greets `* OK … IMAP…`. No record field:
 * follows flows only when events are listened to.
 */
export const imapConsumer: Consumer<ImapFlow> = probedTcpConsumer({
  name: 'imap',
  eventsOnly: true,
  port: (s) => s.serverPort === 143,
  probe: probeImap,
  create: (weird) => new ImapParser(weird),
  events: imapEvents,
});
