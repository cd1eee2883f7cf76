import type { Consumer, EventFields, FlowStart, RecordFields } from '../engine/consumer.js';

/** What a TCP stream parser offers its consumer. */
export interface StreamParser {
  data(dir: 0 | 1, b: Uint8Array, off: number, end: number, tsUs: number): void;
  gap(dir: 0 | 1, bytes: number): void;
  readonly done: boolean;
}

/** Per-flow state of a probed TCP parser: made by the first payload, or ruled out by it. */
export interface ProbedFlow<P> {
  parser: P | null;
  /** The first payload decided whether the flow speaks the protocol. */
  decided: boolean;
  /** The flow is on one of the protocol's ports: parsed whatever its first bytes. */
  readonly port: boolean;
  readonly weird: (name: string) => void;
}

/** One row per protocol: how to recognise it and what it gives. */
export interface ProbedSpec<P extends StreamParser> {
  name: string;
  /** Follow flows only when transaction events are listened to (no record field). */
  eventsOnly?: boolean;
  /** A port that makes the flow this protocol's without a probe. */
  port(s: FlowStart): boolean;
  /** Does the first payload (either direction) look like this protocol? */
  probe(dir: 0 | 1, b: Uint8Array, off: number, end: number): boolean;
  create(weird: (name: string) => void): P;
  close?(parser: P, fields: RecordFields): void;
  events?(parser: P): readonly EventFields[] | undefined;
}

/**
 * The consumer of a TCP protocol recognised by its port or by its first payload: one shape
 * for every such parser. It opens at the flow's first payload, so a flow that never carries one
 * costs it nothing, and one of another protocol costs one short-lived object and one probe.
 */
export function probedTcpConsumer<P extends StreamParser>(spec: ProbedSpec<P>): Consumer<ProbedFlow<P>> {
  const close = spec.close;
  const events = spec.events;
  return {
    name: spec.name,
    openAt: 'payload',
    mayOpen: (s) => (spec.eventsOnly !== true || s.events) && s.protocol === 6,
    open: (s) => ((spec.eventsOnly !== true || s.events) && s.protocol === 6 ? { parser: null, decided: false, port: spec.port(s), weird: s.weird } : undefined),
    stream(st, dir, b, off, end, tsUs) {
      if (!st.decided) {
        st.decided = true;
        if (!st.port && !spec.probe(dir, b, off, end)) return false;
        st.parser = spec.create(st.weird);
      }
      st.parser?.data(dir, b, off, end, tsUs);
    },
    gap: (st, dir, bytes) => st.parser?.gap(dir, bytes),
    done: (st) => st.decided && (st.parser === null || st.parser.done),
    ...(close ? { close: (st: ProbedFlow<P>, fields: RecordFields) => (st.parser === null ? undefined : close(st.parser, fields)) } : {}),
    ...(events ? { events: (st: ProbedFlow<P>) => (st.parser === null ? undefined : events(st.parser)) } : {}),
  };
}
