/**
 * SSH (RFC 4253) over reassembled TCP bytes: each side's identification string (the banner,
 * `SSH-protoversion-softwareversion [comments]`), then the binary packet protocol up to each
 * side's first SSH_MSG_KEXINIT, and the HASSH / HASSHServer fingerprints of those KEXINITs
 * (Salesforce's HASSH: md5 of `kex;ciphers;macs;compression`, the client's client→server
 * lists for HASSH, the server's server→client lists for HASSHServer).
 *
 * One {@link SshParser} per flow; each direction's bytes are fed in stream order, split
 * anywhere. Nothing in the bytes throws: anomalies are named weirds ({@link SSH_WEIRDS}) and a
 * direction stops where going on would mean guessing. A direction is finished by its
 * KEXINIT, by SSH-1 (no KEXINIT in that protocol), or by bytes that are no plaintext packet
 * (encrypted data, another protocol); the parser is `done` when both directions are.
 *
 * Memory: a line or packet is parsed in place when one `data()` call holds it whole;
 * otherwise it is gathered, up to {@link SshLimits.maxLine} bytes for a line and
 * {@link SshLimits.maxPacket} + 4 for a packet, per direction.
 */
import { createHash } from 'node:crypto';
import type { Consumer, RecordFields } from '../engine/consumer.js';

/** 0 = client → server, 1 = server → client. */
export type Dir = 0 | 1;

/**
 * Weird names this parser reports (snake_case, `ssh_` prefix):
 * - `ssh_line_too_long`: no line end within `maxLine` bytes before the banner; direction stops
 * - `ssh_banner_too_long`: a banner over 255 bytes with its CR LF (RFC 4253 §4.2); kept
 * - `ssh_no_banner`: more than `maxPreambleLines` lines before the banner; direction stops
 * - `ssh_bad_banner`: an `SSH-` line without `protoversion-softwareversion`; kept as it is
 * - `ssh_bad_packet_length`: a packet length under 5 or over `maxPacket` before the KEXINIT
 *   (encrypted data or not SSH); direction stops
 * - `ssh_bad_padding`: padding under 4 bytes (kept), or no room for a payload (direction stops)
 * - `ssh_bad_kexinit`: a KEXINIT whose fields run past its payload; direction stops
 * - `ssh_name_list_too_long`: a KEXINIT name-list over `maxNameList` bytes; KEXINIT dropped
 * - `ssh_unexpected_message`: a message other than KEXINIT, IGNORE, DEBUG, DISCONNECT or
 *   UNIMPLEMENTED first, or more than `maxPackets` packets before the KEXINIT; direction stops
 * - `ssh_gap`: bytes missing before a direction was finished; direction stops
 */
export const SSH_WEIRDS = [
  'ssh_line_too_long',
  'ssh_banner_too_long',
  'ssh_no_banner',
  'ssh_bad_banner',
  'ssh_bad_packet_length',
  'ssh_bad_padding',
  'ssh_bad_kexinit',
  'ssh_name_list_too_long',
  'ssh_unexpected_message',
  'ssh_gap',
] as const;
export type SshWeird = (typeof SSH_WEIRDS)[number];

/** Bounds on what one direction may take (STYLE.md §8). */
export interface SshLimits {
  /** Longest line (banner or a line before it) looked at, line end included. */
  maxLine: number;
  /** Lines before the banner (RFC 4253 §4.2 lets a server send some). */
  maxPreambleLines: number;
  /** Largest `packet_length` taken for a plaintext packet (RFC 4253 §6.1: 35000 in all). */
  maxPacket: number;
  /** Bytes of one KEXINIT name-list. */
  maxNameList: number;
  /** Packets before the KEXINIT (IGNORE, DEBUG …). */
  maxPackets: number;
}

export const DEFAULT_SSH_LIMITS: Readonly<SshLimits> = {
  maxLine: 1024,
  maxPreambleLines: 32,
  maxPacket: 35000,
  maxNameList: 8192,
  maxPackets: 4,
};

/** Longest banner RFC 4253 §4.2 allows, CR LF included. */
const RFC_MAX_BANNER = 255;

/** Message numbers (RFC 4250 §4.1.2) this parser tells apart. */
export const SshMsg = { Disconnect: 1, Ignore: 2, Unimplemented: 3, Debug: 4, KexInit: 20, NewKeys: 21 } as const;

