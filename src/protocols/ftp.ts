/**
 * FTP control connections (RFC 959, RFC 2428) over TCP port 21.
 *
 * - {@link parseFtpPort}, {@link parseFtpEprt}, {@link parseFtpPasv}, {@link parseFtpEpsv}:
 *   the data endpoints of PORT/EPRT commands and 227/229 replies (pure, never throw).
 * - {@link FtpState}: per-flow state: user, whether a password was sent (never the
 *   password), the first commands, file names of transfers, reply codes and the announced
 *   data endpoints as {@link FtpDataExpectation}s, for a later expectation table.
 * - {@link ftpConsumer}: the engine's consumer; one `ftp` event per control connection.
 *   It only produces events, so it follows flows only when events are listened to.
 */
import type { Consumer, Dir, EventFields, FlowStart } from '../engine/consumer.js';

export const FTP_PORT = 21;

/** Limits of one flow. */
export interface FtpLimits {
  /** Longest line kept, bytes; longer: `ftp_line_too_long`, the line is skipped. */
  maxLine: number;
  /** Commands kept (the first ones). */
  maxCommands: number;
  /** File names kept. */
  maxFiles: number;
  /** Reply codes kept. */
  maxReplies: number;
  /** Data endpoints kept. */
  maxEndpoints: number;
}

export const DEFAULT_FTP_LIMITS: Readonly<FtpLimits> = { maxLine: 2048, maxCommands: 64, maxFiles: 32, maxReplies: 64, maxEndpoints: 32 };

/** Weirds this file reports. */
export const FTP_WEIRDS = ['ftp_line_too_long', 'ftp_bad_port', 'ftp_bad_eprt', 'ftp_bad_pasv', 'ftp_bad_epsv', 'ftp_bad_reply', 'ftp_too_many_commands'] as const;

/**
 * A data connection announced on the control connection. `address` absent: the control
 * connection's server address (EPSV, and EPRT/PORT never omit it).
 */
export interface FtpDataExpectation {
  address?: string;
  port: number;
  /** `PORT`, `EPRT` (client listens), `PASV` (227), `EPSV` (229): server listens. */
  command: 'PORT' | 'EPRT' | 'PASV' | 'EPSV';
}

/** An endpoint from six comma-separated decimals h1,h2,h3,h4,p1,p2; undefined if malformed. */
function sixNumbers(s: string): { address: string; port: number } | undefined {
  const m = /(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})/.exec(s);
  if (m === null) return undefined;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return undefined;
  return { address: `${n[0]}.${n[1]}.${n[2]}.${n[3]}`, port: n[4] * 256 + n[5] };
}

/** `PORT h1,h2,h3,h4,p1,p2` argument. */
export function parseFtpPort(arg: string): FtpDataExpectation | undefined {
  const e = sixNumbers(arg);
  return e === undefined || !/^\s*[\d,\s]+$/.test(arg) ? undefined : { ...e, command: 'PORT' };
}

/** `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply text. */
export function parseFtpPasv(text: string): FtpDataExpectation | undefined {
  const e = sixNumbers(text);
  return e === undefined ? undefined : { ...e, command: 'PASV' };
}

/** `EPRT |1|132.235.1.2|6275|` argument (RFC 2428 §2; any delimiter in 33-126). */
export function parseFtpEprt(arg: string): FtpDataExpectation | undefined {
  const a = arg.trim();
  if (a.length < 7) return undefined;
  const d = a[0];
  const code = d.charCodeAt(0);
  if (code < 33 || code > 126) return undefined;
  const parts = a.split(d);
  // ['', proto, addr, port, '']
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return undefined;
  const proto = parts[1];
  const addr = parts[2];
  const port = /^\d{1,5}$/.test(parts[3]) ? Number(parts[3]) : -1;
  if (port < 0 || port > 65535) return undefined;
  if (proto === '1' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) return undefined;
  if (proto === '2' && !/^[0-9A-Fa-f:.]+$/.test(addr)) return undefined;
  if (proto !== '1' && proto !== '2') return undefined;
  return { address: addr, port, command: 'EPRT' };
}

