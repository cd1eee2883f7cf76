/**
 * Signature detector: Snort-style content rules over reassembled streams (a signature split
 * across segments is still found). Raises a `high` alert per rule and flow, and tags the flow.
 *
 *   sonda run examples/worm-detector.ts --read capture.pcap
 */
import { definePlugin } from 'sonda';

export default definePlugin<{ seen: Set<number> }>({
  name: 'worm-detector',
  content: [
    'alert tcp any any -> any any (msg:"SQL injection: UNION SELECT in a request"; content:"GET "; depth:4; content:"UNION"; nocase; distance:0; content:"SELECT"; nocase; distance:0; sid:1000001;)',
    'alert tcp any any -> any any (msg:"Windows executable transferred"; content:"MZ"; content:"This program cannot be run in DOS mode"; distance:0; within:200; sid:1000002;)',
    'alert tcp any any -> any any (msg:"ELF executable transferred"; content:"|0d 0a 0d 0a 7f|ELF"; sid:1000003;)',
    'alert tcp any any -> any any (msg:"Code Red style IIS .ida overflow"; content:"GET /default.ida?"; depth:17; sid:1000004;)',
    'alert tcp any any -> any any (msg:"Shell command in a request"; content:"cmd.exe"; nocase; sid:1000005;)',
  ],
  flowState: () => ({ seen: new Set<number>() }),
  onContent(flow, match) {
    if (flow.state.seen.has(match.sid)) return;
    flow.state.seen.add(match.sid);
    flow.tag(`sid:${match.sid}`);
    flow.alert(match.msg, 'high', { sid: match.sid, direction: match.dir === 0 ? 'client' : 'server' });
  },
});
