import type { CaptureWarning } from '../capture/frame.js';
import { type CaptureInfo, readCapture } from '../capture/read-capture.js';
import type { FlowRecord } from '../flow/record.js';
import { Engine, type EngineOptions, type EngineSummary } from './engine.js';

/** Options of {@link analyzeCapture}. */
export interface AnalyzeOptions extends EngineOptions {
  /** Called once per flow as it ends. Without it, the records are collected in the result. */
  onFlow?: (record: FlowRecord) => void;
  /** File-level problems (truncated or corrupt records); the flows before them are kept. */
  onWarning?: (warning: CaptureWarning) => void;
}

/** What {@link analyzeCapture} returns. */
export interface AnalyzeResult {
  /** The flow records in end order (empty when `onFlow` was given). */
  flows: FlowRecord[];
  summary: EngineSummary;
  capture: CaptureInfo;
  warnings: CaptureWarning[];
}

/**
 * Reads a whole capture (a path, or `'-'` for standard input) through one engine and returns
 * its flows and summary. For large captures pass `onFlow`, so records are not kept in memory.
 * Throws `SondaError` when the file is missing, unreadable or not a capture.
 */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const engine = new Engine(options);
  const flows: FlowRecord[] = [];
  const warnings: CaptureWarning[] = [];
  engine.on('flow', options.onFlow ?? ((rec) => flows.push(rec)));
  const capture = await readCapture(path, engine, {
    onWarning: (w) => {
      warnings.push(w);
      options.onWarning?.(w);
    },
  });
  engine.finish();
  return { flows, summary: engine.summary(), capture, warnings };
}
