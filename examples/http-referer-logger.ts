/**
 * HTTP referer logger: for every HTTP request that names a Referer, one `info` alert with the
 * page that led to it; counts requests with and without one.
 *
 *   sonda run examples/http-referer-logger.ts --read capture.pcap
 */
import { definePlugin } from 'sonda';

export default definePlugin({
  name: 'http-referer-logger',
  select: { transports: ['tcp'] },
  messages: ['http'],
  onMessage(flow, msg, ctx) {
    if (msg.method === undefined) return;
    const referer = typeof msg.referer === 'string' ? msg.referer : undefined;
    ctx.count(referer === undefined ? 'requests_without_referer' : 'requests_with_referer');
    if (referer === undefined) return;
    const url = `${typeof msg.host === 'string' ? msg.host : flow.info.server.ip}${typeof msg.url === 'string' ? msg.url : ''}`;
    flow.alert(`${referer} -> ${url}`, 'info', { referer, url });
  },
});
