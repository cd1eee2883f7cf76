/**
 * DHCP for IPv4 (RFC 2131, options of RFC 2132) and the BOOTP it extends (RFC 951), over UDP
 * ports 67 and 68.
 *
 * - {@link parseDhcp}: one datagram to a {@link DhcpMessage}: the fixed BOOTP header, then,
 *   after the magic cookie, the options the flow record and `dhcp` events use (message type,
 *   host name, vendor class, parameter request list as a fingerprint string, client id,
 *   requested address, server id, lease times …). Option overload (52) is followed into the
 *   `file` and `sname` fields; an option split in several (RFC 3396) is joined. Never throws:
 *   anomalies are weirds by name ({@link DHCP_WEIRDS}).
 * - {@link DhcpState}: per-flow state, a few messages kept, their summary ({@link DhcpInfo}).
 * - {@link dhcpConsumer}: the engine's consumer; the record gets `host`, the client's host name.
 */
import type { Consumer, Dir, RecordFields } from '../engine/consumer.js';

/** Offsets of the fixed BOOTP header (RFC 2131 §2, figure 1). */
const OP = 0;
const HTYPE = 1;
const HLEN = 2;
const HOPS = 3;
const XID = 4;
const SECS = 8;
const FLAGS = 10;
const CIADDR = 12;
const YIADDR = 16;
const SIADDR = 20;
const GIADDR = 24;
const CHADDR = 28;
const SNAME = 44;
const FILE = 108;
const COOKIE = 236;
/** The fixed header ends at the cookie; options start after it. */
const HDR = 236;
const OPTIONS = 240;
const SNAME_LEN = 64;
const FILE_LEN = 128;
/** 99.130.83.99 (RFC 2131 §3). */
const MAGIC = 0x63825363;
/** The broadcast bit of `flags`. */
const BROADCAST = 0x8000;

/** `op` of the BOOTP header. */
export const BootpOp = { Request: 1, Reply: 2 } as const;

/** Option codes this file decodes (RFC 2132, RFC 3396, RFC 4702). */
export const DhcpOpt = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DomainServer: 6,
  HostName: 12,
  DomainName: 15,
  RequestedAddress: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerId: 54,
  ParameterList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  VendorClass: 60,
  ClientId: 61,
  ClientFqdn: 81,
  End: 255,
} as const;

/** DHCP message types (option 53; RFC 2132 §9.6, RFC 3203, RFC 4388, RFC 6926, RFC 7724). */
const MSG_TYPE_NAMES = [
  undefined,
  'DISCOVER',
  'OFFER',
  'REQUEST',
  'DECLINE',
  'ACK',
  'NAK',
  'RELEASE',
  'INFORM',
  'FORCERENEW',
  'LEASEQUERY',
  'LEASEUNASSIGNED',
  'LEASEUNKNOWN',
  'LEASEACTIVE',
  'BULKLEASEQUERY',
  'LEASEQUERYDONE',
  'ACTIVELEASEQUERY',
  'LEASEQUERYSTATUS',
  'TLS',
] as const;

/** Name of a DHCP message type (`DISCOVER`, `ACK` …), undefined for an unassigned one. */
export function dhcpMessageTypeName(t: number): string | undefined {
  return MSG_TYPE_NAMES[t];
}

/**
 * Weirds this file reports (`dhcp_` prefix):
 * - `dhcp_truncated`: the datagram ends inside the fixed header (not taken), or an option
 *   runs past the end of its area (options up to it kept)
 * - `dhcp_bad_op`: `op` neither 1 (request) nor 2 (reply); not taken as DHCP
 * - `dhcp_bad_hlen`: a hardware address length over 16
 * - `dhcp_bad_option_length`: a fixed-size option (53, 50, 51, 54 …) of the wrong size; ignored
 * - `dhcp_bad_message_type`: option 53 with an unassigned value
 * - `dhcp_no_end`: options end without the End option (255)
 * - `dhcp_too_many_options`: more than `maxOptions` options; the rest is not read
 * - `dhcp_too_many_messages`: datagrams past `maxMessages` are counted, not kept
 */
export const DHCP_WEIRDS = [
  'dhcp_truncated',
  'dhcp_bad_op',
  'dhcp_bad_hlen',
  'dhcp_bad_option_length',
  'dhcp_bad_message_type',
  'dhcp_no_end',
  'dhcp_too_many_options',
  'dhcp_too_many_messages',
] as const;
export type DhcpWeird = (typeof DHCP_WEIRDS)[number];

