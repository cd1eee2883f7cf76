/**
 * Your own applications: a plugin that teaches the classifier a web service by its host name
 * and an in-house UDP beacon by its payload. Flows then carry `app` names of your own, as a
 * `--protos` file would give (that file, when given, still wins).
 *
 *   sonda flows --json --plugin examples/acme-apps.ts --read capture.pcap
 */
import { byteSet, definePlugin, MATCH, REJECT } from 'sonda';

/** The beacon's first bytes. */
const MAGIC = 'ACMEv1';

export default definePlugin({
  name: 'acme-apps',
  protocols: `
[NtopSite]
category = Collaborative
hosts = ntop.org

[AcmeBeacon]
category = IoT-Scada
`,
  dissectors: [
    {
      name: 'AcmeBeacon',
      transport: 'udp',
      // What a first payload must look like, or the dissector is never asked (a table lookup).
      first: { bytes: byteSet(MAGIC[0]!), minLength: MAGIC.length },
      inspect: (p) => {
        for (let i = 0; i < MAGIC.length; i++) if (p.b[p.off + i] !== MAGIC.charCodeAt(i)) return REJECT;
        return MATCH;
      },
    },
  ],
});