/** An identification string, split per RFC 4253 §4.2. */
export interface SshBanner {
  /** The line without its CR LF; bytes outside printable ASCII as `\xHH`. */
  banner: string;
  /** `protoversion`: "2.0", "1.99", "1.5" … */
  proto: string;
  /** `softwareversion` (empty when the banner has none). */
  software: string;
  /** Text after the first space, when present. */
  comments?: string;
}

/** The name-lists of one SSH_MSG_KEXINIT (RFC 4253 §7.1), each as on the wire (comma-separated). */
export interface SshKexInit {
  /** The 16 random bytes, hex. */
  cookie: string;
  kex: string;
  host_key: string;
  enc_c2s: string;
  enc_s2c: string;
  mac_c2s: string;
  mac_s2c: string;
  comp_c2s: string;
  comp_s2c: string;
  lang_c2s: string;
  lang_s2c: string;
  first_kex_follows: boolean;
}

/** What the parser found, for events (`ssh` records) and tests; the flow record gets `host` only. */
export interface SshInfo {
  /** 2, or 1 when either banner announces SSH-1 (protoversion 1.x other than 1.99). */
  version?: 1 | 2;
  client_banner?: string;
  server_banner?: string;
  client_software?: string;
  server_software?: string;
  /** HASSH of the client's KEXINIT (lower-case md5 hex) and the string it hashes. */
  hassh?: string;
  hassh_algorithms?: string;
  /** HASSHServer of the server's KEXINIT and the string it hashes. */
  hassh_server?: string;
  hassh_server_algorithms?: string;
  /**
   * Algorithms both sides' KEXINITs agree on (RFC 4253 §7.1: the client's first that the
   * server also lists), client→server where the direction matters. `mac_alg` is left out for
   * AEAD ciphers, which carry their own integrity.
   */
  kex_alg?: string;
  host_key_alg?: string;
  cipher_alg?: string;
  mac_alg?: string;
  compression_alg?: string;
  client_kexinit?: SshKexInit;
  server_kexinit?: SshKexInit;
}

/** Why a direction stopped (undefined while it goes on). */
export type SshSideEnd = 'kexinit' | 'ssh1' | 'not_plaintext' | 'gap' | 'no_banner' | 'malformed';