/** Bounds per message and per flow (STYLE.md §8). */
export interface DhcpLimits {
  /** Options read per message, pad bytes not counted (the whole area holds ~300 at most). */
  maxOptions: number;
  /** Characters kept of a text option (host name, vendor class, domain …). */
  maxText: number;
  /** Messages kept per flow. */
  maxMessages: number;
  /** Datagrams after which the flow is `done` (a broadcast flow never sees its replies). */
  maxDatagrams: number;
}

export const DEFAULT_DHCP_LIMITS: Readonly<DhcpLimits> = { maxOptions: 128, maxText: 255, maxMessages: 8, maxDatagrams: 4 };

/** One BOOTP/DHCP message. Addresses as dotted quads; unknown or absent fields left out. */
export interface DhcpMessage {
  /** 1 request (client), 2 reply (server). */
  op: number;
  htype: number;
  hops: number;
  xid: number;
  /** Seconds since the client began (`secs`). */
  secs: number;
  broadcast: boolean;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address: `aa:bb:…` (the `hlen` bytes of `chaddr`). */
  chaddr: string;
  /** True when the magic cookie is there (DHCP, or BOOTP with RFC 1497 vendor extensions). */
  cookie: boolean;
  /** Option 53 and its name. */
  msg_type?: number;
  msg_type_name?: string;
  /** Option 12 as sent (case kept). */
  host_name?: string;
  /** Option 60. */
  vendor_class?: string;
  /** Option 55 as a fingerprint: the codes in order, comma-separated ("1,3,6,15"). */
  param_list?: string;
  /** Option 61 in hex (`01:aa:bb:…`, the type byte first). */
  client_id?: string;
  requested_addr?: string;
  server_id?: string;
  /** Options 51, 58, 59, seconds (0xffffffff: infinite). */
  lease_time?: number;
  renewal_time?: number;
  rebinding_time?: number;
  subnet_mask?: string;
  routers?: string[];
  dns_servers?: string[];
  domain?: string;
  /** Option 81's domain name (ASCII form only; a DNS-wire-encoded name is shown as hex). */
  client_fqdn?: string;
  /** Option 56, a server's or client's error text. */
  message?: string;
  max_message_size?: number;
  /** `sname` and `file` when they hold text (not used by option overload). */
  sname?: string;
  file?: string;
  /** Option codes in the order they came (pad and end left out): a fingerprint of its own. */
  options: number[];
}

/** A flow's DHCP, merged over its messages (the first value of each field wins). */
export interface DhcpInfo {
  /** Message type names in order (`["DISCOVER", "OFFER"]`), BOOTP for a message without one. */
  msg_types: string[];
  client_mac?: string;
  host_name?: string;
  vendor_class?: string;
  param_list?: string;
  client_id?: string;
  requested_addr?: string;
  /** `yiaddr` of the first OFFER or ACK. */
  assigned_addr?: string;
  server_id?: string;
  lease_time?: number;
  domain?: string;
  client_fqdn?: string;
  messages: readonly DhcpMessage[];
}

/** One option's value, or several instances of it joined (RFC 3396). */
interface Collected {
  code: number;
  parts: Uint8Array[];
}

/**
 * Parses one BOOTP/DHCP datagram at `b[off, end)`. Undefined when it is none (too short for
 * the fixed header, or a bad `op`); otherwise the message, with what could be read.
 */
