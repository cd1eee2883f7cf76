/**
 * RTP (RFC 3550) stream statistics over UDP, found by heuristics on any port.
 *
 * - {@link parseRtpHeader}: a datagram's fixed header (version 2, CSRCs, extension and
 *   padding checked against the length); RTCP (payload type 72-76 with the marker bit, i.e.
 *   packet types 200-204) is told apart and skipped.
 * - {@link RtpSource}: one SSRC's counters per RFC 3550 appendix A.1 (sequence numbers,
 *   cycles, expected, lost) and A.8 (interarrival jitter), plus out-of-order and duplicates.
 * - {@link RtpState}: one flow: sources per direction; the flow is RTP once some source
 *   sent two packets in sequence with a plausible timestamp step.
 * - {@link rtpConsumer}: the engine's consumer; one `rtp` event per validated source.
 *
 * Jitter: packet arrival times (µs) are converted to RTP timestamp units with the payload
 * type's clock rate ({@link rtpClockRate}); J += (|D| - J) / 16; reported in ms. D is taken
 * only between consecutive packets of one payload type (RFC 4733 events repeat a timestamp,
 * CN steps differently), and a |D| of a second or more is counted as a timestamp
 * discontinuity, not jitter. Dynamic payload types are assumed to run at 8000 Hz (Opus's
 * 48000 is not known without the SDP), so their jitter is in those units.
 */
import type { Consumer, Dir, EventFields, FlowStart } from '../engine/consumer.js';

/** Limits of one flow. */
export interface RtpLimits {
  /** Non-RTP datagrams tolerated before the flow is given up (until it is found to be RTP). */
  nonRtpBudget: number;
  /** RTP-looking datagrams read without finding two in sequence before the flow is given up. */
  probeBudget: number;
  /** STUN/DTLS datagrams tolerated before the flow is given up (until it is found to be RTP). */
  muxedBudget: number;
  /** Sources (SSRCs) followed per flow; more: `rtp_too_many_ssrc`. */
  maxSources: number;
}

export const DEFAULT_RTP_LIMITS: Readonly<RtpLimits> = { nonRtpBudget: 4, muxedBudget: 32, probeBudget: 12, maxSources: 16 };

/** Weirds this file reports. */
export const RTP_WEIRDS = ['rtp_bad_padding', 'rtp_too_many_ssrc', 'rtp_seq_jump'] as const;

const RTP_SEQ_MOD = 1 << 16;
/** RFC 3550 A.1. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Largest timestamp step between two packets in sequence taken as plausible (10 s at 90 kHz). */
const MAX_TS_STEP = 900000;
/** Reorder window for duplicate detection, sequence numbers. */
const WINDOW = 256;

/** What a datagram is. */
export const RtpKind = { Rtp: 0, Rtcp: 1, Other: 2 } as const;
export type RtpKind = (typeof RtpKind)[keyof typeof RtpKind];

/** An RTP fixed header's values (copied, not a view). */
export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload in the buffer, and its length (padding excluded). */
  payloadOffset: number;
  payloadLength: number;
}

/**
 * Reads an RTP header into `out`; returns what the datagram is. Never throws. RTCP (first
 * byte version 2, second byte 192-223 — RFC 5761 §4's range, which holds SR/RR/SDES/BYE/APP
 * 200-204) is `Rtcp`; anything else not a consistent RTP header is `Other`.
 */
