/**
 * Runs one consumer over a real capture through the engine, for parser tests on the corpus:
 * every flow record, with the consumer state the flow had when it ended.
 */
import { readCapture } from '../capture/read-capture.js';
import type { Consumer } from '../engine/consumer.js';
import { Engine } from '../engine/engine.js';
import type { FlowRecord } from '../flow/record.js';

type Endpoint = { ip: string; port: number };

/** A direction-free key of a flow: protocol, VLAN and the endpoint pair in sorted order. */
export function endpointPairKey(proto: string, vlan: number | undefined, a: Endpoint, b: Endpoint): string {
  const x = `${a.ip} ${a.port}`;
  const y = `${b.ip} ${b.port}`;
  return `${proto}|${vlan ?? ''}|${x < y ? `${x}|${y}` : `${y}|${x}`}`;
}

export interface ConsumerRun<S> {
  /** By `endpointPairKey`: the record and the consumer's state for that flow (undefined: not followed). */
  flows: Map<string, { rec: FlowRecord; st: S | undefined }>;
  errors: number;
  weirds: Record<string, number>;
}

export async function runConsumerOnCapture<S>(consumer: Consumer<S>, file: string): Promise<ConsumerRun<S>> {
  let last: S | undefined;
  const hook: Consumer<S> = {
    ...consumer,
    close(st, fields) {
      last = st;
      consumer.close?.(st, fields);
    },
  };
  const engine = new Engine({ consumers: [hook as Consumer] });
  const flows = new Map<string, { rec: FlowRecord; st: S | undefined }>();
  engine.on('flow', (rec) => {
    flows.set(endpointPairKey(rec.protocol, rec.vlan, rec.client, rec.server), { rec, st: last });
    last = undefined;
  });
  await readCapture(file, engine).catch(() => undefined); // unreadable files are the reader's business
  engine.finish();
  const s = engine.summary();
  return { flows, errors: s.consumers?.errors ?? 0, weirds: s.weirds };
}
