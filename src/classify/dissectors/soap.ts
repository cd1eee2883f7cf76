/**
 * SOAP outside an HTTP flow's first exchange: an XML document sent bare over TCP (`<?xml`), or an
 * HTTP request carrying a `SOAPAction:` header that starts later in the flow (a capture that
 * begins mid-request, where HTTP is not seen first). Looks at the first client payloads.
 */
import { CONTINUE, type Dissector, indexOf, MATCH, REJECT, startsWith } from '../dissector.js';
import { headerValue } from './ssdp.js';

/** SOAP, within the first four client payloads. */
export const soap: Dissector = {
  name: 'SOAP',
  transport: 'tcp',
  inspect(p) {
    const { b, off, end } = p;
    if (p.dir === 0 || p.index === 0) {
      // XMPP opens with an XML declaration too, then its stream element.
      if (startsWith(b, off, end, '<?xml ')) return indexOf(b, off, Math.min(end, off + 256), '<stream:') < 0 ? MATCH : REJECT;
      if (p.dir === 0 && startsWith(b, off, end, 'POST ')) {
        const line = indexOf(b, off, Math.min(end, off + 2048), '\r\n');
        if (line > 0 && headerValue(b, line + 2, end, 'SOAPAction:') !== undefined) return MATCH;
      }
    }
    return p.packets[0] >= 4 ? REJECT : CONTINUE;
  },
};
