/**
 * NTP over UDP port 123: the time messages of modes 1-5 (RFC 5905, and the same 48-byte
 * header of versions 1-3: RFC 1059, 1119, 1305), the control messages of mode 6 (RFC 1305
 * appendix B, RFC 9327) and the implementation-specific ("private") messages of mode 7
 * (ntpd's `ntpdc` requests, `monlist` among them).
 *
 * - {@link parseNtp}: one datagram to an {@link NtpMessage}; never throws, anomalies are
 *   weirds by name ({@link NTP_WEIRDS}).
 * - {@link NtpState}: per-flow state, a few messages kept.
 * - {@link ntpConsumer}: the engine's consumer. The flow record's contract has no NTP field:
 *   nothing is added to the record; the state's `info()` is for events.
 *
 * Timestamps are seconds since 1970-01-01 UTC as floats (about 0.2 µs resolution); a zero
 * timestamp (not set) is left out. Era: a timestamp with its top bit clear is taken to be
 * after 2036-02-07 (era 1), as RFC 4330 §3 suggests.
 */
import type { Consumer, Dir } from '../engine/consumer.js';

/** Seconds from 1900-01-01 (NTP's epoch) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2208988800;
const TWO32 = 4294967296;
/** Size of the header of modes 1-5, of mode 6 and of mode 7. */
const TIME_HDR = 48;
const CONTROL_HDR = 12;
const PRIVATE_HDR = 8;
/** Largest data in a control message (RFC 1305 appendix B: 468 octets). */
const CONTROL_MAX_DATA = 468;
/** Smallest extension field (RFC 7822 §3: 16 octets), and smallest last one without MAC (28). */
const EXT_MIN = 16;

/** Association modes (the low 3 bits of the first byte). */
export const NtpMode = {
  Reserved: 0,
  SymmetricActive: 1,
  SymmetricPassive: 2,
  Client: 3,
  Server: 4,
  Broadcast: 5,
  Control: 6,
  Private: 7,
} as const;

const MODE_NAMES = ['reserved', 'symmetric_active', 'symmetric_passive', 'client', 'server', 'broadcast', 'control', 'private'] as const;

/** Control message opcodes (mode 6). */
const CONTROL_OPCODES: Readonly<Record<number, string>> = {
  1: 'readstat',
  2: 'readvar',
  3: 'writevar',
  4: 'readclock',
  5: 'writeclock',
  6: 'settrap',
  7: 'asyncmsg',
  8: 'configure',
  9: 'saveconfig',
  10: 'readmru',
  11: 'readordlist',
  12: 'reqnonce',
  31: 'unsettrap',
};

/** Request codes of ntpd's mode 7 that are worth a name (the rest stay numbers). */
const PRIVATE_REQUESTS: Readonly<Record<number, string>> = {
  0: 'peer_list',
  1: 'peer_list_sum',
  2: 'peer_info',
  4: 'sys_info',
  5: 'sys_stats',
  6: 'io_stats',
  7: 'mem_stats',
  8: 'loop_info',
  9: 'timer_stats',
  10: 'config',
  16: 'set_sys_flag',
  20: 'mon_getlist',
  42: 'mon_getlist_1',
};

/**
 * Weirds this file reports (`ntp_` prefix):
 * - `ntp_truncated`: shorter than its mode's header (48 / 12 / 8 bytes); not taken
 * - `ntp_bad_version`: version 0 or over 4; not taken as NTP
 * - `ntp_reserved_mode`: mode 0; the 48-byte header is read
 * - `ntp_bad_length`: a control or private message whose counted data is longer than what
 *   follows its header (or a control count over 468)
 * - `ntp_bad_extension`: bytes after the 48-byte header that are neither a MAC nor RFC 7822
 *   extension fields
 * - `ntp_too_many_messages`: datagrams past `maxMessages` are counted, not kept
 */