export function parseDhcp(
  b: Uint8Array,
  off: number,
  end: number,
  weird: (name: DhcpWeird) => void,
  limits: Readonly<DhcpLimits> = DEFAULT_DHCP_LIMITS,
): DhcpMessage | undefined {
  if (off < 0) off = 0;
  if (end > b.length) end = b.length;
  if (end - off < HDR) {
    weird('dhcp_truncated');
    return undefined;
  }
  const op = b[off + OP]!;
  if (op !== BootpOp.Request && op !== BootpOp.Reply) {
    weird('dhcp_bad_op');
    return undefined;
  }
  let hlen = b[off + HLEN]!;
  if (hlen > 16) {
    weird('dhcp_bad_hlen');
    hlen = 16;
  }
  const m: DhcpMessage = {
    op,
    htype: b[off + HTYPE]!,
    hops: b[off + HOPS]!,
    xid: u32(b, off + XID),
    secs: u16(b, off + SECS),
    broadcast: (u16(b, off + FLAGS) & BROADCAST) !== 0,
    ciaddr: ip4(b, off + CIADDR),
    yiaddr: ip4(b, off + YIADDR),
    siaddr: ip4(b, off + SIADDR),
    giaddr: ip4(b, off + GIADDR),
    chaddr: hexColons(b, off + CHADDR, off + CHADDR + hlen),
    cookie: end - off >= OPTIONS && u32(b, off + COOKIE) === MAGIC,
    options: [],
  };
  let overload = 0;
  if (m.cookie) {
    const found = new Map<number, Collected>();
    const budget = { left: limits.maxOptions };
    const sawEnd = readOptions(b, off + OPTIONS, end, found, m.options, budget, weird);
    const ov = found.get(DhcpOpt.Overload);
    if (ov !== undefined) {
      const v = join(ov.parts);
      if (v.length === 1 && v[0]! >= 1 && v[0]! <= 3) overload = v[0]!;
      else weird('dhcp_bad_option_length');
    }
    // RFC 2131 §4.1: with overload, options go on in `file`, then `sname`; each area ends with End.
    if (overload & 1) readOptions(b, off + FILE, off + FILE + FILE_LEN, found, m.options, budget, weird);
    if (overload & 2) readOptions(b, off + SNAME, off + SNAME + SNAME_LEN, found, m.options, budget, weird);
    if (!sawEnd) weird('dhcp_no_end');
    decodeOptions(m, found, weird, limits);
  }
  if (!(overload & 2)) {
    const sname = cString(b, off + SNAME, off + SNAME + SNAME_LEN, limits.maxText);
    if (sname !== '') m.sname = sname;
  }
  if (!(overload & 1)) {
    const file = cString(b, off + FILE, off + FILE + FILE_LEN, limits.maxText);
    if (file !== '') m.file = file;
  }
  return m;
}

/**
 * Walks one options area, collecting values by code. Pad is one byte; every other option is
 * code, length, value. Returns true when the area ended at the End option, or at a problem
 * already reported (an option past the end, too many options); false when it just ran out.
 */
function readOptions(
  b: Uint8Array,
  o: number,
  end: number,
  found: Map<number, Collected>,
  codes: number[],
  budget: { left: number },
  weird: (name: DhcpWeird) => void,
): boolean {
  while (o < end) {
    const code = b[o]!;
    if (code === DhcpOpt.Pad) {
      o++;
      continue;
    }
    if (code === DhcpOpt.End) return true;
    if (budget.left <= 0) {
      if (budget.left === 0) weird('dhcp_too_many_options');
      budget.left = -1; // reported once per message
      return true;
    }
    budget.left--;
    if (end - o < 2 || b[o + 1]! > end - o - 2) {
      weird('dhcp_truncated');
      return true; // reported; no `dhcp_no_end` on top
    }
    const len = b[o + 1]!;
    codes.push(code);
    const v = b.subarray(o + 2, o + 2 + len);
    const c = found.get(code);
    if (c === undefined) found.set(code, { code, parts: [v] });
    else c.parts.push(v);
    o += 2 + len;
  }
  return false;
}

/** The value of option `code` (instances joined), undefined when absent. */
function optGet(found: Map<number, Collected>, code: number): Uint8Array | undefined {
  const c = found.get(code);
  return c === undefined ? undefined : join(c.parts);
}

/** A fixed-size option value, or undefined (and a weird) when its size is wrong. */
function optFixed(found: Map<number, Collected>, code: number, size: number, weird: (name: DhcpWeird) => void): Uint8Array | undefined {
  const v = optGet(found, code);
  if (v === undefined) return undefined;
  if (v.length !== size) {
    weird('dhcp_bad_option_length');
    return undefined;
  }
  return v;
}

/** A text option; undefined when absent or empty. */
function optText(found: Map<number, Collected>, code: number, max: number): string | undefined {
  const v = optGet(found, code);
  if (v === undefined) return undefined;
  const s = cString(v, 0, v.length, max);
  return s === '' ? undefined : s;
}

/** A list of IPv4 addresses (at most 16 kept); undefined (and a weird) when not a multiple of 4. */
function optAddrs(found: Map<number, Collected>, code: number, weird: (name: DhcpWeird) => void): string[] | undefined {
  const v = optGet(found, code);
  if (v === undefined) return undefined;
  if (v.length === 0 || v.length % 4 !== 0) {
    weird('dhcp_bad_option_length');
    return undefined;
  }
  const out: string[] = [];
  for (let i = 0; i < v.length && out.length < 16; i += 4) out.push(ip4(v, i));
  return out;
}

