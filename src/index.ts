/**
 * Sonda's library API. The CLI is one user of it; everything it does, a program can do.
 *
 * @example Flows of a capture, streamed as they end:
 * ```ts
 * import { Engine, readCapture } from 'sonda';
 * const engine = new Engine({ flows: { idleTimeout: 60 } });
 * engine.on('flow', (rec) => console.log(rec.flow_id, rec.client.ip, '->', rec.server.ip));
 * await readCapture('capture.pcap', engine);
 * engine.finish();
 * console.log(engine.summary());
 * ```
 */
export { type CaptureInfo, type ReadCaptureOptions, readCapture } from './capture/read-capture.js';
export { type CaptureWarning, type FrameSink, LinkType } from './capture/frame.js';
export { IpProto, PacketDecoder, PacketKind, TUNNEL_NAMES, Tunnel } from './decode/decoder.js';
export { DEFAULT_DEFRAG_LIMITS, type DefragLimits } from './decode/defrag.js';
export { Decode } from './decode/result.js';
export { W, WEIRD_NAMES, WeirdCounters, type WeirdName } from './decode/weirds.js';
export { Engine, type EngineOptions, type EngineSummary, type FlowListener } from './engine/engine.js';
export type { Consumer, Dir, FlowStart, RecordFields } from './engine/consumer.js';
export { RECORD_EXTRA_KEYS } from './engine/consumer.js';
export { PARSERS, selectParsers } from './protocols/index.js';
export { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits, TcpStream } from './reassembly/tcp-reassembler.js';
export { analyzeCapture, type AnalyzeOptions, type AnalyzeResult } from './engine/analyze.js';
export { DEFAULT_FLOW_OPTIONS, END_REASON_NAMES, EndReason, type FlowOptions } from './flow/flow-tracker.js';
export type { Distribution, FlowEndpoint, FlowRecord, FlowTcp, FlowUpdate } from './flow/record.js';
export { SondaError, type SondaErrorCode } from './errors.js';
export type { EventListener, EventRecord, MessageListener } from './engine/engine.js';
export { addressText, type EventFields, type Expectation, type ExpectedFlow } from './engine/consumer.js';
export * from './plugins/index.js';
export { classifierConsumer, createClassifier, DISSECTORS, type AppField, Catalog, loadCatalog, parseProtocolFile, type Dissector, type FirstPayload, byteSet, type Payload, type Verdict, CONTINUE, REJECT, MATCH } from './classify/index.js';
export { compileFilter, FilterSyntaxError, type PacketFilter } from './filter/index.js';
export { RuleTable, RuleTuple, type Rule, parseRule, parseRules } from './rules/index.js';
export { ContentMatcher } from './search/content-matcher.js';
export { parseContentRule, parseContentRules, type ContentRule } from './search/content-rule.js';
