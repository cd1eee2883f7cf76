/**
 * sFlow (sflow.org, versions 2, 4 and 5) over UDP. A datagram header: version, agent address
 * type (1 IPv4, 2 IPv6) and address; v5 adds a sub-agent id; then sequence number, uptime and
 * the number of samples. In v5 every sample is a data-format word (enterprise 0: flow 1,
 * counters 2, expanded 3 and 4) and a length; the samples must tile the datagram exactly. In
 * v2/v4 samples carry no length: the count must be sane and the datagram long enough.
 */
import { byteSet, type Dissector, MATCH, REJECT, u32 } from '../dissector.js';

const MAX_SAMPLES = 1024;

/** True when `b[off, end)` is one sFlow datagram. */
export function isSflowDatagram(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 28) return false;
  const version = u32(b, off);
  if (version !== 5 && version !== 4 && version !== 2) return false;
  const addressType = u32(b, off + 4);
  if (addressType !== 1 && addressType !== 2) return false;
  let at = off + 8 + (addressType === 1 ? 4 : 16);
  if (version === 5) at += 4; // sub-agent id
  // Sequence number, uptime, number of samples.
  if (at + 12 > end) return false;
  const samples = u32(b, at + 8);
  at += 12;
  if (samples > MAX_SAMPLES) return false;
  if (version !== 5) return samples === 0 ? at === end : end - at >= 8 * samples;
  for (let i = 0; i < samples; i++) {
    if (at + 8 > end) return false;
    const format = u32(b, at);
    const length = u32(b, at + 4);
    if (format >>> 12 === 0 && (format < 1 || format > 4)) return false;
    if (length > end - at - 8 || (length & 3) !== 0) return false;
    at += 8 + length;
  }
  return at === end;
}

/** sFlow: each datagram is checked; the first decides. */
export const sflow: Dissector = {
  name: 'sFlow',
  transport: 'udp',
  first: { bytes: byteSet(0), minLength: 28 },
  inspect: (p) => (isSflowDatagram(p.b, p.off, p.end) ? MATCH : REJECT),
};