function decodeOptions(m: DhcpMessage, found: Map<number, Collected>, weird: (name: DhcpWeird) => void, limits: Readonly<DhcpLimits>): void {
  const t = optFixed(found, DhcpOpt.MessageType, 1, weird);
  if (t !== undefined) {
    m.msg_type = t[0]!;
    const name = dhcpMessageTypeName(t[0]!);
    if (name === undefined) weird('dhcp_bad_message_type');
    else m.msg_type_name = name;
  }
  const host = optText(found, DhcpOpt.HostName, limits.maxText);
  if (host !== undefined) m.host_name = host;
  const vc = optText(found, DhcpOpt.VendorClass, limits.maxText);
  if (vc !== undefined) m.vendor_class = vc;
  const prl = optGet(found, DhcpOpt.ParameterList);
  if (prl !== undefined && prl.length > 0) m.param_list = prl.join(',');
  const cid = optGet(found, DhcpOpt.ClientId);
  if (cid !== undefined && cid.length > 0) m.client_id = hexColons(cid, 0, Math.min(cid.length, limits.maxText));
  const req = optFixed(found, DhcpOpt.RequestedAddress, 4, weird);
  if (req !== undefined) m.requested_addr = ip4(req, 0);
  const sid = optFixed(found, DhcpOpt.ServerId, 4, weird);
  if (sid !== undefined) m.server_id = ip4(sid, 0);
  const lease = optFixed(found, DhcpOpt.LeaseTime, 4, weird);
  if (lease !== undefined) m.lease_time = u32(lease, 0);
  const t1 = optFixed(found, DhcpOpt.RenewalTime, 4, weird);
  if (t1 !== undefined) m.renewal_time = u32(t1, 0);
  const t2 = optFixed(found, DhcpOpt.RebindingTime, 4, weird);
  if (t2 !== undefined) m.rebinding_time = u32(t2, 0);
  const mask = optFixed(found, DhcpOpt.SubnetMask, 4, weird);
  if (mask !== undefined) m.subnet_mask = ip4(mask, 0);
  const routers = optAddrs(found, DhcpOpt.Router, weird);
  if (routers !== undefined) m.routers = routers;
  const dns = optAddrs(found, DhcpOpt.DomainServer, weird);
  if (dns !== undefined) m.dns_servers = dns;
  const domain = optText(found, DhcpOpt.DomainName, limits.maxText);
  if (domain !== undefined) m.domain = domain;
  const msg = optText(found, DhcpOpt.Message, limits.maxText);
  if (msg !== undefined) m.message = msg;
  const mms = optFixed(found, DhcpOpt.MaxMessageSize, 2, weird);
  if (mms !== undefined) m.max_message_size = u16(mms, 0);
  // Option 81 (RFC 4702): flags, two obsolete rcode bytes, then the name; flag E (4) means
  // DNS wire format, shown as labels joined with dots.
  const fqdn = optGet(found, DhcpOpt.ClientFqdn);
  if (fqdn !== undefined) {
    if (fqdn.length < 3) weird('dhcp_bad_option_length');
    else if (fqdn.length > 3) {
      const name = (fqdn[0]! & 4) !== 0 ? wireName(fqdn, 3, limits.maxText) : cString(fqdn, 3, fqdn.length, limits.maxText);
      if (name !== '') m.client_fqdn = name;
    }
  }
}

/** A DNS wire-format name (no compression) as dotted text; stops at the root label or the end. */
function wireName(b: Uint8Array, o: number, max: number): string {
  let out = '';
  while (o < b.length && out.length < max) {
    const n = b[o]!;
    if (n === 0 || n > 63 || o + 1 + n > b.length) break;
    if (out !== '') out += '.';
    out += cString(b, o + 1, o + 1 + n, max);
    o += 1 + n;
  }
  return out;
}

// ---- per flow ---------------------------------------------------------------------------------

/**
 * DHCP state of one flow: each datagram parsed and kept (up to `maxMessages`), `done` after
 * `maxDatagrams` datagrams, once both directions have spoken, or after two that are not DHCP.
 */
export class DhcpState {
  readonly messages: DhcpMessage[] = [];
  private readonly limits: DhcpLimits;
  private datagrams = 0;
  private failures = 0;
  private readonly dirs = [false, false];