/** `229 Entering Extended Passive Mode (|||6446|)` reply text (RFC 2428 §3). */
export function parseFtpEpsv(text: string): FtpDataExpectation | undefined {
  const m = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[2]);
  return port > 65535 ? undefined : { port, command: 'EPSV' };
}

/** Per-direction line buffer. */
interface LineBuf {
  buf: Uint8Array;
  len: number;
  /** Skipping the rest of an over-long line. */
  skip: boolean;
}

const TRANSFER_COMMANDS = new Set(['RETR', 'STOR', 'STOU', 'APPE']);

/** One FTP control connection. */
export class FtpState {
  user?: string;
  /** A PASS command was sent (its argument is never kept). */
  passwordSent = false;
  /** The first commands, verbs with arguments (PASS's argument replaced by `****`). */
  readonly commands: string[] = [];
  /** Names of RETR/STOR/STOU/APPE arguments. */
  readonly files: string[] = [];
  readonly replies: number[] = [];
  readonly expectations: FtpDataExpectation[] = [];
  /** A 230 reply was seen (login succeeded). */
  loggedIn = false;
  /** Packet time of the first line, µs. */
  firstUs?: number;
  private commandCount = 0;
  /** Code of a multi-line reply being read (`123-` … `123 `), or 0. */
  private multiline = 0;
  private readonly lines: [LineBuf, LineBuf] = [
    { buf: new Uint8Array(256), len: 0, skip: false },
    { buf: new Uint8Array(256), len: 0, skip: false },
  ];

  constructor(
    private readonly weird: (name: string) => void,
    readonly limits: FtpLimits = DEFAULT_FTP_LIMITS,
  ) {}

  /** In-order bytes of one direction (0: client commands, 1: server replies). */
  stream(dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    const lb = this.lines[dir];
    for (let i = off; i < end; i++) {
      const c = b[i];
      if (c === 10) {
        if (!lb.skip) this.line(dir, Buffer.from(lb.buf.buffer, lb.buf.byteOffset, lb.len).toString('utf8').replace(/\r$/, ''), tsUs);
        lb.len = 0;
        lb.skip = false;
        continue;
      }
      if (lb.skip) continue;
      if (lb.len >= this.limits.maxLine) {
        this.weird('ftp_line_too_long');
        lb.skip = true;
        lb.len = 0;
        continue;
      }
      if (lb.len === lb.buf.length) {
        const nb = new Uint8Array(Math.min(this.limits.maxLine, lb.buf.length * 2));
        nb.set(lb.buf);
        lb.buf = nb;
      }
      lb.buf[lb.len++] = c;
    }
  }

  /** A hole: drop the partial line of that direction (the next line is read whole). */
  gap(dir: Dir): void {
    this.lines[dir].len = 0;
    this.lines[dir].skip = true;
    if (dir === 1) this.multiline = 0;
  }

  /** Called with each data endpoint announced (the engine's expectation table links the data flow). */
  onEndpoint: ((e: FtpDataExpectation) => void) | null = null;
  /** Called with each client command as it is read (verb, argument; PASS's argument hidden). */
  onCommand: ((verb: string, arg: string, tsUs: number) => void) | null = null;

  private endpoint(e: FtpDataExpectation | undefined, bad: string): void {
    if (e === undefined) this.weird(bad);
    else if (this.expectations.length < this.limits.maxEndpoints) {
      this.expectations.push(e);
      this.onEndpoint?.(e);
    }
  }

  /** One complete line. */
  line(dir: Dir, line: string, tsUs: number): void {
    if (line === '') return;
    this.firstUs ??= tsUs;
    if (dir === 0) this.command(line, tsUs);
    else this.reply(line);
  }

