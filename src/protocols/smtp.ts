/**
 * SMTP / ESMTP (RFC 5321, 3030 BDAT, 4954 AUTH, 3207 STARTTLS, 2920 pipelining) over
 * reassembled TCP: the client's commands, the server's replies (matched in order, so
 * pipelined commands get their own reply), and per mail transaction the envelope (HELO,
 * MAIL FROM, RCPT TO), the message's headers and parts (read with ./mime.ts) and the reply
 * to the end of data.
 *
 * A message body (DATA up to its `.` line, dot-unstuffed; or BDAT chunks) is gathered up to
 * {@link SmtpLimits.maxMessage} bytes; past it only its length is counted. After a STARTTLS
 * the server accepts (220), the rest is TLS: the parser is done. Nothing throws: anomalies
 * are weirds ({@link SMTP_WEIRDS}).
 */
import type { Consumer, Dir, EventFields } from '../engine/consumer.js';
import { base64Text, ByteSink, DEFAULT_MIME_LIMITS, DotReader, LineSplitter, type MimeLimits, mailEventFields, parseMime, type Weird } from './mime.js';
import { latin1 } from './byte-text.js';
import { type ProbedFlow, probedTcpConsumer } from './probed.js';

/**
 * Weirds (`smtp_` prefix; the message's own are `mime_`):
 * - `smtp_line_too_long`: a command or reply line over `maxLine`; cut
 * - `smtp_bad_reply`: a server line that is no `ddd[ -]text` reply
 * - `smtp_unmatched_reply`: a reply with no command waiting for it (and not the greeting)
 * - `smtp_unknown_command`: a client line that is no known command
 * - `smtp_message_too_large`: a message over `maxMessage` bytes; the rest counted only
 * - `smtp_content_gap`: bytes lost in either direction
 * - `smtp_too_many_transactions`: more than `maxTransactions`; later ones not kept
 * - `smtp_bad_bdat`: a BDAT without a valid size
 */
export const SMTP_WEIRDS = [
  'smtp_line_too_long',
  'smtp_bad_reply',
  'smtp_unmatched_reply',
  'smtp_unknown_command',
  'smtp_message_too_large',
  'smtp_content_gap',
  'smtp_too_many_transactions',
  'smtp_bad_bdat',
] as const;

/** Bounds per flow (STYLE.md §8). */
export interface SmtpLimits {
  maxLine: number;
  /** Message bytes gathered for MIME reading. */
  maxMessage: number;
  maxTransactions: number;
  /** Recipients kept per transaction. */
  maxRcpt: number;
  /** Commands waiting for replies (pipelining). */
  maxPending: number;
  mime: MimeLimits;
}

export const DEFAULT_SMTP_LIMITS: Readonly<SmtpLimits> = {
  maxLine: 4096,
  maxMessage: 4 * 1024 * 1024,
  maxTransactions: 100,
  maxRcpt: 100,
  maxPending: 64,
  mime: DEFAULT_MIME_LIMITS,
};

/** One mail transaction (MAIL FROM to the end-of-data reply, RSET or the flow's end). */
export interface SmtpTransaction {
  ts: number;
  helo?: string;
  user?: string;
  mail_from?: string;
  mail_status?: number;
  rcpt_to: string[];
  /** Reply code per RCPT, in order. */
  rcpt_status: number[];
  /** Reply to DATA (354 expected) or to the last BDAT. */
  data_status?: number;
  /** Reply to the end of data. */
  status?: number;
  reply?: string;
  tls: boolean;
  message?: Record<string, unknown>;
  /** Message bytes on the wire (after unstuffing), kept or not. */
  message_bytes?: number;
}