export const NTP_WEIRDS = ['ntp_truncated', 'ntp_bad_version', 'ntp_reserved_mode', 'ntp_bad_length', 'ntp_bad_extension', 'ntp_too_many_messages'] as const;
export type NtpWeird = (typeof NTP_WEIRDS)[number];

/** Bounds per message and per flow (STYLE.md §8). */
export interface NtpLimits {
  /** Extension fields walked per message; past it the rest is not read (no weird: it is legal). */
  maxExtensions: number;
  /** Messages kept per flow. */
  maxMessages: number;
  /** Datagrams after which the flow is `done` (when the two directions have not both spoken). */
  maxDatagrams: number;
}

export const DEFAULT_NTP_LIMITS: Readonly<NtpLimits> = { maxExtensions: 8, maxMessages: 4, maxDatagrams: 4 };

/** Header of a control message (mode 6). */
export interface NtpControl {
  response: boolean;
  error: boolean;
  more: boolean;
  opcode: number;
  opcode_name?: string;
  sequence: number;
  status: number;
  association_id: number;
  offset: number;
  /** Octets of data the header announces. */
  count: number;
}

/** Header of a private message (mode 7, ntpd's layout). */
export interface NtpPrivate {
  response: boolean;
  more: boolean;
  /** The authenticated bit. */
  auth: boolean;
  sequence: number;
  /** 0 universal, 2 old xntpd, 3 xntpd. */
  implementation: number;
  request_code: number;
  request_name?: string;
  /** Error code (the top 4 bits of bytes 4-5). */
  error: number;
  items: number;
  item_size: number;
}

/** One NTP message. Fields of modes 1-5 are absent for modes 6 and 7, and the reverse. */
export interface NtpMessage {
  version: number;
  mode: number;
  mode_name: string;
  /** Leap indicator (0 no warning, 1 +1 s, 2 -1 s, 3 unsynchronised); modes 1-5. */
  leap?: number;
  stratum?: number;
  /** Poll interval and precision as on the wire: signed log2 seconds. */
  poll?: number;
  precision?: number;
  /** Root delay and root dispersion, seconds. */
  root_delay?: number;
  root_disp?: number;
  /**
   * Reference id as text: the ASCII code for stratum 0 (a kiss code) and 1 (a reference clock:
   * "GPS", "PPS" …), a dotted quad above (an IPv4 address, or the first octets of an IPv6
   * address's MD5); hex when an ASCII code is not printable.
   */
  ref_id?: string;
  /** A server's kiss code (stratum 0, mode 4): `RATE`, `DENY` … */
  kiss_code?: string;
  /** The four timestamps, seconds since 1970 (floats); a zero timestamp is absent. */
  ref_time?: number;
  org_time?: number;
  rec_time?: number;
  xmt_time?: number;
  /** RFC 7822 extension fields after the header. */
  extensions?: number;
  /** Key id of a MAC after the header (a crypto-NAK is a key id of 0 with no digest). */
  key_id?: number;
  control?: NtpControl;
  private?: NtpPrivate;
}

/** A flow's NTP: the first message's version and mode, and the messages kept. */
export interface NtpInfo {
  version: number;
  mode: number;
  mode_name: string;
  messages: readonly NtpMessage[];
}

