import { KEY_WORDS } from './flow-key.js';
import type { FlowTable } from './flow-table.js';
import type { EndReason } from './flow-tracker.js';

/**
 * A flow's final state copied out of the table as one row of numbers, so the record can be
 * built later or on another thread (the NDJSON sink formats rows in a worker). The row is the
 * only input of `buildFlowRecord`, which keeps one record builder for every sink.
 */
export const Snap = {
  Serial: 0,
  FirstTs: 1,
  LastTs: 2,
  Reason: 3,
  Bits: 4,
  Tunnel: 5,
  RttUs: 6,
  Key: 7, // KEY_WORDS words
  Dir0: 7 + KEY_WORDS,
} as const;

/** Per-direction fields, at `Snap.Dir0 + dir * DIR_FIELDS + field`. */
export const SnapDir = {
  Packets: 0,
  Bytes: 1,
  Payload: 2,
  TcpFlags: 3,
  Retrans: 4,
  OutOfOrder: 5,
  LenMin: 6,
  LenMax: 7,
  LenSumSq: 8,
  IatMin: 9,
  IatMax: 10,
  IatSum: 11,
  IatSumSq: 12,
  TtlMin: 13,
  TtlMax: 14,
  IatCount: 15,
} as const;
export const DIR_FIELDS = 16;
/** Numbers in one snapshot row. */
export const SNAPSHOT_FIELDS = Snap.Dir0 + 2 * DIR_FIELDS;

/** Copies flow `f` of the table into `row[at, at + SNAPSHOT_FIELDS)`. */
export function snapshotFlow(t: FlowTable, f: number, reason: EndReason, row: Float64Array, at: number): void {
  row[at + Snap.Serial] = t.serial[f]!;
  row[at + Snap.FirstTs] = t.firstTs[f]!;
  row[at + Snap.LastTs] = t.lastTs[f]!;
  row[at + Snap.Reason] = reason;
  row[at + Snap.Bits] = t.bits[f]!;
  row[at + Snap.Tunnel] = t.tunnel[f]!;
  row[at + Snap.RttUs] = t.rttUs[f]!;
  const kb = f * KEY_WORDS;
  for (let i = 0; i < KEY_WORDS; i++) row[at + Snap.Key + i] = t.keys[kb + i]!;
  for (let dir = 0; dir < 2; dir++) {
    const di = 2 * f + dir;
    const o = at + Snap.Dir0 + dir * DIR_FIELDS;
    row[o + SnapDir.Packets] = t.packets[di]!;
    row[o + SnapDir.Bytes] = t.bytes[di]!;
    row[o + SnapDir.Payload] = t.payload[di]!;
    row[o + SnapDir.TcpFlags] = t.tcpFlags[di]!;
    row[o + SnapDir.Retrans] = t.retrans[di]!;
    row[o + SnapDir.OutOfOrder] = t.outOfOrder[di]!;
    row[o + SnapDir.LenMin] = t.lenMin[di]!;
    row[o + SnapDir.LenMax] = t.lenMax[di]!;
    row[o + SnapDir.LenSumSq] = t.lenSumSq[di]!;
    row[o + SnapDir.IatMin] = t.iatMin[di]!;
    row[o + SnapDir.IatMax] = t.iatMax[di]!;
    row[o + SnapDir.IatSum] = t.iatSum[di]!;
    row[o + SnapDir.IatSumSq] = t.iatSumSq[di]!;
    row[o + SnapDir.TtlMin] = t.ttlMin[di]!;
    row[o + SnapDir.TtlMax] = t.ttlMax[di]!;
    row[o + SnapDir.IatCount] = t.iatCount[di]!;
  }
}
