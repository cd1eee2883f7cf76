import { IpProto, type PacketDecoder } from '../decode/decoder.js';
import { TcpFlag } from '../decode/tcp.js';
import { FlowKeyBuilder } from './flow-key.js';
import { FlowList, FlowTable, NIL } from './flow-table.js';

/** Why a flow ended; the names are the flow record's `end_reason`. */
export const EndReason = { Idle: 0, Active: 1, Fin: 2, Rst: 3, Eof: 4 } as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];
export const END_REASON_NAMES = ['idle', 'active', 'fin', 'rst', 'eof'] as const;

/** TCP state bits per flow. */
export const TcpState = { Syn: 0x01, SynAck: 0x02, Established: 0x04, FinClient: 0x08, FinServer: 0x10, Rst: 0x20, Closed: 0x40 } as const;

/** Flow-table options. Times are packet time. */
export interface FlowOptions {
  /** A flow with no packet for this long ends with `idle`. Seconds. */
  idleTimeout: number;
  /** A flow older than this ends with `active` and the next packet starts a new one. Seconds; 0 = never. */
  activeTimeout: number;
  /** A TCP flow closed by FIN (both ways) or RST lingers this long for stray packets. Seconds. */
  tcpCloseTimeout: number;
  /** Flows held at once; at the limit the least recently seen flow ends (`idle`, counted evicted). */
  maxFlows: number;
}

/**
 * Defaults, for reading captures. They are chosen so that flows split where ndpiReader splits
 * them on the nDPI corpus: it keeps a flow across quiet periods of hours (the longest gap
 * inside one flow there is 15 h, the longest flow 34 h) and never cuts a long flow, so the
 * idle timeout is a day of packet time and there is no active timeout. A TCP flow closed by
 * FIN/RST ends when its ports are reused or after the close linger. Memory stays bounded by
 * `maxFlows` whatever the timeouts. Live monitoring wants shorter timeouts: set them.
 */
export const DEFAULT_FLOW_OPTIONS: FlowOptions = {
  idleTimeout: 86_400,
  activeTimeout: 0,
  tcpCloseTimeout: 120,
  maxFlows: 4_000_000,
};

const BIT_CLIENT_IS_A = 0x01;
const BIT_SEQ_INIT = 0x08; // << dir

/** Counters of the flow stage. */
export interface FlowStats {
  created: number;
  ended: number;
  evicted: number;
  portReuse: number;
}

/**
 * Packet time between two expiry runs for these options, µs: a flow may outlive its timeout by
 * this much (a hundredth of the shortest timeout, at most 1 s).
 */
export function expiryStepUs(options: FlowOptions): number {
  return Math.min(1e6, (Math.min(options.idleTimeout, options.tcpCloseTimeout) * 1e6) / 100);
}

/** Receives each flow as it ends, before its slot is freed: read the table, then return. */
export type FlowEndHandler = (table: FlowTable, flow: number, reason: EndReason) => void;

/**
 * Per-packet flow accounting: finds or creates the packet's flow, updates the per-direction
 * counters and the TCP state, and ends flows on idle/active timeouts, TCP close, port reuse and
 * the flow limit. All state lives in the `FlowTable`; nothing is allocated per packet.
 */
export class FlowTracker {
  readonly table: FlowTable;
  readonly stats: FlowStats = { created: 0, ended: 0, evicted: 0, portReuse: 0 };
  private readonly keyBuilder = new FlowKeyBuilder();
  private readonly idleUs: number;
  private readonly activeUs: number;
  private readonly closeUs: number;
  /** Set by `packet()`: the packet's direction (0 client → server) and whether it created its flow. */
  dir: 0 | 1 = 0;
  created = false;
  /** The previous packet's flow (NIL once it ended): a repeated key skips the lookup. */
  private lastFlow = NIL;
  /** Packet-time clock: the latest timestamp seen. */
  clockUs = 0;
  /**
   * True (the default): `packet()` moves the clock with each packet it is given. The engine
   * sets it false and calls `advance()` with every frame's time instead, so that the clock
   * does not depend on which frames hold IP: a dispatcher sharding frames over several
   * engines can then tell each the same time (see engine/parallel).
   */
  autoClock = true;
  /** Expiry runs when the clock passes this (every `expiryStepUs`), not on every packet. */
  private nextExpiryUs = 0;
  private readonly expiryStepUs: number;
  private nextSerial = 1;