/** Parses one NTP datagram at `b[off, end)`; undefined when it is not NTP (see {@link NTP_WEIRDS}). */
export function parseNtp(b: Uint8Array, off: number, end: number, weird: (name: NtpWeird) => void, limits: Readonly<NtpLimits> = DEFAULT_NTP_LIMITS): NtpMessage | undefined {
  if (off < 0) off = 0;
  if (end > b.length) end = b.length;
  const n = end - off;
  if (n < 1) {
    weird('ntp_truncated');
    return undefined;
  }
  const b0 = b[off]!;
  const version = (b0 >> 3) & 7;
  const mode = b0 & 7;
  if (version === 0 || version > 4) {
    weird('ntp_bad_version');
    return undefined;
  }
  const m: NtpMessage = { version, mode, mode_name: MODE_NAMES[mode]! };
  if (mode === NtpMode.Control) {
    if (n < CONTROL_HDR) {
      weird('ntp_truncated');
      return undefined;
    }
    const b1 = b[off + 1]!;
    const opcode = b1 & 0x1f;
    const c: NtpControl = {
      response: (b1 & 0x80) !== 0,
      error: (b1 & 0x40) !== 0,
      more: (b1 & 0x20) !== 0,
      opcode,
      sequence: u16(b, off + 2),
      status: u16(b, off + 4),
      association_id: u16(b, off + 6),
      offset: u16(b, off + 8),
      count: u16(b, off + 10),
    };
    const name = CONTROL_OPCODES[opcode];
    if (name !== undefined) c.opcode_name = name;
    if (c.count > CONTROL_MAX_DATA || c.count > n - CONTROL_HDR) weird('ntp_bad_length');
    m.control = c;
    return m;
  }
  if (mode === NtpMode.Private) {
    if (n < PRIVATE_HDR) {
      weird('ntp_truncated');
      return undefined;
    }
    const b1 = b[off + 1]!;
    const code = b[off + 3]!;
    const p: NtpPrivate = {
      response: (b0 & 0x80) !== 0,
      more: (b0 & 0x40) !== 0,
      auth: (b1 & 0x80) !== 0,
      sequence: b1 & 0x7f,
      implementation: b[off + 2]!,
      request_code: code,
      error: b[off + 4]! >> 4,
      items: u16(b, off + 4) & 0xfff,
      item_size: u16(b, off + 6) & 0xfff,
    };
    const name = PRIVATE_REQUESTS[code];
    if (name !== undefined) p.request_name = name;
    if (p.items * p.item_size > n - PRIVATE_HDR) weird('ntp_bad_length');
    m.private = p;
    return m;
  }
  if (n < TIME_HDR) {
    weird('ntp_truncated');
    return undefined;
  }
  if (mode === NtpMode.Reserved) weird('ntp_reserved_mode');
  const stratum = b[off + 1]!;
  m.leap = b0 >> 6;
  m.stratum = stratum;
  m.poll = (b[off + 2]! << 24) >> 24;
  m.precision = (b[off + 3]! << 24) >> 24;
  m.root_delay = fixed16(b, off + 4);
  m.root_disp = fixed16(b, off + 8);
  const ref = u32(b, off + 12);
  if (ref !== 0) {
    if (stratum <= 1) {
      m.ref_id = asciiId(b, off + 12);
      if (stratum === 0 && mode === NtpMode.Server && isAsciiId(b, off + 12)) m.kiss_code = m.ref_id;
    } else m.ref_id = `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  setTime(m, 'ref_time', b, off + 16);
  setTime(m, 'org_time', b, off + 24);
  setTime(m, 'rec_time', b, off + 32);
  setTime(m, 'xmt_time', b, off + 40);
  trailer(m, b, off + TIME_HDR, end, weird, limits);
  return m;
}

/**
 * What follows the 48-byte header: nothing; a MAC (key id, then a 16-byte MD5 or 20-byte SHA-1
 * digest; NTPv3's DES MAC has 8; a crypto-NAK is the key id alone); or (NTPv4) extension
 * fields of RFC 7822 (type, length, value; length a multiple of 4, at least 16), then maybe a MAC.
 */
function trailer(m: NtpMessage, b: Uint8Array, o: number, end: number, weird: (name: NtpWeird) => void, limits: Readonly<NtpLimits>): void {
  let exts = 0;
  for (;;) {
    const left = end - o;
    if (left === 0) break;
    if (left === 4 || left === 12 || left === 20 || left === 24) {
      m.key_id = u32(b, o);
      break;
    }
    if (m.version < 4 || left < EXT_MIN) {
      weird('ntp_bad_extension');
      break;
    }
    if (exts >= limits.maxExtensions) break;
    const len = u16(b, o + 2);
    if (len < EXT_MIN || len % 4 !== 0 || len > left) {
      weird('ntp_bad_extension');
      break;
    }
    exts++;
    o += len;
  }
  if (exts > 0) m.extensions = exts;
}

// ---- per flow ---------------------------------------------------------------------------------

/**
 * NTP state of one flow: each datagram parsed and kept (up to `maxMessages`); `done` once both
 * directions have sent NTP, after `maxDatagrams` datagrams, or after two that are not NTP.
 */
export class NtpState {
  readonly messages: NtpMessage[] = [];
  private readonly limits: NtpLimits;
  private datagrams = 0;
  private failures = 0;
  private readonly dirs = [false, false];

  constructor(
    private readonly weird: (name: string) => void,
    limits: Partial<NtpLimits> = {},
  ) {
    this.limits = { ...DEFAULT_NTP_LIMITS, ...limits };
  }

  get done(): boolean {
    return this.datagrams >= this.limits.maxDatagrams || (this.dirs[0]! && this.dirs[1]!) || this.failures >= 2;
  }

  /** One UDP payload; `b` is only read during the call. */
  datagram(dir: Dir, b: Uint8Array, off: number, end: number): void {
    this.datagrams++;
    const m = parseNtp(b, off, end, this.weird, this.limits);
    if (m === undefined) {
      this.failures++;
      return;
    }
    this.dirs[dir] = true;
    if (this.messages.length >= this.limits.maxMessages) {
      this.weird('ntp_too_many_messages');
      return;
    }
    this.messages.push(m);
  }

  /** Undefined until a datagram parsed as NTP. */
  info(): NtpInfo | undefined {
    const m = this.messages[0];
    if (m === undefined) return undefined;
    return { version: m.version, mode: m.mode, mode_name: m.mode_name, messages: this.messages };
  }
}

/** UDP port of NTP. */
export const NTP_PORT = 123;

/**
 * NTP over UDP, flows with port 123 on either side (a client may use 123 as its source port
 * too). Adds nothing to the flow record (the contract has no NTP field); `NtpState.info()`
 * is for events.
 */
export const ntpConsumer: Consumer<NtpState> = {
  name: 'ntp',
  open: (s) => (s.protocol === 17 && (s.serverPort === NTP_PORT || s.clientPort === NTP_PORT) ? new NtpState(s.weird) : undefined),
  datagram: (st, dir, b, off, end) => st.datagram(dir, b, off, end),
  done: (st) => st.done,
};

// ---- bytes ------------------------------------------------------------------------------------

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** NTP short format: unsigned 16.16 fixed point seconds. */
function fixed16(b: Uint8Array, o: number): number {
  return u32(b, o) / 65536;
}

/** A 64-bit NTP timestamp as seconds since 1970 (era 1 when the top bit is clear); 0 → absent. */
function setTime(m: NtpMessage, k: 'ref_time' | 'org_time' | 'rec_time' | 'xmt_time', b: Uint8Array, o: number): void {
  const sec = u32(b, o);
  const frac = u32(b, o + 4);
  if (sec === 0 && frac === 0) return;
  const era = sec < 0x80000000 ? TWO32 : 0;
  m[k] = sec + era - NTP_UNIX_OFFSET + frac / TWO32;
}

/** Is the 4-byte id at `o` printable ASCII, NUL-padded on the right? */
function isAsciiId(b: Uint8Array, o: number): boolean {
  let ended = false;
  for (let i = 0; i < 4; i++) {
    const c = b[o + i]!;
    if (c === 0) ended = true;
    else if (ended || c < 0x20 || c > 0x7e) return false;
  }
  return b[o] !== 0;
}

/** The 4-byte id as ASCII (NULs dropped), or `0x` + hex when it is not printable. */
function asciiId(b: Uint8Array, o: number): string {
  if (isAsciiId(b, o)) {
    let s = '';
    for (let i = 0; i < 4 && b[o + i] !== 0; i++) s += String.fromCharCode(b[o + i]!);
    return s;
  }
  return `0x${u32(b, o).toString(16).padStart(8, '0')}`;
}