const Phase = { Banner: 0, Packets: 1, Done: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

const S = 0x53;
const H = 0x48;
const DASH = 0x2d;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const SSH_DASH = [S, S, H, DASH];

/**
 * Could `b[off, end)` start an SSH connection? True when its first bytes are `SSH-` (or, for
 * fewer than 4 bytes, a prefix of it). Reads at most 4 bytes.
 */
export function probeSsh(b: Uint8Array, off: number, end: number): boolean {
  const n = Math.min(end - off, 4);
  if (n <= 0) return false;
  for (let i = 0; i < n; i++) if (b[off + i] !== SSH_DASH[i]) return false;
  return true;
}

/** One direction's parsing state. */
class Side {
  phase: Phase = Phase.Banner;
  end: SshSideEnd | undefined;
  /** Bytes of a line or packet gathered across calls. */
  buf: Uint8Array | null = null;
  len = 0;
  /** Bytes the unit being gathered needs in all (a line: as many as `maxLine`). */
  need = 0;
  lines = 0;
  packets = 0;
  banner: SshBanner | undefined;
  kexinit: SshKexInit | undefined;
}

/**
 * The SSH parser of one flow. Feed each direction with {@link data} (bytes in stream order)
 * and {@link gap}; read {@link info} at any time.
 */
export class SshParser {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private readonly limits: SshLimits;
  private first: string | undefined;

  /** @param weird - counts an anomaly by name (see {@link SSH_WEIRDS}) */
  constructor(
    private readonly weird: (name: SshWeird) => void,
    limits: Partial<SshLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SSH_LIMITS, ...limits };
  }

  /** Both directions are finished (KEXINIT, SSH-1, encrypted or unparsable data, a gap). */
  get done(): boolean {
    return this.sides[0].phase === Phase.Done && this.sides[1].phase === Phase.Done;
  }

  /** The first banner seen, either direction (nDPI's "client signature"; see {@link sshConsumer}). */
  get firstBanner(): string | undefined {
    return this.first;
  }

  /** Why direction `dir` stopped; undefined while it goes on. */
  sideEnd(dir: Dir): SshSideEnd | undefined {
    return this.sides[dir].end;
  }

  /** Bytes of one direction, in stream order; `b` is only read during the call. */
  data(dir: Dir, b: Uint8Array, off: number, end: number): void {
    const s = this.sides[dir];
    if (off < 0) off = 0;
    if (end > b.length) end = b.length;
    while (off < end && s.phase !== Phase.Done) {
      if (s.len === 0) {
        const n = this.step(dir, s, b, off, end);
        if (n > 0) {
          off += n;
          continue;
        }
        this.keep(s, b, off, end);
        return;
      }
      // A unit is being gathered: top it up to what it needs, then try again.
      const had = s.len;
      const take = Math.min(end - off, s.need - had);
      this.keep(s, b, off, off + take);
      const n = this.step(dir, s, s.buf!, 0, s.len);
      if (n === 0) {
        off += take;
        continue;
      }
      // `n` > `had`: the unit did not fit in what was gathered before this call.
      s.len = 0;
      off += n - had;
    }
  }

  /** A hole in one direction's stream: a direction not yet finished stops there. */
  gap(dir: Dir): void {
    const s = this.sides[dir];
    if (s.phase === Phase.Done) return;
    this.weird('ssh_gap');
    this.stop(s, 'gap');
  }

  /** What was found so far (a fresh object each call). */
  info(): SshInfo {
    const c = this.sides[0];
    const sv = this.sides[1];
    const out: SshInfo = {};
    if (c.banner !== undefined || sv.banner !== undefined) out.version = isSsh1(c.banner) || isSsh1(sv.banner) ? 1 : 2;
    if (c.banner !== undefined) {
      out.client_banner = c.banner.banner;
      if (c.banner.software !== '') out.client_software = c.banner.software;
    }
    if (sv.banner !== undefined) {
      out.server_banner = sv.banner.banner;
      if (sv.banner.software !== '') out.server_software = sv.banner.software;
    }
    const ck = c.kexinit;
    const sk = sv.kexinit;
    if (ck !== undefined) {
      out.hassh_algorithms = `${ck.kex};${ck.enc_c2s};${ck.mac_c2s};${ck.comp_c2s}`;
      out.hassh = md5(out.hassh_algorithms);
    }
    if (sk !== undefined) {
      out.hassh_server_algorithms = `${sk.kex};${sk.enc_s2c};${sk.mac_s2c};${sk.comp_s2c}`;
      out.hassh_server = md5(out.hassh_server_algorithms);
    }
    if (ck !== undefined && sk !== undefined) {
      const put = (k: 'kex_alg' | 'host_key_alg' | 'cipher_alg' | 'mac_alg' | 'compression_alg', v: string | undefined): void => {
        if (v !== undefined) out[k] = v;
      };
      put('kex_alg', negotiate(ck.kex, sk.kex));
      put('host_key_alg', negotiate(ck.host_key, sk.host_key));
      const cipher = negotiate(ck.enc_c2s, sk.enc_c2s);
      put('cipher_alg', cipher);
      if (cipher === undefined || !isAead(cipher)) put('mac_alg', negotiate(ck.mac_c2s, sk.mac_c2s));
      put('compression_alg', negotiate(ck.comp_c2s, sk.comp_c2s));
    }
    if (ck !== undefined) out.client_kexinit = ck;
    if (sk !== undefined) out.server_kexinit = sk;
    return out;
  }

  // ---- internals --------------------------------------------------------------------------

  /** Appends `b[off, end)` to the side's gathering buffer (sized to the unit's need). */
  private keep(s: Side, b: Uint8Array, off: number, end: number): void {
    const n = end - off;
    if (n <= 0) return;
    const want = Math.max(s.len + n, s.need);
    if (s.buf === null || s.buf.length < want) {
      const nb = new Uint8Array(want);
      if (s.buf !== null) nb.set(s.buf.subarray(0, s.len));
      s.buf = nb;
    }
    s.buf.set(b.subarray(off, end), s.len);
    s.len += n;
  }

  private stop(s: Side, why: SshSideEnd): void {
    s.phase = Phase.Done;
    s.end = why;
    s.buf = null;
    s.len = 0;
  }

  /**
   * Parses one unit (a line or a packet) at `b[off, end)`: returns the bytes it took, or 0
   * when more are needed (with `s.need` set to the unit's size so far as known).
   */
  private step(dir: Dir, s: Side, b: Uint8Array, off: number, end: number): number {
    return s.phase === Phase.Banner ? this.line(dir, s, b, off, end) : this.packet(s, b, off, end);
  }

  private line(dir: Dir, s: Side, b: Uint8Array, off: number, end: number): number {
    const max = this.limits.maxLine;
    const stop = Math.min(end, off + max);
    let lf = -1;
    for (let i = off; i < stop; i++) {
      if (b[i] === LF) {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      if (end - off >= max) {
        this.weird('ssh_line_too_long');
        this.stop(s, 'no_banner');
        return end - off;
      }
      s.need = max;
      return 0;
    }
    const lineEnd = lf > off && b[lf - 1] === CR ? lf - 1 : lf;
    if (lineEnd - off >= 4 && b[off] === S && b[off + 1] === S && b[off + 2] === H && b[off + 3] === DASH) {
      if (lf + 1 - off > RFC_MAX_BANNER) this.weird('ssh_banner_too_long');
      s.banner = this.banner(b, off, lineEnd);
      this.first ??= s.banner.banner;
      s.phase = Phase.Packets;
      s.need = 0;
      // SSH-1 has no KEXINIT: both directions are finished once either side announces it.
      if (isSsh1(s.banner)) {
        this.stop(s, 'ssh1');
        const o = this.sides[dir === 0 ? 1 : 0];
        if (o.phase === Phase.Packets) this.stop(o, 'ssh1');
      } else {
        const o = this.sides[dir === 0 ? 1 : 0];
        if (isSsh1(o.banner)) this.stop(s, 'ssh1');
      }
      return lf + 1 - off;
    }
    if (++s.lines > this.limits.maxPreambleLines) {
      this.weird('ssh_no_banner');
      this.stop(s, 'no_banner');
    }
    return lf + 1 - off;
  }

  private banner(b: Uint8Array, off: number, end: number): SshBanner {
    const text = printable(b, off, end);
    // SSH-protoversion-softwareversion SP comments
    const sp = text.indexOf(' ');
    const head = sp < 0 ? text : text.slice(0, sp);
    const dash = head.indexOf('-', 4);
    if (dash < 0 || dash === 4) this.weird('ssh_bad_banner');
    const out: SshBanner = {
      banner: text,
      proto: dash < 0 ? head.slice(4) : head.slice(4, dash),
      software: dash < 0 ? '' : head.slice(dash + 1),
    };
    if (sp >= 0) out.comments = text.slice(sp + 1);
    return out;
  }

  private packet(s: Side, b: Uint8Array, off: number, end: number): number {
    if (end - off < 5) {
      s.need = 5;
      return 0;
    }
    const len = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
    if (len < 5 || len > this.limits.maxPacket) {
      this.weird('ssh_bad_packet_length');
      this.stop(s, 'not_plaintext');
      return end - off;
    }
    const pad = b[off + 4]!;
    const payload = len - pad - 1;
    if (payload < 1) {
      this.weird('ssh_bad_padding');
      this.stop(s, 'not_plaintext');
      return end - off;
    }
    s.need = 4 + len;
    if (end - off < s.need) return 0;
    if (pad < 4) this.weird('ssh_bad_padding');
    const p = off + 5;
    const msg = b[p]!;
    s.packets++;
    if (msg === SshMsg.KexInit) {
      const k = this.kexinit(b, p + 1, p + payload);
      if (k === undefined) this.stop(s, 'malformed');
      else {
        s.kexinit = k;
        this.stop(s, 'kexinit');
      }
    } else if (
      (msg !== SshMsg.Ignore && msg !== SshMsg.Debug && msg !== SshMsg.Disconnect && msg !== SshMsg.Unimplemented) ||
      s.packets >= this.limits.maxPackets
    ) {
      this.weird('ssh_unexpected_message');
      this.stop(s, 'malformed');
    }
    return 4 + len;
  }

  /** The body of a KEXINIT (after the message number) at `b[off, end)`; undefined if malformed. */
  private kexinit(b: Uint8Array, off: number, end: number): SshKexInit | undefined {
    if (end - off < 16) {
      this.weird('ssh_bad_kexinit');
      return undefined;
    }
    const cookie = hex(b, off, off + 16);
    let o = off + 16;
    const lists: string[] = [];
    let tooLong = false;
    for (let i = 0; i < 10; i++) {
      if (end - o < 4) {
        this.weird('ssh_bad_kexinit');
        return undefined;
      }
      const n = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      o += 4;
      if (n > end - o) {
        this.weird('ssh_bad_kexinit');
        return undefined;
      }
      if (n > this.limits.maxNameList) tooLong = true;
      else lists.push(printable(b, o, o + n));
      o += n;
    }
    // first_kex_packet_follows (1) and the reserved uint32 (4).
    if (end - o < 5) {
      this.weird('ssh_bad_kexinit');
      return undefined;
    }
    if (tooLong) {
      this.weird('ssh_name_list_too_long');
      return undefined;
    }
    return {
      cookie,
      kex: lists[0]!,
      host_key: lists[1]!,
      enc_c2s: lists[2]!,
      enc_s2c: lists[3]!,
      mac_c2s: lists[4]!,
      mac_s2c: lists[5]!,
      comp_c2s: lists[6]!,
      comp_s2c: lists[7]!,
      lang_c2s: lists[8]!,
      lang_s2c: lists[9]!,
      first_kex_follows: b[o] !== 0,
    };
  }
}

/** SSH-1: protoversion 1.x other than 1.99 (which means "2.0, and 1 too"). */
function isSsh1(b: SshBanner | undefined): boolean {
  return b?.proto.startsWith('1.') === true && b.proto !== '1.99';
}

/** RFC 4253 §7.1: the first algorithm of the client's list that the server's list has too. */
function negotiate(client: string, server: string): string | undefined {
  if (client === '' || server === '') return undefined;
  const offered = new Set(server.split(','));
  for (const a of client.split(',')) if (offered.has(a)) return a;
  return undefined;
}

function isAead(cipher: string): boolean {
  return cipher.includes('-gcm') || cipher.startsWith('chacha20-poly1305') || cipher.startsWith('AEAD_');
}

function md5(s: string): string {
  return createHash('md5').update(s, 'latin1').digest('hex');
}

/** Bytes as text: printable ASCII kept, every other byte as `\xHH`. */
function printable(b: Uint8Array, off: number, end: number): string {
  let out = '';
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    out += c >= SP && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function hex(b: Uint8Array, off: number, end: number): string {
  let out = '';
  for (let i = off; i < end; i++) out += b[i]!.toString(16).padStart(2, '0');
  return out;
}

// ---- consumer ---------------------------------------------------------------------------------

/** Port on which a flow is given to the parser whatever its first bytes (a server may send lines before its banner). */
export const SSH_PORT = 22;
/**
 * Characters of the first banner kept in the record's `host`: ndpiReader prints SSH's
 * "client signature" (the first banner seen, either side) as the flow's Hostname/SNI, from a
 * 48-byte buffer.
 */
export const SSH_HOST_MAX = 47;

/** Per-flow state of {@link sshConsumer}: TCP flows that start with `SSH-`, or have port 22. */
export interface SshFlow {
  /** Null until the first payload, and for flows that are not SSH. */
  parser: SshParser | null;
  /** The first payload decided whether this is SSH. */
  decided: boolean;
  /** The flow's client is on port 22 (and its server is not): SSH's client is the flow's server. */
  readonly swapped: boolean;
  readonly port22: boolean;
  readonly weird: (name: string) => void;
}

/**
 * SSH: banners and KEXINITs (HASSH) via `parser.info()`, for events. The flow record's
 * contract has no `ssh` object: the record gets `host`, the first banner seen (as ndpiReader
 * prints it; see {@link SSH_HOST_MAX}), unless an earlier parser set it.
 */
export const sshConsumer: Consumer<SshFlow> = {
  name: 'ssh',
  openAt: 'payload',
  mayOpen: (s) => s.protocol === 6,
  open: (s) =>
    s.protocol === 6
      ? {
          parser: null,
          decided: false,
          swapped: s.clientPort === SSH_PORT && s.serverPort !== SSH_PORT,
          port22: s.clientPort === SSH_PORT || s.serverPort === SSH_PORT,
          weird: s.weird,
        }
      : undefined,
  stream(st, dir, b, off, end) {
    if (!st.decided) {
      st.decided = true;
      if (!st.port22 && !probeSsh(b, off, end)) return false;
      st.parser = new SshParser(st.weird);
    }
    st.parser?.data(st.swapped ? ((1 - dir) as Dir) : dir, b, off, end);
  },
  gap(st, dir) {
    st.parser?.gap(st.swapped ? ((1 - dir) as Dir) : dir);
  },
  done: (st) => st.decided && (st.parser === null || st.parser.done),
  close(st, fields: RecordFields) {
    const host = st.parser?.firstBanner;
    if (host !== undefined && host !== '' && fields.host === undefined) fields.host = host.slice(0, SSH_HOST_MAX);
  },
};
