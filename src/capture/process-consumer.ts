/**
 * The flow record's `process` field for live capture: a consumer that asks
 * {@link ProcessAttribution} which local process owns a flow's socket when the flow is first
 * seen — short-lived client sockets are gone by the time their flow ends — and writes the
 * answer when it ends.
 */
import type { Consumer, FlowStart, RecordFields } from '../engine/consumer.js';
import { type ProcessInfo, ProcessAttribution } from './process-attribution.js';

/** Flows not attributed yet, asked about again when the socket tables are next read. */
const MAX_PENDING = 1024;

/** Per-flow state: the answer, or what is needed to ask again. */
interface ProcessFlow {
  process: ProcessInfo | undefined;
  readonly protocol: number;
  readonly ipVersion: 4 | 6;
  readonly client: Uint32Array;
  readonly clientPort: number;
  readonly server: Uint32Array;
  readonly serverPort: number;
  /** The flow's first packet, ms since the epoch. */
  readonly sinceMs: number;
}

/**
 * A consumer that fills `process` (`{ pid, name }`, ../shared/spec/flow-record.md) for TCP and
 * UDP flows with an end on this host. Only meaningful on the host that captures (live capture):
 * a capture file's sockets are not this host's.
 *
 * A flow whose lookup found nothing (the /proc reads are rationed, see `ProcessAttribution`)
 * is asked about again whenever a later lookup has read fresh socket tables, while its socket
 * likely still exists, and once more when it ends.
 */
export function processConsumer(attribution: ProcessAttribution = new ProcessAttribution()): Consumer<ProcessFlow> {
  const pending = new Set<ProcessFlow>();
  const ask = (s: ProcessFlow, settle: boolean): void => {
    s.process = attribution.lookup(s.protocol, s.ipVersion, s.client, s.clientPort, s.server, s.serverPort, s.sinceMs, settle);
  };
  return {
    name: 'process',
    open(start: FlowStart): ProcessFlow | undefined {
      if (start.protocol !== 6 && start.protocol !== 17) return undefined;
      if (!attribution.isLocalFlow(start.ipVersion, start.clientAddress, start.serverAddress)) return undefined;
      const s: ProcessFlow = {
        process: undefined,
        protocol: start.protocol,
        ipVersion: start.ipVersion,
        // FlowStart's arrays are reused for the next flow.
        client: start.clientAddress.slice(0, 4),
        clientPort: start.clientPort,
        server: start.serverAddress.slice(0, 4),
        serverPort: start.serverPort,
        sinceMs: start.tsUs / 1000,
      };
      const reads = attribution.stats.tableReads;
      ask(s, false);
      if (attribution.stats.tableReads !== reads && pending.size > 0) {
        for (const p of pending) {
          ask(p, false);
          if (p.process !== undefined) pending.delete(p);
        }
      }
      if (s.process === undefined) {
        if (pending.size >= MAX_PENDING) {
          const oldest = pending.values().next().value;
          if (oldest !== undefined) pending.delete(oldest);
        }
        pending.add(s);
      }
      return s;
    },
    // Nothing to read in the packets: the engine may stop feeding the flow.
    done: () => true,
    close(s: ProcessFlow, fields: RecordFields): void {
      pending.delete(s);
      if (s.process === undefined) ask(s, true);
      if (s.process !== undefined) fields.process = { pid: s.process.pid, name: s.process.name };
    },
  };
}
