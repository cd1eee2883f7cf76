/**
 * Citrix Virtual Apps and Desktops: an ICA connection (TCP 1494) opens with the detect string
 * `7F 7F 'ICA' 00` from both sides; through the session reliability layer (CGP, TCP 2598) the
 * client starts with `1A 'CGP/01'`.
 */
import { byteSet, type Dissector, MATCH, REJECT } from '../dissector.js';
import { hexPattern, startsWithBytes } from './group-c-bytes.js';

const ICA = hexPattern('7f7f49434100');
const CGP = hexPattern('1a4347502f3031');

/** Citrix: the ICA detect string or the CGP preamble at the start of a direction. */
export const citrix: Dissector = {
  name: 'Citrix',
  transport: 'tcp',
  first: { bytes: byteSet(0x7f, 0x1a), minLength: 6 },
  inspect(p) {
    if (p.streamOffset !== 0) return REJECT;
    return startsWithBytes(p.b, p.off, p.end, ICA) || startsWithBytes(p.b, p.off, p.end, CGP) ? MATCH : REJECT;
  },
};
