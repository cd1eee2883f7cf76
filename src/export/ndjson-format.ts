import { SNAPSHOT_FIELDS } from '../flow/flow-snapshot.js';
import { buildFlowRecord } from '../flow/record.js';
import { flowRecordJson } from '../flow/record-json.js';

/**
 * Encodes `count` snapshot rows as NDJSON (one line per flow) into `out`, growing it when a
 * line does not fit. Returns the buffer (maybe a new one) and the bytes written. Lines go
 * straight into bytes: concatenating thousands of lines into one string first is several times
 * slower (V8 flattens the deep rope at the end).
 */
export function encodeRows(rows: Float64Array, count: number, flowIdPrefix: string, out: Buffer): { buf: Buffer; length: number } {
  let buf = out;
  let o = 0;
  for (let i = 0; i < count; i++) {
    const line = flowRecordJson(buildFlowRecord(rows, i * SNAPSHOT_FIELDS, flowIdPrefix));
    // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the newline.
    if (o + line.length * 3 + 1 > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, o + line.length * 3 + 1));
      buf.copy(bigger, 0, 0, o);
      buf = bigger;
    }
    o += buf.write(line, o, 'utf8');
    buf[o++] = 10;
  }
  return { buf, length: o };
}
