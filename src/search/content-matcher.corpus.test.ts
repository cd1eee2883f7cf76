import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import type { Consumer } from '../engine/consumer.js';
import { runConsumerOnCapture } from '../testing/consumer-corpus.js';
import { ContentMatcher, type StreamMatchState } from './content-matcher.js';
import { parseContentRules } from './content-rule.js';

// The matcher on real traffic, through a test-only consumer (the engine integration is not
// this module's): every TCP segment goes to `stream` (per direction) and to `packet` alone.
const RULES = `
alert tcp any any -> any any (msg:"GET with Host"; content:"GET "; depth:4; content:"|0d 0a|Host|3a| "; nocase; distance:0; sid:1;)
alert tcp any any -> any any (msg:"Mozilla UA"; content:"User-Agent|3a| "; nocase; pcre:"/^[^\\r\\n]*Mozilla/R"; sid:2;)
alert tcp any any -> any any (msg:"HTTP response head"; content:"HTTP/1."; depth:7; content:"|0d 0a 0d 0a|"; distance:0; sid:3;)
alert udp any any -> any 53 (msg:"DNS query for a .com name"; content:"|03|com|00|"; nocase; sid:4;)
alert ip any any -> any any (msg:"bytes"; content:"|00 00 00 00 00 00 00 00|"; content:!"|ff ff|"; distance:0; within:16; sid:5;)
`;

interface FlowMatches {
  readonly dirs: [StreamMatchState, StreamMatchState];
  readonly stream: number[];
  readonly packet: number[];
}

function consumerOf(m: ContentMatcher): Consumer<FlowMatches> {
  return {
    name: 'content_test',
    open: () => ({ dirs: [m.newStreamState(), m.newStreamState()], stream: [], packet: [] }),
    stream(st, dir, b, off, end) {
      m.stream(st.dirs[dir], b, off, end, (r) => st.stream.push(r.sid!));
      m.packet(b, off, end, (r) => st.packet.push(r.sid!));
    },
    gap(st, dir, bytes) {
      m.gap(st.dirs[dir], bytes);
    },
    datagram(st, _dir, b, off, end) {
      m.packet(b, off, end, (r) => st.packet.push(r.sid!));
    },
  };
}

const matcher = (): ContentMatcher => {
  const { rules, errors } = parseContentRules(RULES);
  assert.deepEqual(errors, []);
  return new ContentMatcher(rules);
};

test('matcher corpus: a request split over two segments is found in the stream, not per packet', async () => {
  const m = matcher();
  const run = await runConsumerOnCapture(consumerOf(m), '../shared/corpus/ndpi/pcap/http_ua_splitted_in_two_pkts.pcapng');
  assert.equal(run.errors, 0);
  const flows = [...run.flows.values()].filter((f) => f.st !== undefined);
  assert.equal(flows.length, 1);
  const st = flows[0]!.st!;
  assert.deepEqual([...st.stream].sort(), [1, 2, 3]);
  assert.ok(!st.packet.includes(1), 'GET and Host are in different segments');
  assert.ok(st.packet.includes(3));
});

test('matcher corpus: every nDPI and tcpdump capture runs through without an error', async () => {
  const m = matcher();
  let errors = 0;
  let flows = 0;
  let matched = 0;
  for (const dir of ['../shared/corpus/ndpi/pcap', '../shared/corpus/tcpdump']) {
    for (const name of readdirSync(dir).sort()) {
      const run = await runConsumerOnCapture(consumerOf(m), `${dir}/${name}`);
      errors += run.errors;
      for (const f of run.flows.values()) {
        flows++;
        if ((f.st?.stream.length ?? 0) + (f.st?.packet.length ?? 0) > 0) matched++;
      }
    }
  }
  assert.equal(errors, 0);
  assert.ok(matched > 100, `${matched} of ${flows} flows matched a rule`);
  assert.equal(m.weirds.regex_budget_exhausted, 0);
});