  constructor(
    private readonly weird: (name: string) => void,
    limits: Partial<DhcpLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DHCP_LIMITS, ...limits };
  }

  get done(): boolean {
    return this.datagrams >= this.limits.maxDatagrams || (this.dirs[0]! && this.dirs[1]!) || this.failures >= 2;
  }

  /** One UDP payload; `b` is only read during the call. */
  datagram(dir: Dir, b: Uint8Array, off: number, end: number): void {
    this.datagrams++;
    const m = parseDhcp(b, off, end, this.weird, this.limits);
    if (m === undefined) {
      this.failures++;
      return;
    }
    this.dirs[dir] = true;
    if (this.messages.length >= this.limits.maxMessages) {
      this.weird('dhcp_too_many_messages');
      return;
    }
    this.messages.push(m);
  }

  /**
   * The name for the flow record's `host`: the host name (option 12) of the first request
   * that has one, lower-cased, as nDPI reports it. Replies are not asked.
   */
  hostName(): string | undefined {
    for (const m of this.messages) if (m.op === BootpOp.Request && m.host_name !== undefined) return m.host_name.toLowerCase();
    return undefined;
  }

  /** The flow's DHCP merged over its messages; undefined when no message was parsed. */
  info(): DhcpInfo | undefined {
    if (this.messages.length === 0) return undefined;
    const out: DhcpInfo = { msg_types: [], messages: this.messages };
    for (const m of this.messages) {
      out.msg_types.push(m.msg_type_name ?? (m.msg_type !== undefined ? String(m.msg_type) : 'BOOTP'));
      if (m.op === BootpOp.Request) {
        out.client_mac ??= m.chaddr;
        if (m.host_name !== undefined) out.host_name ??= m.host_name;
        if (m.vendor_class !== undefined) out.vendor_class ??= m.vendor_class;
        if (m.param_list !== undefined) out.param_list ??= m.param_list;
        if (m.client_id !== undefined) out.client_id ??= m.client_id;
        if (m.requested_addr !== undefined) out.requested_addr ??= m.requested_addr;
        if (m.client_fqdn !== undefined) out.client_fqdn ??= m.client_fqdn;
      } else {
        if (m.yiaddr !== '0.0.0.0' && (m.msg_type === 2 || m.msg_type === 5 || m.msg_type === undefined)) out.assigned_addr ??= m.yiaddr;
        if (m.lease_time !== undefined) out.lease_time ??= m.lease_time;
        if (m.domain !== undefined) out.domain ??= m.domain;
      }
      if (m.server_id !== undefined) out.server_id ??= m.server_id;
    }
    out.client_mac ??= this.messages[0]!.chaddr;
    return out;
  }
}

/** UDP ports of BOOTP/DHCP: server 67, client 68. */
export const DhcpPort = { Server: 67, Client: 68 } as const;
const isDhcpPort = (p: number): boolean => p === DhcpPort.Server || p === DhcpPort.Client;

/**
 * DHCP over UDP, flows with both ports in {67, 68} (client ↔ server, relay ↔ server): the
 * record's `host` is the client's host name (option 12), lower-cased as nDPI reports it;
 * everything else via `DhcpState.info()` for events.
 */
export const dhcpConsumer: Consumer<DhcpState> = {
  name: 'dhcp',
  open: (s) => (s.protocol === 17 && isDhcpPort(s.clientPort) && isDhcpPort(s.serverPort) ? new DhcpState(s.weird) : undefined),
  datagram: (st, dir, b, off, end) => st.datagram(dir, b, off, end),
  done: (st) => st.done,
  close(st, fields: RecordFields) {
    const host = st.hostName();
    if (host !== undefined && host !== '' && fields.host === undefined) fields.host = host;
  },
};

// ---- bytes ------------------------------------------------------------------------------------

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function ip4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function hexColons(b: Uint8Array, off: number, end: number): string {
  let out = '';
  for (let i = off; i < end; i++) out += (i > off ? ':' : '') + b[i]!.toString(16).padStart(2, '0');
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/**
 * Text up to the first NUL (C-string fields and NUL-terminated options), at most `max`
 * characters; printable ASCII kept, other bytes as `\xHH`.
 */
function cString(b: Uint8Array, off: number, end: number, max: number): string {
  let out = '';
  for (let i = off; i < end && out.length < max; i++) {
    const c = b[i]!;
    if (c === 0) break;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}
