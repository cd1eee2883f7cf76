/**
 * POP3 (RFC 1939, 2449 CAPA, 2595 STLS, 5034 AUTH) over reassembled TCP: the user (USER,
 * APOP, AUTH PLAIN/LOGIN), STLS, and each message retrieved (RETR, TOP) read with ./mime.ts.
 *
 * The server's replies are matched to the client's commands in order (pipelining allowed);
 * multi-line answers (RETR, TOP, CAPA, LIST/UIDL without argument) run to their `.` line and
 * are dot-unstuffed. After an accepted STLS the rest is TLS: the parser is done. Nothing
 * throws: anomalies are weirds ({@link POP3_WEIRDS}).
 */
import type { Consumer, Dir, EventFields } from '../engine/consumer.js';
import { base64Text, ByteSink, DEFAULT_MIME_LIMITS, DotReader, LineSplitter, type MimeLimits, mailEventFields, parseMime, type Weird } from './mime.js';
import { latin1 } from './byte-text.js';
import { type ProbedFlow, probedTcpConsumer } from './probed.js';
import { saslPlainUser } from './smtp.js';

/**
 * Weirds (`pop3_` prefix):
 * - `pop3_line_too_long`: a command or reply line over `maxLine`; cut
 * - `pop3_bad_reply`: a server line that is no `+OK`, `-ERR` or `+ ` continuation
 * - `pop3_unmatched_reply`: a reply with no command waiting (other than the greeting)
 * - `pop3_message_too_large`: a retrieved message over `maxMessage` bytes; the rest counted only
 * - `pop3_content_gap`: bytes lost
 * - `pop3_too_many_messages`: more than `maxMessages` retrieved; later ones not read
 */
export const POP3_WEIRDS = ['pop3_line_too_long', 'pop3_bad_reply', 'pop3_unmatched_reply', 'pop3_message_too_large', 'pop3_content_gap', 'pop3_too_many_messages'] as const;

export interface Pop3Limits {
  maxLine: number;
  maxMessage: number;
  maxMessages: number;
  maxPending: number;
  mime: MimeLimits;
}

export const DEFAULT_POP3_LIMITS: Readonly<Pop3Limits> = { maxLine: 4096, maxMessage: 4 * 1024 * 1024, maxMessages: 100, maxPending: 64, mime: DEFAULT_MIME_LIMITS };

/** A message retrieved. */
export interface Pop3Message {
  ts: number;
  command: 'RETR' | 'TOP';
  /** Message number asked for. */
  msg?: number;
  message: Record<string, unknown>;
  message_bytes: number;
}

/** The POP3 dialogue of one flow. */
export class Pop3Parser {
  readonly messages: Pop3Message[] = [];
  user?: string;
  authMech?: string;
  /** USER/PASS, APOP or AUTH accepted (+OK), false when refused. */
  authSuccess?: boolean;
  tls = false;
  quit = false;
  greeting?: string;
  private readonly lines: [LineSplitter, LineSplitter];
  private readonly pending: Array<{ verb: string; arg: string }> = [];
  private authLines = 0;
  private multi: { verb: string; arg: string; dot: DotReader; sink: ByteSink } | null = null;
  private greeted = false;
  private lastTs = 0;
  private reported = new Set<string>();

  constructor(
    private readonly weird: Weird,
    private readonly limits: Readonly<Pop3Limits> = DEFAULT_POP3_LIMITS,
  ) {
    this.lines = [new LineSplitter(limits.maxLine), new LineSplitter(limits.maxLine)];
  }

  get done(): boolean {
    return this.tls || this.quit;
  }

  private once(name: string): void {
    if (this.reported.has(name)) return;
    this.reported.add(name);
    this.weird(name);
  }

  data(dir: Dir, b: Uint8Array, off: number, end: number, tsUs = 0): void {
    this.lastTs = tsUs;
    try {
      if (dir === 0) this.client(b, off, end);
      else this.server(b, off, end);
    } catch {
      this.weird('pop3_internal_error');
    }
  }

  gap(dir: Dir): void {
    this.weird('pop3_content_gap');
    this.lines[dir].reset();
  }

  /** The flow ended: a message being read is kept as far as it went. */
  end(): void {
    if (this.multi !== null) this.finish(true);
  }

  private client(b: Uint8Array, off: number, end: number): void {
    const sp = this.lines[0];
    while (off < end && !this.done) {
      off = sp.feed(b, off, end);
      if (sp.line === null) continue;
      if (sp.tooLong) this.once('pop3_line_too_long');
      this.command(sp.line);
    }
  }

  private command(line: string): void {
    if (this.authLines > 0) {
      this.authLines--;
      if (line === '*') {
        this.authLines = 0;
        return;
      }
      if (this.user === undefined) this.user = this.authMech === 'PLAIN' ? saslPlainUser(line) : this.authMech === 'LOGIN' ? base64Text(line) : undefined;
      return;
    }
    if (line === '') return;
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (verb === 'USER' || verb === 'APOP') this.user = arg.split(/\s+/)[0];
    else if (verb === 'AUTH' && arg !== '') {
      const [mech, ir] = arg.split(/\s+/);
      this.authMech = (mech ?? '').toUpperCase();
      const initial = ir !== undefined && ir !== '' && ir !== '=';
      if (this.authMech === 'PLAIN') {
        if (initial) this.user = saslPlainUser(ir);
        else this.authLines = 1;
      } else if (this.authMech === 'LOGIN') {
        if (initial) this.user = base64Text(ir);
        this.authLines = initial ? 1 : 2;
      } else this.authLines = initial ? 0 : 1;
    }
    if (this.pending.length >= this.limits.maxPending) this.pending.shift();
    this.pending.push({ verb, arg });
  }