  constructor(
    private readonly onEnd: FlowEndHandler,
    options: FlowOptions = DEFAULT_FLOW_OPTIONS,
  ) {
    this.table = new FlowTable(options.maxFlows, Math.min(options.maxFlows, 4096));
    this.idleUs = options.idleTimeout * 1e6;
    this.activeUs = options.activeTimeout > 0 ? options.activeTimeout * 1e6 : Number.POSITIVE_INFINITY;
    this.closeUs = options.tcpCloseTimeout * 1e6;
    // A flow may outlive its timeout by this much: a hundredth of the shortest timeout, <= 1 s.
    this.expiryStepUs = expiryStepUs(options);
  }

  /** Moves the packet clock to `tsUs` when later; each time it passes a step, flows expire. */
  advance(tsUs: number): void {
    if (tsUs > this.clockUs) {
      this.clockUs = tsUs;
      if (tsUs >= this.nextExpiryUs) {
        this.nextExpiryUs = tsUs + this.expiryStepUs;
        this.expire();
      }
    }
  }

  /** Accounts one decoded IP packet (`PacketKind.Ip`). Returns the flow index. */
  packet(d: PacketDecoder, tsUs: number): number {
    if (this.autoClock) this.advance(tsUs);
    const kb = this.keyBuilder;
    kb.build(d);
    const t = this.table;
    const isTcp = d.l4Proto === IpProto.Tcp && d.tcpValid;
    const flags = isTcp ? d.tcpFlags : 0;
    let f = kb.same && this.lastFlow !== NIL ? this.lastFlow : t.find(kb.key, kb.hash);
    if (f !== NIL) {
      if (tsUs - t.firstTs[f]! > this.activeUs) {
        this.end(f, EndReason.Active);
        f = NIL;
      } else if ((flags & (TcpFlag.Syn | TcpFlag.Ack)) === TcpFlag.Syn && (t.tcpState[f]! & TcpState.Closed) !== 0) {
        // A new connection on the same ports: the old one is over.
        this.stats.portReuse++;
        this.end(f, t.tcpState[f]! & TcpState.Rst ? EndReason.Rst : EndReason.Fin);
        f = NIL;
      }
    }
    const fromA = !kb.swapped;
    this.created = f === NIL;
    if (f === NIL) {
      if (t.full) this.evict();
      f = t.insert(kb.key, kb.hash);
      this.stats.created++;
      t.serial[f] = this.nextSerial++;
      t.firstTs[f] = d.firstTsUs < tsUs ? d.firstTsUs : tsUs;
      t.lastTs[f] = tsUs;
      t.tunnel[f] = d.tunnel;
      // The client sent the first packet, unless that packet is a SYN-ACK (the contract's rule).
      const clientIsA = (flags & (TcpFlag.Syn | TcpFlag.Ack)) === (TcpFlag.Syn | TcpFlag.Ack) ? !fromA : fromA;
      if (clientIsA) t.bits[f] |= BIT_CLIENT_IS_A;
    }
    const dir = fromA === ((t.bits[f]! & BIT_CLIENT_IS_A) !== 0) ? 0 : 1;
    this.dir = dir;
    const di = 2 * f + dir;
    const frames = d.frames;
    const wire = d.wireBytes;
    t.packets[di] += frames;
    t.bytes[di] += wire;
    t.payload[di] += d.payloadLength;
    // A reassembled datagram stands for several frames whose own lengths are gone: their
    // mean bounds the minimum from above and the maximum from below.
    const len = frames === 1 ? wire : wire / frames;
    const lo = frames === 1 ? wire : Math.floor(len);
    const hi = frames === 1 ? wire : Math.ceil(len);
    if (lo < t.lenMin[di]!) t.lenMin[di] = lo;
    if (hi > t.lenMax[di]!) t.lenMax[di] = hi;
    t.lenSumSq[di] += len * len * frames;
    const ttl = d.ttl;
    if (ttl < t.ttlMin[di]!) t.ttlMin[di] = ttl;
    if (ttl > t.ttlMax[di]!) t.ttlMax[di] = ttl;
    const prevTs = t.dirLastTs[di]!;
    if (prevTs >= 0) {
      const iat = tsUs > prevTs ? tsUs - prevTs : 0;
      if (iat < t.iatMin[di]!) t.iatMin[di] = iat;
      if (iat > t.iatMax[di]!) t.iatMax[di] = iat;
      t.iatCount[di]++;
      t.iatSum[di] += iat;
      t.iatSumSq[di] += iat * iat;
    }
    t.dirLastTs[di] = tsUs;
    if (tsUs > t.lastTs[f]!) t.lastTs[f] = tsUs;
    if (isTcp) this.tcp(d, f, dir, di, flags, tsUs, prevTs);
    t.touch(f, (t.tcpState[f]! & TcpState.Closed) !== 0 ? FlowList.Closing : FlowList.Open);
    this.lastFlow = f;
    return f;
  }