  private command(line: string, tsUs: number): void {
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).trim().toUpperCase();
    const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (!/^[A-Z]{3,4}$/.test(verb)) return; // Telnet IAC sequences, noise
    this.commandCount++;
    if (this.commands.length < this.limits.maxCommands) this.commands.push(verb === 'PASS' ? 'PASS ****' : arg === '' ? verb : `${verb} ${arg}`);
    else if (this.commandCount === this.limits.maxCommands + 1) this.weird('ftp_too_many_commands');
    this.onCommand?.(verb, verb === 'PASS' ? '****' : arg, tsUs);
    switch (verb) {
      case 'USER':
        this.user ??= arg;
        break;
      case 'PASS':
        this.passwordSent = true;
        break;
      case 'PORT':
        this.endpoint(parseFtpPort(arg), 'ftp_bad_port');
        break;
      case 'EPRT':
        this.endpoint(parseFtpEprt(arg), 'ftp_bad_eprt');
        break;
      default:
        if (TRANSFER_COMMANDS.has(verb) && arg !== '' && this.files.length < this.limits.maxFiles) this.files.push(arg);
    }
  }

  private reply(line: string): void {
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (this.multiline !== 0) {
      // Inside a multi-line reply only "<code> " ends it; other lines are text.
      if (m !== null && Number(m[1]) === this.multiline && m[2] === ' ') this.multiline = 0;
      return;
    }
    if (m === null) {
      this.weird('ftp_bad_reply');
      return;
    }
    const code = Number(m[1]);
    if (m[2] === '-') this.multiline = code;
    if (this.replies.length < this.limits.maxReplies) this.replies.push(code);
    if (code === 230) this.loggedIn = true;
    if (code === 227) this.endpoint(parseFtpPasv(m[3]), 'ftp_bad_pasv');
    else if (code === 229) this.endpoint(parseFtpEpsv(m[3]), 'ftp_bad_epsv');
  }
}

/** The flow as an `ftp` event (undefined when nothing was read). */
export function ftpEvent(st: FtpState): EventFields | undefined {
  if (st.firstUs === undefined) return undefined;
  const ev: EventFields = { type: 'ftp', ts: Math.round(st.firstUs) / 1e6 };
  if (st.user !== undefined) ev.user = st.user;
  ev.password_sent = st.passwordSent;
  ev.logged_in = st.loggedIn;
  ev.commands = st.commands.slice();
  ev.replies = st.replies.slice();
  ev.files = st.files.slice();
  ev.data_endpoints = st.expectations.map((e) => ({ ...e }));
  return ev;
}

/**
 * FTP control on TCP port 21: one `ftp` event per connection; announces each data connection
 * to the engine (so the data flow is named FTP_DATA and linked), and with live listeners
 * publishes each command as an `ftp_command` message.
 */
export const ftpConsumer: Consumer<FtpState> = {
  name: 'ftp',
  open(s: FlowStart) {
    if (s.protocol !== 6 || s.serverPort !== FTP_PORT) return undefined;
    const st = new FtpState(s.weird);
    const flow = s.flow;
    const expect = s.expect;
    const publish = s.live ? s.publish : null;
    st.onEndpoint = (e) => {
      expect(flow, { name: 'FTP_DATA', protocol: 6, address: e.address, port: e.port });
      publish?.(flow, { type: 'ftp_data_endpoint', command: e.command, ...(e.address !== undefined ? { address: e.address } : {}), port: e.port });
    };
    if (publish !== null) {
      st.onCommand = (verb, arg, tsUs) => publish(flow, { type: 'ftp_command', ts: Math.round(tsUs) / 1e6, command: verb, ...(arg !== '' ? { arg } : {}) });
    }
    return st;
  },
  stream: (st, dir, b, off, end, tsUs) => st.stream(dir, b, off, end, tsUs),
  gap: (st, dir) => st.gap(dir),
  events(st) {
    const ev = ftpEvent(st);
    return ev === undefined ? undefined : [ev];
  },
};
