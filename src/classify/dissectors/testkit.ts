/**
 * Test helpers shared by every dissector test: seeded random payloads (that no dissector may
 * claim), the classifier with chosen dissectors over a corpus capture, and corpus paths. The
 * per-group kits (testkit-a/b/c) add their own ways of feeding crafted payloads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readCapture } from '../../capture/read-capture.js';
import type { Consumer } from '../../engine/consumer.js';
import { Engine } from '../../engine/engine.js';
import { seededRandom } from '../../testing/random.js';
import { loadCatalog } from '../catalog.js';
import { Classifier } from '../classifier.js';
import type { Dissector } from '../dissector.js';

/** `n` random payloads of 0..`maxLen` bytes, the same for the same seed. */
export function randomPayloads(seed: number, n: number, maxLen: number): Uint8Array[] {
  const rnd = seededRandom(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const a = new Uint8Array(Math.floor(rnd() * (maxLen + 1)));
    for (let j = 0; j < a.length; j++) a[j] = Math.floor(rnd() * 256);
    out.push(a);
  }
  return out;
}

/** A flow of a capture as the classifier named it. */
export interface NamedFlow {
  /** `UDP 1.2.3.4:5 > 6.7.8.9:10`, client first. */
  flow: string;
  protocol: string;
  confidence: string;
  host: string | undefined;
}

/** Runs the classifier with only `dissectors` (and the built-in catalog) over a capture; also how often a consumer threw. */
export async function classifyRun(file: string, dissectors: readonly Dissector[]): Promise<{ flows: NamedFlow[]; errors: number }> {
  const classifier = new Classifier({ catalog: loadCatalog(), dissectors, risks: false });
  const engine = new Engine({ consumers: [classifier.consumer as Consumer] });
  const out: NamedFlow[] = [];
  engine.on('flow', (rec) => {
    out.push({
      flow: `${rec.protocol} ${rec.client.ip}:${rec.client.port} > ${rec.server.ip}:${rec.server.port}`,
      protocol: rec.app?.protocol ?? 'Unknown',
      confidence: rec.app?.confidence ?? 'unknown',
      host: rec.host,
    });
  });
  await readCapture(file, engine);
  engine.finish();
  return { flows: out, errors: engine.summary().consumers?.errors ?? 0 };
}

/** Every flow of a capture as the classifier with only `dissectors` named it. */
export async function classifyCapture(file: string, dissectors: readonly Dissector[]): Promise<NamedFlow[]> {
  return (await classifyRun(file, dissectors)).flows;
}

/** A capture of the nDPI corpus (tests run with cwd /work/main). */
export const ndpiPcap = (name: string): string => `../shared/corpus/ndpi/pcap/${name}`;

/** A capture of the tcpdump corpus. */
export const tcpdumpPcap = (name: string): string => `../shared/corpus/tcpdump/${name}`;

/**
 * Runs `dissectors` over every capture of the tcpdump corpus (often malformed) and returns what
 * any of them threw, as `name: message` (empty: none threw). A capture the reader refuses is
 * the reader's business, not the dissectors'.
 */
export async function throwsOnTcpdumpCorpus(dissectors: readonly Dissector[]): Promise<string[]> {
  const thrown: string[] = [];
  const guarded: Dissector[] = dissectors.map((d) => ({
    ...d,
    inspect(p, s) {
      try {
        return d.inspect(p, s);
      } catch (e) {
        thrown.push(`${d.name}: ${(e as Error).message}`);
        return -1;
      }
    },
  }));
  for (const file of readdirSync(tcpdumpPcap(''))) {
    try {
      await classifyCapture(tcpdumpPcap(file), guarded);
    } catch {
      // Refused by the reader.
    }
  }
  return thrown;
}

/** One DPI claim on a capture of the nDPI corpus, beside what nDPI named that flow. */
export interface CorpusClaim {
  file: string;
  flow: NamedFlow;
  /** nDPI's `MASTER.APP` for the flow; undefined when nDPI does not list it. */
  expected: string | undefined;
}

/** nDPI's name of each flow it lists for `file`, keyed `PROTO a b` (endpoints in text order); undefined without expected results. */
function expectedNames(file: string): Map<string, string> | undefined {
  let json: string;
  try {
    json = readFileSync(`../shared/corpus/ndpi/expected/${file}.json`, 'utf8');
  } catch {
    return undefined;
  }
  const out = new Map<string, string>();
  for (const e of (JSON.parse(json) as { flows: Array<{ protocol: string; client: { ip: string; port: number }; server: { ip: string; port: number }; app?: { protocol: string } }> }).flows) {
    const a = `${e.client.ip}:${e.client.port}`;
    const b = `${e.server.ip}:${e.server.port}`;
    out.set(`${e.protocol} ${a < b ? `${a} ${b}` : `${b} ${a}`}`, e.app?.protocol ?? 'Unknown');
  }
  return out;
}

/** Every flow `dissectors` claim by DPI over the nDPI corpus captures that have expected results. */
export async function ndpiCorpusClaims(dissectors: readonly Dissector[]): Promise<CorpusClaim[]> {
  const out: CorpusClaim[] = [];
  for (const file of readdirSync(ndpiPcap('')).sort()) {
    const expected = expectedNames(file);
    if (expected === undefined) continue;
    for (const flow of await classifyCapture(ndpiPcap(file), dissectors)) {
      if (flow.confidence !== 'dpi') continue;
      const [proto, a, , b] = flow.flow.split(' ') as [string, string, string, string];
      out.push({ file, flow, expected: expected.get(`${proto} ${a < b ? `${a} ${b}` : `${b} ${a}`}`) });
    }
  }
  return out;
}