export function parseRtpHeader(b: Uint8Array, off: number, end: number, out: RtpHeader, weird?: (name: string) => void): RtpKind {
  const len = end - off;
  if (len < 12 || b[off] >> 6 !== 2) return RtpKind.Other;
  const pt = b[off + 1];
  if (pt >= 192 && pt <= 223) {
    // RTCP: length in 32-bit words minus one must fit.
    const words = (b[off + 2] << 8) | b[off + 3];
    return (words + 1) * 4 <= len ? RtpKind.Rtcp : RtpKind.Other;
  }
  const cc = b[off] & 0x0f;
  let hdr = 12 + cc * 4;
  if (hdr > len) return RtpKind.Other;
  if (b[off] & 0x10) {
    if (hdr + 4 > len) return RtpKind.Other;
    hdr += 4 + ((b[off + hdr + 2] << 8) | b[off + hdr + 3]) * 4;
    if (hdr > len) return RtpKind.Other;
  }
  let pad = 0;
  if (b[off] & 0x20) {
    pad = b[end - 1];
    if (pad === 0 || hdr + pad > len) {
      weird?.('rtp_bad_padding');
      return RtpKind.Other;
    }
  }
  out.marker = (pt & 0x80) !== 0;
  out.payloadType = pt & 0x7f;
  out.seq = (b[off + 2] << 8) | b[off + 3];
  out.timestamp = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  out.ssrc = ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0;
  out.payloadOffset = off + hdr;
  out.payloadLength = len - hdr - pad;
  return RtpKind.Rtp;
}

/**
 * A STUN message (first byte 0-3, magic cookie 0x2112A442) or a DTLS record (content type
 * 20-63, version 0xFEFD/0xFEFF), as RFC 7983 tells them apart on an (S)RTP port.
 */
export function isMuxed(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 13) return false;
  const c = b[off];
  if (c <= 3) return b[off + 4] === 0x21 && b[off + 5] === 0x12 && b[off + 6] === 0xa4 && b[off + 7] === 0x42;
  return c >= 20 && c <= 63 && b[off + 1] === 0xfe && (b[off + 2] === 0xfd || b[off + 2] === 0xff);
}

/** Clock rates of static payload types (RFC 3551 tables 4 and 5); 0: unassigned. */
const CLOCK = new Uint32Array(128);
for (const pt of [0, 3, 4, 5, 7, 8, 9, 12, 13, 15, 18]) CLOCK[pt] = 8000;
CLOCK[6] = 16000;
CLOCK[10] = 44100;
CLOCK[11] = 44100;
CLOCK[16] = 11025;
CLOCK[17] = 22050;
for (const pt of [14, 25, 26, 28, 31, 32, 33, 34]) CLOCK[pt] = 90000;

/**
 * Clock rate of a payload type, Hz: the static table; video types 90000; dynamic and
 * unassigned ones 8000 (the common case: telephone-event, CN, narrow-band codecs).
 */
export function rtpClockRate(pt: number): number {
  const c = CLOCK[pt & 0x7f];
  return c === 0 ? 8000 : c;
}

/** One SSRC in one direction. */
export class RtpSource {
  /** RFC 3550 A.1 state. */
  baseSeq: number;
  maxSeq: number;
  cycles = 0;
  badSeq = RTP_SEQ_MOD + 1;
  received = 0;
  outOfOrder = 0;
  duplicates = 0;
  /** Interarrival jitter, RTP timestamp units (float). */
  jitter = 0;
  /** Timestamp steps of a second or more off the arrival times (left out of the jitter). */
  discontinuities = 0;
  /** Largest jitter seen, ms. */
  maxJitterMs = 0;
  /** Two packets in sequence with a plausible timestamp step were seen. */
  validated = false;
  payloadType: number;
  /** First and last packet time, µs. */
  readonly firstUs: number;
  lastUs: number;
  private lastTs: number;
  private lastArrivalUs: number;
  private lastClock: number;
  private jitterMsNow = 0;
  /** Seen bits of the last {@link WINDOW} sequence numbers, indexed by seq mod WINDOW. */
  private readonly seen = new Uint32Array(WINDOW / 32);

  constructor(
    readonly ssrc: number,
    readonly dir: Dir,
    h: RtpHeader,
    tsUs: number,
  ) {
    this.baseSeq = h.seq;
    this.maxSeq = h.seq;
    this.payloadType = h.payloadType;
    this.firstUs = tsUs;
    this.lastUs = tsUs;
    this.lastTs = h.timestamp;
    this.lastArrivalUs = tsUs;
    this.lastClock = rtpClockRate(h.payloadType);
    this.received = 1;
    this.mark(h.seq);
  }

