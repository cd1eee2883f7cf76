/**
 * MapleStory's patcher and launcher fetch over HTTP with a request for `/maplestory/…` and the
 * user agent `AspINet`. nDPI names such flows `MapleStory` instead of HTTP.
 *
 * Note: the core HTTP dissector claims every HTTP request first, so this one only speaks when it
 * is tried before it.
 */
import { byteSet, type Dissector, indexOf, MATCH, REJECT, startsWith } from '../dissector.js';

const MAX_HEAD = 2048;

/** MapleStory: an HTTP GET for /maplestory/ or with the AspINet agent, first in the client stream. */
export const mapleStory: Dissector = {
  name: 'MapleStory',
  transport: 'tcp',
  first: { bytes: byteSet('G'), minLength: 16 },
  inspect(p) {
    const { b, off } = p;
    if (p.dir !== 0 || p.streamOffset !== 0 || !startsWith(b, off, p.end, 'GET /')) return REJECT;
    const end = Math.min(p.end, off + MAX_HEAD);
    if (startsWith(b, off, end, 'GET /maplestory/')) return MATCH;
    return indexOf(b, off, end, '\r\nUser-Agent: AspINet') >= 0 ? MATCH : REJECT;
  },
};
