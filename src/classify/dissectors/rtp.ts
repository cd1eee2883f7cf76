/**
 * RTP and RTCP (RFC 3550) over UDP, recognised by header shape over several datagrams: a
 * single datagram proves little (any byte 0x80-0xbf looks like version 2), a stream does.
 *
 * - RTP: version 2, a payload type of the static table (0-34) or the dynamic range (96-127),
 *   room for the CSRC list; three datagrams of one direction with the same SSRC whose sequence
 *   numbers step forward by 1 to 3 (losses). Timestamps are not checked: senders reset them
 *   (and captures mangle them) more often than an impostor keeps a sequence running.
 * - RTCP: compound datagrams that start with a sender or receiver report (200, 201) and whose
 *   packets (types 200-207, lengths in 32-bit words) tile the datagram exactly; one from each
 *   direction, or four in all.
 */
import { CONTINUE, type Dissector, MATCH, REJECT, u16, u32 } from '../dissector.js';

const RTP_HEADER = 12;
/** Datagrams one direction must show with continuous sequence numbers. */
const RTP_RUN = 3;
const MAX_SEQ_STEP = 3;
/** Datagrams the dissector waits for before giving up. */
const PATIENCE = 16;

/** True for a payload type RTP uses (RTCP's 72-76 excluded: they are RTCP with the marker bit). */
const rtpPayloadType = (pt: number): boolean => (pt <= 34 && pt !== 1 && pt !== 2 && pt !== 19) || pt >= 96;

/** An RTP header at `b[off, end)`: true when version, payload type and CSRC list fit. */
export function isRtpHeader(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < RTP_HEADER) return false;
  const b0 = b[off]!;
  if (b0 >> 6 !== 2 || !rtpPayloadType(b[off + 1]! & 0x7f)) return false;
  const cc = b0 & 0x0f;
  return end - off >= RTP_HEADER + 4 * cc + ((b0 & 0x20) !== 0 ? 1 : 0);
}

/** A compound RTCP datagram filling `b[off, end)`. */
export function isRtcpCompound(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8) return false;
  const first = b[off + 1]!;
  if (first !== 200 && first !== 201) return false;
  let o = off;
  while (o < end) {
    if (end - o < 4 || b[o]! >> 6 !== 2) return false;
    const pt = b[o + 1]!;
    if (pt < 200 || pt > 207) return false;
    o += 4 * (u16(b, o + 2) + 1);
  }
  return o === end;
}

interface RtpState {
  /** Per direction: SSRC and last sequence number of the current run, its length. */
  ssrc: [number, number];
  seq: [number, number];
  run: [number, number];
  rtcp: [number, number];
}

/** RTP (and RTCP on its own flow). */
export const rtp: Dissector<RtpState> = {
  name: 'RTP',
  transport: 'udp',
  state: () => ({ ssrc: [0, 0], seq: [0, 0], run: [0, 0], rtcp: [0, 0] }),
  inspect(p, st) {
    const { b, off, end, dir } = p;
    const total = p.packets[0] + p.packets[1];
    if (isRtcpCompound(b, off, end)) {
      st.rtcp[dir]++;
      if ((st.rtcp[0] > 0 && st.rtcp[1] > 0) || st.rtcp[0] + st.rtcp[1] >= 4) return 'RTCP';
      return CONTINUE;
    }
    if (isRtpHeader(b, off, end)) {
      const ssrc = u32(b, off + 8);
      const seq = u16(b, off + 2);
      const step = (seq - st.seq[dir] + 0x10000) & 0xffff;
      if (st.run[dir] > 0 && ssrc === st.ssrc[dir] && step >= 1 && step <= MAX_SEQ_STEP) st.run[dir]++;
      else st.run[dir] = 1;
      st.ssrc[dir] = ssrc;
      st.seq[dir] = seq;
      if (st.run[dir] >= RTP_RUN) return MATCH;
      return total >= PATIENCE ? REJECT : CONTINUE;
    }
    return total >= 4 ? REJECT : CONTINUE;
  },
};