  private tcp(d: PacketDecoder, f: number, dir: number, di: number, flags: number, tsUs: number, prevTs: number): void {
    const t = this.table;
    t.tcpFlags[di] |= flags;
    let st = t.tcpState[f]!;
    const syn = (flags & TcpFlag.Syn) !== 0;
    const ack = (flags & TcpFlag.Ack) !== 0;
    if (syn && !ack && dir === 0) {
      if ((st & TcpState.Syn) === 0) t.synTs[f] = tsUs;
      st |= TcpState.Syn;
    } else if (syn && ack && dir === 1) st |= TcpState.SynAck;
    else if (!syn && ack && dir === 0 && (st & (TcpState.Syn | TcpState.SynAck | TcpState.Established)) === (TcpState.Syn | TcpState.SynAck)) {
      st |= TcpState.Established;
      t.rttUs[f] = tsUs - t.synTs[f]!;
    }
    if (flags & TcpFlag.Fin) st |= dir === 0 ? TcpState.FinClient : TcpState.FinServer;
    if (flags & TcpFlag.Rst) st |= TcpState.Rst;
    if (st & TcpState.Rst || (st & (TcpState.FinClient | TcpState.FinServer)) === (TcpState.FinClient | TcpState.FinServer)) st |= TcpState.Closed;
    t.tcpState[f] = st;

    // Sequence analysis: retransmission vs out-of-order, as Wireshark tells them apart: a
    // segment below the highest sequence seen is out of order if it arrives within an RTT
    // (3 ms when the RTT is unknown) of the previous segment, a retransmission otherwise.
    const segLen = d.payloadLength + (syn ? 1 : 0) + (flags & TcpFlag.Fin ? 1 : 0);
    const seq = d.tcpSeq;
    const initBit = BIT_SEQ_INIT << dir;
    if ((t.bits[f]! & initBit) === 0) {
      t.bits[f] |= initBit;
      t.nextSeq[di] = (seq + segLen) >>> 0;
      return;
    }
    if (segLen === 0) return;
    const next = t.nextSeq[di]!;
    const ahead = (seq - next) | 0;
    const endAhead = (seq + segLen - next) | 0;
    if (ahead >= 0) {
      t.nextSeq[di] = (seq + segLen) >>> 0;
      return;
    }
    if (endAhead > 0) t.nextSeq[di] = (seq + segLen) >>> 0;
    // A keep-alive probe repeats the last byte: neither retransmission nor reordering (SYN,
    // FIN and RST segments are never keep-alives: resent, they are retransmissions).
    if (d.payloadLength <= 1 && ahead === -1 && endAhead <= 0 && (flags & (TcpFlag.Syn | TcpFlag.Fin | TcpFlag.Rst)) === 0) return;
    const rtt = t.rttUs[f]!;
    const threshold = rtt > 0 ? rtt : 3000;
    if (prevTs >= 0 && tsUs - prevTs < threshold) t.outOfOrder[di]++;
    else t.retrans[di]++;
  }

  /** Ends flows whose idle time (or close linger) has passed on the packet clock. */
  expire(): void {
    const t = this.table;
    const now = this.clockUs;
    let h = t.heads[FlowList.Open]!;
    while (h !== NIL && now - t.lastTs[h]! > this.idleUs) {
      this.end(h, EndReason.Idle);
      h = t.heads[FlowList.Open]!;
    }
    h = t.heads[FlowList.Closing]!;
    while (h !== NIL && now - t.lastTs[h]! > this.closeUs) {
      this.end(h, t.tcpState[h]! & TcpState.Rst ? EndReason.Rst : EndReason.Fin);
      h = t.heads[FlowList.Closing]!;
    }
  }

  /** Ends every flow (end of input): closed TCP flows with fin/rst, the others with eof. */
  flush(): void {
    const t = this.table;
    for (let h = t.heads[FlowList.Closing]!; h !== NIL; h = t.heads[FlowList.Closing]!) this.end(h, t.tcpState[h]! & TcpState.Rst ? EndReason.Rst : EndReason.Fin);
    for (let h = t.heads[FlowList.Open]!; h !== NIL; h = t.heads[FlowList.Open]!) this.end(h, EndReason.Eof);
  }

  private evict(): void {
    const t = this.table;
    let victim = t.heads[FlowList.Closing]!;
    if (victim === NIL) victim = t.heads[FlowList.Open]!;
    if (victim === NIL) return;
    this.stats.evicted++;
    this.end(victim, EndReason.Idle);
  }

  private end(f: number, reason: EndReason): void {
    if (f === this.lastFlow) this.lastFlow = NIL;
    this.stats.ended++;
    this.onEnd(this.table, f, reason);
    this.table.remove(f);
  }
}