  private server(b: Uint8Array, off: number, end: number): void {
    const sp = this.lines[1];
    while (off < end && !this.done) {
      if (this.multi !== null) {
        const r = this.multi.dot.feed(b, off, end);
        off = r.off;
        if (r.ended) this.finish(false);
        continue;
      }
      off = sp.feed(b, off, end);
      if (sp.line === null) continue;
      if (sp.tooLong) this.once('pop3_line_too_long');
      this.reply(sp.line);
    }
  }

  private reply(line: string): void {
    const ok = line.startsWith('+OK');
    if (!ok && !line.startsWith('-ERR')) {
      if (line.startsWith('+')) return; // SASL continuation
      this.once('pop3_bad_reply');
      return;
    }
    // The server speaks first: its first reply is the greeting, even when the client's
    // commands were seen earlier.
    if (!this.greeted) {
      this.greeted = true;
      this.greeting = line.slice(ok ? 3 : 4).trim().slice(0, 256);
      return;
    }
    const p = this.pending.shift();
    if (p === undefined) {
      this.once('pop3_unmatched_reply');
      return;
    }
    switch (p.verb) {
      case 'PASS':
      case 'APOP':
      case 'AUTH':
        if (p.verb !== 'AUTH' || p.arg !== '') this.authSuccess = ok;
        if (p.verb === 'AUTH') this.authLines = 0; // refused or done: no more continuation lines
        break;
      case 'STLS':
        if (ok) this.tls = true;
        break;
      case 'QUIT':
        this.quit = true;
        break;
    }
    if (!ok) return;
    const multi = p.verb === 'RETR' || p.verb === 'TOP' || p.verb === 'CAPA' || ((p.verb === 'LIST' || p.verb === 'UIDL') && p.arg === '') || (p.verb === 'AUTH' && p.arg === '');
    if (!multi) return;
    const isMsg = p.verb === 'RETR' || p.verb === 'TOP';
    const sink = new ByteSink(isMsg ? this.limits.maxMessage : 0);
    this.multi = { verb: p.verb, arg: p.arg, sink, dot: new DotReader(sink) };
  }

  private finish(truncated: boolean): void {
    const m = this.multi!;
    this.multi = null;
    if (m.verb !== 'RETR' && m.verb !== 'TOP') return;
    if (this.messages.length >= this.limits.maxMessages) {
      this.once('pop3_too_many_messages');
      return;
    }
    if (m.sink.truncated) this.weird('pop3_message_too_large');
    const msg = parseMime(m.sink.bytes(), this.weird, this.limits.mime, truncated || m.sink.truncated);
    const n = Number.parseInt(m.arg, 10);
    const rec: Pop3Message = { ts: this.lastTs, command: m.verb, message: mailEventFields(msg), message_bytes: m.sink.total };
    if (Number.isFinite(n)) rec.msg = n;
    this.messages.push(rec);
  }
}

/** POP3 session fields shared by its events. */
function sessionFields(p: { user?: string; authMech?: string; authSuccess?: boolean; tls: boolean }): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (p.user !== undefined) o.user = p.user;
  if (p.authMech !== undefined) o.auth_mech = p.authMech;
  if (p.authSuccess !== undefined) o.auth_success = p.authSuccess;
  if (p.tls) o.starttls = true;
  return o;
}

/** One `pop3` event per message retrieved; one for the session (user, STLS) when none. */
export function pop3Events(p: Pop3Parser): EventFields[] {
  p.end();
  const out: EventFields[] = p.messages.map((m) => ({
    type: 'pop3',
    ...(m.ts > 0 ? { ts: Math.round(m.ts) / 1e6 } : {}),
    ...sessionFields(p),
    command: m.command,
    ...(m.msg === undefined ? {} : { msg: m.msg }),
    ...m.message,
    message_bytes: m.message_bytes,
  }));
  if (out.length === 0 && (p.tls || p.user !== undefined || p.authMech !== undefined || p.greeting !== undefined)) {
    out.push({ type: 'pop3', ...sessionFields(p), ...(p.greeting === undefined ? {} : { greeting: p.greeting }) });
  }
  return out;
}

/** True when a server's first line is a POP3 greeting naming POP (`+OK … POP3 …`). */
export function probePop3(dir: Dir, b: Uint8Array, off: number, end: number): boolean {
  if (dir !== 1 || end - off < 4 || b[off] !== 0x2b) return false; // "+OK"
  const s = latin1(b, off, Math.min(end, off + 256));
  return /^\+OK[^\r\n]*POP/i.test(s);
}

export type Pop3Flow = ProbedFlow<Pop3Parser>;

/**
 * POP3 on port 110, or any TCP flow whose server greets `+OK … POP…`. No record field:
 * follows flows only when events are listened to.
 */
export const pop3Consumer: Consumer<Pop3Flow> = probedTcpConsumer({
  name: 'pop3',
  eventsOnly: true,
  port: (s) => s.serverPort === 110,
  probe: probePop3,
  create: (weird) => new Pop3Parser(weird),
  events: pop3Events,
});