  private mark(seq: number): void {
    const i = seq % WINDOW;
    this.seen[i >>> 5] |= 1 << (i & 31);
  }

  private isSeen(seq: number): boolean {
    const i = seq % WINDOW;
    return (this.seen[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  private clear(seq: number): void {
    const i = seq % WINDOW;
    this.seen[i >>> 5] &= ~(1 << (i & 31));
  }

  /** Restart sequence accounting at `seq` (RFC 3550 A.1 `init_seq`, after a confirmed jump). */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.seen.fill(0);
  }

  /** Expected packets: extended highest sequence number − base + 1. */
  get expected(): number {
    return this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** Lost packets: expected − received (negative with duplicates, as RFC 3550 allows). */
  get lost(): number {
    return this.expected - this.received;
  }

  /** Fraction lost over the whole stream, 0-1 (0 when duplicates outnumber losses). */
  get lossFraction(): number {
    const e = this.expected;
    return e <= 0 || this.lost <= 0 ? 0 : this.lost / e;
  }

  /** Current jitter, ms. */
  get jitterMs(): number {
    return this.jitterMsNow;
  }

  /**
   * One packet after the first. Returns false when the packet was set aside (a large jump
   * not yet confirmed by the next packet): `rtp_seq_jump` is then reported by the caller.
   */
  update(h: RtpHeader, tsUs: number): boolean {
    const seq = h.seq;
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    this.lastUs = tsUs;
    if (udelta === 0) {
      this.duplicates++;
      this.received++;
      return true;
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (!this.validated && udelta === 1) {
        const step = (h.timestamp - this.lastTs) >>> 0;
        if (step <= MAX_TS_STEP) this.validated = true;
      }
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      if (udelta >= WINDOW) this.seen.fill(0);
      else for (let s = 1; s < udelta; s++) this.clear((this.maxSeq + s) % RTP_SEQ_MOD);
      this.maxSeq = seq;
      this.mark(seq);
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: taken only when the next packet follows it (the source restarted).
      if (seq !== this.badSeq) {
        this.badSeq = (seq + 1) % RTP_SEQ_MOD;
        return false;
      }
      this.initSeq(seq);
      this.mark(seq);
    } else {
      // Behind the highest: duplicate or reordered.
      if (this.isSeen(seq)) this.duplicates++;
      else {
        this.outOfOrder++;
        this.mark(seq);
      }
    }
    this.received++;
    this.jitterStep(h, tsUs);
    return true;
  }

  /** RFC 3550 A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J) / 16. */
  private jitterStep(h: RtpHeader, tsUs: number): void {
    const clock = rtpClockRate(h.payloadType);
    // Only between packets of one payload type: events (RFC 4733) repeat one timestamp and
    // interleave with media, CN and codec switches step differently.
    if (h.payloadType === this.payloadType && clock === this.lastClock) {
      const arrival = ((tsUs - this.lastArrivalUs) * clock) / 1e6;
      const sent = (h.timestamp - this.lastTs) | 0; // signed, wraps
      const d = arrival - sent;
      // A step of a second or more is a timestamp discontinuity (a restarted clock), not jitter.
      if (Math.abs(d) >= clock) this.discontinuities++;
      else {
        this.jitter += (Math.abs(d) - this.jitter) / 16;
        this.jitterMsNow = (this.jitter * 1000) / clock;
        if (this.jitterMsNow > this.maxJitterMs) this.maxJitterMs = this.jitterMsNow;
      }
    }
    this.lastClock = clock;
    this.lastTs = h.timestamp;
    this.lastArrivalUs = tsUs;
    this.payloadType = h.payloadType;
  }
}

/** One UDP flow's RTP sources. */
export class RtpState {
  readonly sources: RtpSource[] = [];
  /** Some source was validated: the flow carries RTP. */
  isRtp = false;
  /** Given up (not RTP) or nothing more wanted. */
  done = false;
  nonRtp = 0;
  rtcp = 0;
  /** STUN/DTLS datagrams (RFC 7983 demultiplexing) seen. */
  muxed = 0;
  private seenPackets = 0;
  private readonly h: RtpHeader = { marker: false, payloadType: 0, seq: 0, timestamp: 0, ssrc: 0, payloadOffset: 0, payloadLength: 0 };

  constructor(
    private readonly weird: (name: string) => void,
    readonly limits: RtpLimits = DEFAULT_RTP_LIMITS,
  ) {}

  datagram(dir: Dir, b: Uint8Array, off: number, end: number, tsUs: number): void {
    if (this.done) return;
    const kind = parseRtpHeader(b, off, end, this.h, this.isRtp ? this.weird : undefined);
    if (kind === RtpKind.Rtcp) {
      this.rtcp++;
      return;
    }
    if (kind === RtpKind.Other && isMuxed(b, off, end)) {
      // STUN and DTLS share the port with (S)RTP (RFC 7983): neither RTP nor a reason to give up.
      this.muxed++;
      if (!this.isRtp && this.muxed >= this.limits.muxedBudget) this.done = true;
      return;
    }
    if (kind === RtpKind.Other) {
      this.nonRtp++;
      if (!this.isRtp && this.nonRtp >= this.limits.nonRtpBudget) this.done = true;
      return;
    }
    this.seenPackets++;
    const h = this.h;
    let src: RtpSource | undefined;
    for (const s of this.sources)
      if (s.ssrc === h.ssrc && s.dir === dir) {
        src = s;
        break;
      }
    if (src === undefined) {
      if (this.sources.length >= this.limits.maxSources) {
        if (this.isRtp) this.weird('rtp_too_many_ssrc');
        else this.done = true;
        return;
      }
      this.sources.push(new RtpSource(h.ssrc, dir, h, tsUs));
    } else {
      if (!src.update(h, tsUs) && this.isRtp) this.weird('rtp_seq_jump');
      if (src.validated) this.isRtp = true;
    }
    if (!this.isRtp && this.seenPackets >= this.limits.probeBudget) this.done = true;
  }

  /** The validated sources. */
  validSources(): RtpSource[] {
    return this.sources.filter((s) => s.validated);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A source as an `rtp` event. */
export function rtpEvent(s: RtpSource): EventFields {
  return {
    type: 'rtp',
    ts: Math.round(s.firstUs) / 1e6,
    ssrc: s.ssrc,
    payload_type: s.payloadType,
    packets: s.received,
    expected: s.expected,
    lost: s.lost,
    loss_fraction: round3(s.lossFraction),
    out_of_order: s.outOfOrder,
    duplicates: s.duplicates,
    jitter_ms: round3(s.jitterMs),
    max_jitter_ms: round3(s.maxJitterMs),
    duration_ms: round3((s.lastUs - s.firstUs) / 1000),
    direction: s.dir === 0 ? 'c2s' : 's2c',
  };
}

/**
 * RTP on any UDP port, by heuristics: one `rtp` event per validated SSRC and direction.
 * Follows flows only when events are listened to; gives up on a flow after
 * {@link RtpLimits.nonRtpBudget} non-RTP datagrams (or {@link RtpLimits.probeBudget}
 * datagrams without two RTP packets in sequence).
 */
export const rtpConsumer: Consumer<RtpState> = {
  name: 'rtp',
  open: (s: FlowStart) => (s.events && s.protocol === 17 ? new RtpState(s.weird) : undefined),
  datagram: (st, dir, b, off, end, tsUs) => st.datagram(dir, b, off, end, tsUs),
  done: (st) => st.done,
  events(st) {
    if (!st.isRtp) return undefined;
    const v = st.validSources();
    return v.length === 0 ? undefined : v.map(rtpEvent);
  },
};
