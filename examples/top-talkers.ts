/**
 * Top talkers: bytes per host (both directions of every flow it took part in), reported at the
 * end of input as one `info` alert with the ten busiest hosts.
 *
 *   sonda run examples/top-talkers.ts --read capture.pcap
 */
import { definePlugin } from 'sonda';

const bytes = new Map<string, number>();
const TOP = 10;

export default definePlugin({
  name: 'top-talkers',
  onFlowEnd(_flow, rec) {
    const total = rec.client.bytes + rec.server.bytes;
    for (const ip of [rec.client.ip, rec.server.ip]) bytes.set(ip, (bytes.get(ip) ?? 0) + total);
  },
  onFinish(ctx) {
    const top = [...bytes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
    ctx.count('hosts', bytes.size);
    ctx.alert(`top ${top.length} talkers by bytes`, 'info', { top: top.map(([ip, b]) => ({ ip, bytes: b })) });
    bytes.clear();
  },
});