/** What the client's next bytes are: commands, DATA text, BDAT bytes, AUTH continuation lines (count in `authLines`). */
const Mode = { Command: 0, Data: 1, Bdat: 2, Auth: 3 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** What a reply answers. */
interface Pending {
  verb: string;
  tx: SmtpTransaction | null;
}

const KNOWN = new Set([
  'HELO', 'EHLO', 'LHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'QUIT', 'NOOP', 'VRFY', 'EXPN', 'HELP', 'AUTH', 'STARTTLS', 'TURN', 'ETRN', 'ATRN', 'XCLIENT', 'XFORWARD', 'SIZE', 'SEND', 'SOML', 'SAML', 'VERB', 'ONEX', 'X-EXPS', 'X-LINK2STATE', 'XEXCH50',
]);

/** `<addr>` of `FROM:<addr> params`, or the first word. */
function pathArg(arg: string): string {
  const colon = arg.indexOf(':');
  const rest = (colon < 0 ? arg : arg.slice(colon + 1)).trim();
  const lt = rest.indexOf('<');
  if (lt >= 0) {
    const gt = rest.indexOf('>', lt);
    return rest.slice(lt + 1, gt < 0 ? undefined : gt);
  }
  return rest.split(/\s+/)[0] ?? '';
}

/** The user a SASL PLAIN response names (authzid, else authcid). */
export function saslPlainUser(b64: string): string | undefined {
  const s = base64Text(b64);
  if (s === undefined) return undefined;
  const f = s.split('\0');
  if (f.length < 3) return undefined;
  return f[0] || f[1] || undefined;
}

/** The SMTP dialogue of one flow. Feed each direction's stream bytes; read `transactions`. */
export class SmtpParser {
  readonly transactions: SmtpTransaction[] = [];
  helo?: string;
  greeting?: string;
  user?: string;
  authMech?: string;
  authSuccess?: boolean;
  /** STARTTLS accepted: the rest is TLS. */
  tls = false;
  quit = false;
  private mode: Mode = Mode.Command;
  private authLines = 0;
  private readonly lines: [LineSplitter, LineSplitter];
  private readonly pending: Pending[] = [];
  private tx: SmtpTransaction | null = null;
  private sink: ByteSink | null = null;
  private dot: DotReader | null = null;
  private bdatLeft = 0;
  private bdatLast = false;
  private lastTs = 0;
  private replyText = '';
  private greeted = false;
  private dropped = false;
  /** Client bytes were lost inside the current message. */
  private msgGap = false;
  private reported = new Set<string>();

  constructor(
    private readonly weird: Weird,
    private readonly limits: Readonly<SmtpLimits> = DEFAULT_SMTP_LIMITS,
  ) {
    this.lines = [new LineSplitter(limits.maxLine), new LineSplitter(limits.maxLine)];
  }

  /** STARTTLS accepted or QUIT answered: nothing more to read. */
  get done(): boolean {
    return this.tls || this.quit;
  }

  data(dir: Dir, b: Uint8Array, off: number, end: number, tsUs = 0): void {
    this.lastTs = tsUs;
    try {
      if (dir === 0) this.client(b, off, end);
      else this.server(b, off, end);
    } catch {
      this.weird('smtp_internal_error');
    }
  }

  gap(dir: Dir): void {
    this.weird('smtp_content_gap');
    this.lines[dir].reset();
    if (dir === 0 && this.mode === Mode.Bdat) this.mode = Mode.Command; // byte count lost
    if (dir === 0 && this.sink !== null) this.msgGap = true;
  }

  /** The flow ended: a transaction still open is kept as it is. */
  end(): void {
    if (this.sink !== null) this.finishMessage(true);
    this.closeTx();
  }

  private once(name: string): void {
    if (this.reported.has(name)) return;
    this.reported.add(name);
    this.weird(name);
  }

  private client(b: Uint8Array, off: number, end: number): void {
    while (off < end && !this.done) {
      if (this.mode === Mode.Data) {
        const r = this.dot!.feed(b, off, end);
        off = r.off;
        if (r.ended) {
          this.finishMessage(false);
          this.push('.', this.tx);
          this.mode = Mode.Command;
        }
        continue;
      }
      if (this.mode === Mode.Bdat) {
        const take = Math.min(this.bdatLeft, end - off);
        this.sink!.push(b, off, off + take);
        off += take;
        this.bdatLeft -= take;
        if (this.bdatLeft === 0) {
          this.mode = Mode.Command;
          if (this.bdatLast) {
            this.finishMessage(false);
            this.push('BDAT-LAST', this.tx);
          } else this.push('BDAT', this.tx);
        }
        continue;
      }
      const sp = this.lines[0];
      off = sp.feed(b, off, end);
      if (sp.line === null) continue;
      if (sp.tooLong) this.once('smtp_line_too_long');
      this.command(sp.line);
    }
  }

  private command(line: string): void {
    if (this.mode === Mode.Auth) {
      this.authLines--;
      if (this.authLines <= 0) this.mode = Mode.Command;
      if (line === '*') {
        this.mode = Mode.Command;
        return;
      }
      if (this.authMech === 'LOGIN' && this.user === undefined) this.user = base64Text(line);
      else if (this.authMech === 'PLAIN' && this.user === undefined) this.user = saslPlainUser(line);
      else if (this.authMech === 'CRAM-MD5' && this.user === undefined) this.user = base64Text(line)?.split(' ')[0];
      return;
    }
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (line === '') return;
    if (!KNOWN.has(verb)) this.once('smtp_unknown_command');
    switch (verb) {
      case 'HELO':
      case 'EHLO':
      case 'LHLO':
        this.helo = arg;
        break;
      case 'MAIL': {
        this.closeTx();
        if (this.transactions.length >= this.limits.maxTransactions) {
          if (!this.dropped) this.weird('smtp_too_many_transactions');
          this.dropped = true;
          this.tx = null;
        } else {
          this.tx = { ts: this.lastTs, rcpt_to: [], rcpt_status: [], tls: false, mail_from: pathArg(arg) };
          if (this.helo !== undefined) this.tx.helo = this.helo;
          if (this.user !== undefined) this.tx.user = this.user;
        }
        break;
      }
      case 'RCPT':
        if (this.tx !== null && this.tx.rcpt_to.length < this.limits.maxRcpt) this.tx.rcpt_to.push(pathArg(arg));
        break;
      case 'DATA':
        this.tx ??= this.newTx();
        this.sink = new ByteSink(this.limits.maxMessage);
        this.dot = new DotReader(this.sink);
        this.mode = Mode.Data;
        break;
      case 'BDAT': {
        const m = /^(\d+)(\s+LAST)?\s*$/i.exec(arg);
        if (m === null) {
          this.once('smtp_bad_bdat');
          break;
        }
        this.tx ??= this.newTx();
        this.sink ??= new ByteSink(this.limits.maxMessage);
        this.bdatLeft = Number(m[1]);
        this.bdatLast = m[2] !== undefined;
        if (this.bdatLeft > 0) {
          this.mode = Mode.Bdat;
          return; // the reply is pushed when the chunk is read
        }
        if (this.bdatLast) {
          this.finishMessage(false);
          this.push('BDAT-LAST', this.tx);
        } else this.push('BDAT', this.tx);
        return;
      }
      case 'RSET':
        this.closeTx();
        break;
      case 'AUTH': {
        const [mech, ir] = arg.split(/\s+/);
        this.authMech = (mech ?? '').toUpperCase();
        const initial = ir !== undefined && ir !== '' && ir !== '=';
        if (this.authMech === 'PLAIN') {
          if (initial) this.user = saslPlainUser(ir);
          else this.authLines = 1;
        } else if (this.authMech === 'LOGIN') {
          if (initial) {
            this.user = base64Text(ir);
            this.authLines = 1;
          } else this.authLines = 2;
        } else if (this.authMech === 'CRAM-MD5') this.authLines = 1;
        else this.authLines = initial ? 0 : 1;
        if (this.authLines > 0) this.mode = Mode.Auth;
        break;
      }
    }
    this.push(verb, this.tx);
  }

  private newTx(): SmtpTransaction {
    const tx: SmtpTransaction = { ts: this.lastTs, rcpt_to: [], rcpt_status: [], tls: false };
    if (this.helo !== undefined) tx.helo = this.helo;
    if (this.user !== undefined) tx.user = this.user;
    return tx;
  }

  private push(verb: string, tx: SmtpTransaction | null): void {
    if (this.pending.length >= this.limits.maxPending) this.pending.shift();
    this.pending.push({ verb, tx });
  }

  private finishMessage(truncated: boolean): void {
    const sink = this.sink;
    this.sink = null;
    this.dot = null;
    truncated ||= this.msgGap;
    this.msgGap = false;
    if (sink === null || this.tx === null) return;
    if (sink.truncated) this.weird('smtp_message_too_large');
    const msg = parseMime(sink.bytes(), this.weird, this.limits.mime, truncated || sink.truncated);
    this.tx.message = mailEventFields(msg);
    this.tx.message_bytes = sink.total;
  }

  private closeTx(): void {
    if (this.tx !== null && !this.transactions.includes(this.tx)) this.transactions.push(this.tx);
    this.tx = null;
  }

  private server(b: Uint8Array, off: number, end: number): void {
    const sp = this.lines[1];
    while (off < end && !this.done) {
      off = sp.feed(b, off, end);
      if (sp.line === null) continue;
      if (sp.tooLong) this.once('smtp_line_too_long');
      this.reply(sp.line);
    }
  }

  private reply(line: string): void {
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(line);
    if (m === null) {
      this.once('smtp_bad_reply');
      return;
    }
    if (m[2] === '-') {
      if (this.replyText.length < 512) this.replyText += `${m[3]}\n`;
      return;
    }
    const code = Number(m[1]);
    const text = this.replyText + m[3]!;
    this.replyText = '';
    if (code === 334) return; // AUTH continuation: the command still waits
    // The server speaks first: its first 220/421/554 is the greeting, even when the client's
    // commands were seen earlier (only a 220 to STARTTLS could come first, mid-flow).
    if (!this.greeted && (code === 220 || code === 421 || code === 554) && this.pending[0]?.verb !== 'STARTTLS') {
      this.greeted = true;
      this.greeting = text;
      return;
    }
    this.greeted = true;
    const p = this.pending.shift();
    if (p === undefined) {
      this.once('smtp_unmatched_reply');
      return;
    }
    const tx = p.tx;
    switch (p.verb) {
      case 'MAIL':
        if (tx !== null) tx.mail_status = code;
        break;
      case 'RCPT':
        if (tx !== null && tx.rcpt_status.length < tx.rcpt_to.length) tx.rcpt_status.push(code);
        break;
      case 'DATA':
        if (tx !== null) tx.data_status = code;
        // DATA refused before any text: the client goes on with commands.
        if (code !== 354 && this.mode === Mode.Data && this.sink !== null && this.sink.total === 0) {
          this.mode = Mode.Command;
          this.sink = null;
          this.dot = null;
        }
        break;
      case 'BDAT':
        if (tx !== null) tx.data_status = code;
        break;
      case '.':
      case 'BDAT-LAST':
        if (tx !== null) {
          if (p.verb === 'BDAT-LAST') tx.data_status = code;
          tx.status = code;
          tx.reply = text.slice(0, 256);
          if (this.tx === tx) this.closeTx();
        }
        break;
      case 'AUTH':
        this.authSuccess = code === 235;
        // Refused or done: no more continuation lines.
        if (this.mode === Mode.Auth) this.mode = Mode.Command;
        this.authLines = 0;
        break;
      case 'STARTTLS':
        if (code === 220) {
          this.tls = true;
          this.closeTx();
        }
        break;
      case 'QUIT':
        this.quit = true;
        break;
    }
  }
}

/** Ports where SMTP is expected without looking. */
const SMTP_PORTS = new Set([25, 587, 2525]);

/** True when the first line of a stream looks like SMTP (greeting `220 … SMTP`, or EHLO/HELO). */
export function probeSmtp(dir: Dir, b: Uint8Array, off: number, end: number): boolean {
  // Byte checks first: most flows asked are not SMTP, and text is costly to make.
  if (end - off < 5) return false;
  if (dir === 1 ? b[off] !== 0x32 || b[off + 1] !== 0x32 || b[off + 2] !== 0x30 : !'EeHhLl'.includes(String.fromCharCode(b[off]!))) return false;
  const s = latin1(b, off, Math.min(end, off + 512));
  if (dir === 1) return /^220[ -][^\r\n]*SMTP/i.test(s);
  return /^(EHLO|HELO|LHLO) /i.test(s);
}

/** One flow followed by {@link smtpConsumer}. */
export type SmtpFlow = ProbedFlow<SmtpParser>;

/** A transaction (or, without mail, the session's STARTTLS / AUTH) as events. */
export function smtpEvents(p: SmtpParser): EventFields[] {
  p.end();
  const base = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (p.helo !== undefined) o.helo = p.helo;
    if (p.user !== undefined) o.user = p.user;
    if (p.authMech !== undefined) o.auth_mech = p.authMech;
    if (p.authSuccess !== undefined) o.auth_success = p.authSuccess;
    return o;
  };
  const out: EventFields[] = p.transactions.map((t) => {
    const ev: EventFields = { type: 'smtp', ...(t.ts > 0 ? { ts: Math.round(t.ts) / 1e6 } : {}), ...base() };
    if (t.user !== undefined) ev.user = t.user;
    if (t.helo !== undefined) ev.helo = t.helo;
    if (t.mail_from !== undefined) ev.mail_from = t.mail_from;
    if (t.mail_status !== undefined) ev.mail_status = t.mail_status;
    ev.rcpt_to = t.rcpt_to;
    if (t.rcpt_status.length > 0) ev.rcpt_status = t.rcpt_status;
    if (t.data_status !== undefined) ev.data_status = t.data_status;
    if (t.status !== undefined) ev.status = t.status;
    if (t.reply !== undefined) ev.reply = t.reply;
    if (t.message !== undefined) Object.assign(ev, t.message);
    if (t.message_bytes !== undefined) ev.message_bytes = t.message_bytes;
    return ev;
  });
  if (out.length === 0 && (p.tls || p.user !== undefined || p.authMech !== undefined)) {
    const ev: EventFields = { type: 'smtp', ...base() };
    if (p.tls) ev.starttls = true;
    if (p.greeting !== undefined) ev.greeting = p.greeting.slice(0, 256);
    out.push(ev);
  } else if (p.tls) for (const e of out) e.starttls = true;
  return out;
}

/**
 * SMTP on ports 25/587/2525, or any TCP flow whose server greets `220 … SMTP` or whose client
 * starts with EHLO/HELO. Adds no record field: it follows flows only when events are listened
 * to, and gives one `smtp` event per mail transaction (one for STARTTLS/AUTH when no mail).
 */
export const smtpConsumer: Consumer<SmtpFlow> = probedTcpConsumer({
  name: 'smtp',
  eventsOnly: true,
  port: (s) => SMTP_PORTS.has(s.serverPort),
  probe: probeSmtp,
  create: (weird) => new SmtpParser(weird),
  events: smtpEvents,
});
