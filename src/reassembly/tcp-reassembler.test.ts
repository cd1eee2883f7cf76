import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TcpFlag } from '../decode/tcp.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits, type ReassemblyStats, TcpStream } from './tcp-reassembler.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

class Rig {
  out = '';
  events: string[] = [];
  weirds: string[] = [];
  readonly stats: ReassemblyStats = { delivered: 0, duplicateBytes: 0, inconsistentOverlaps: 0, gaps: 0, gapBytes: 0, limitFlushes: 0 };
  readonly s: TcpStream;
  constructor(limits: Partial<ReassemblyLimits> = {}) {
    this.s = new TcpStream(
      {
        data: (b, off, end) => {
          const chunk = new TextDecoder().decode(b.subarray(off, end));
          this.out += chunk;
          this.events.push(`data:${chunk}`);
        },
        gap: (n) => {
          this.out += '~'.repeat(n);
          this.events.push(`gap:${n}`);
        },
      },
      this.stats,
      { ...DEFAULT_REASSEMBLY_LIMITS, ...limits },
      (w) => this.weirds.push(w),
    );
  }
  seg(seq: number, data: string, flags = TcpFlag.Ack | TcpFlag.Psh): void {
    const b = text(data);
    this.s.segment(seq >>> 0, flags, b, 0, b.length, 0);
  }
}

describe('TcpStream', () => {
  test('in order after the SYN: delivered at once, as views of the segment (no copy)', () => {
    const seen: Uint8Array[] = [];
    const stats: ReassemblyStats = { delivered: 0, duplicateBytes: 0, inconsistentOverlaps: 0, gaps: 0, gapBytes: 0, limitFlushes: 0 };
    const s = new TcpStream({ data: (b) => seen.push(b), gap: () => assert.fail('no gap') }, stats);
    s.segment(1000, TcpFlag.Syn, new Uint8Array(0), 0, 0, 0);
    const seg = text('hello');
    s.segment(1001, TcpFlag.Ack, seg, 0, 5, 0);
    assert.equal(seen[0], seg);
    assert.equal(stats.delivered, 5);
  });

  test('out of order: buffered until the hole closes, then delivered in order', () => {
    const r = new Rig();
    r.seg(100, '', TcpFlag.Syn);
    r.seg(107, 'world');
    r.seg(112, '!');
    assert.equal(r.out, '');
    r.seg(101, 'hello ');
    assert.equal(r.out, 'hello world!');
    assert.deepEqual(r.events, ['data:hello ', 'data:world', 'data:!']);
  });

  test('retransmissions and partial overlaps with delivered bytes are dropped and counted', () => {
    const r = new Rig();
    r.seg(0, 'abcdef', TcpFlag.Ack);
    r.seg(0, 'abcdef');
    r.seg(3, 'defghi');
    assert.equal(r.out, 'abcdefghi');
    assert.equal(r.stats.duplicateBytes, 6 + 3);
  });

  test('overlapping buffered segments that differ: first copy wins, counted as inconsistent', () => {
    const r = new Rig();
    r.seg(0, 'ab', TcpFlag.Ack);
    r.seg(4, 'EFGH');
    r.seg(6, 'xyZZ'); // overlaps "GH" with different bytes
    r.seg(2, 'cd');
    assert.equal(r.out, 'abcdEFGHZZ');
    assert.equal(r.stats.inconsistentOverlaps, 1);
    assert.deepEqual(r.weirds, ['tcp_inconsistent_overlap']);
  });

  test('sequence numbers wrap around 2^32', () => {
    const r = new Rig();
    r.seg(0xfffffffd, '', TcpFlag.Syn);
    r.seg(0x00000002, 'cd'); // after the wrap, early
    r.seg(0xfffffffe, 'ab12'); // 0xfffffffe..0x00000001
    assert.equal(r.out, 'ab12cd');
  });

  test('a stream picked up without its handshake starts at its first data', () => {
    const r = new Rig();
    r.seg(5000, '', TcpFlag.Ack); // a bare ACK starts nothing
    r.seg(7000, 'mid-stream');
    r.seg(7010, ' data');
    assert.equal(r.out, 'mid-stream data');
  });

  test('a hole never filled becomes a gap at the end, and what follows is delivered', () => {
    const r = new Rig();
    r.seg(0, '', TcpFlag.Syn);
    r.seg(1, 'aa');
    r.seg(6, 'cc');
    r.s.finish();
    assert.deepEqual(r.events, ['data:aa', 'gap:3', 'data:cc']);
    assert.equal(r.stats.gapBytes, 3);
  });

  test('buffer limit: the oldest hole is declared a gap instead of holding more', () => {
    const r = new Rig({ maxBufferedPerStream: 8 });
    r.seg(0, '', TcpFlag.Syn);
    r.seg(1, 'a');
    r.seg(10, 'bbbb');
    r.seg(14, 'cccc');
    assert.equal(r.out, 'a');
    r.seg(18, 'd'); // 9 bytes buffered > 8
    assert.deepEqual(r.events, ['data:a', 'gap:8', 'data:bbbb', 'data:cccc', 'data:d']);
    assert.equal(r.stats.limitFlushes, 1);
    assert.deepEqual(r.weirds, ['tcp_reassembly_limit']);
  });

  test('payload cut by the snap length: the missing tail is a gap, the next segment continues', () => {
    const r = new Rig();
    r.seg(0, '', TcpFlag.Syn);
    const b = text('head');
    r.s.segment(1, TcpFlag.Ack, b, 0, 4, 0, 10); // 10 bytes sent, 4 captured
    r.seg(11, 'next');
    assert.deepEqual(r.events, ['data:head', 'gap:6', 'data:next']);
  });

  test('RST ends the stream; FIN ends it once the holes are filled', () => {
    const r = new Rig();
    r.seg(0, 'ab', TcpFlag.Ack);
    r.seg(5, 'z', TcpFlag.Ack | TcpFlag.Fin);
    assert.equal(r.s.finished, false);
    r.seg(2, 'cde');
    r.s.finish();
    assert.equal(r.out, 'abcdez');
    const k = new Rig();
    k.seg(0, 'ab', TcpFlag.Ack);
    k.seg(2, '', TcpFlag.Rst);
    k.seg(2, 'late');
    assert.equal(k.out, 'ab');
  });
  test('zero padding at the next byte, then the real data at the same place: the data wins (heuristic_tcp_ack_payload)', () => {
    const r = new Rig();
    r.seg(100, '', TcpFlag.Syn);
    r.seg(101, '\0\0', TcpFlag.Ack);
    assert.equal(r.out, '', 'held back one packet');
    r.seg(101, 'hello', TcpFlag.Ack | TcpFlag.Psh);
    assert.equal(r.out, 'hello');
    assert.deepEqual(r.weirds, ['tcp_zero_padding_replaced']);
    assert.equal(r.stats.inconsistentOverlaps, 0);
    // The padding repeated (a retransmitted SYN-ACK carries it too) stays held.
    const s = new Rig();
    s.seg(500, '\0\0', TcpFlag.Syn | TcpFlag.Ack);
    s.seg(500, '\0\0', TcpFlag.Syn | TcpFlag.Ack);
    s.seg(501, 'world', TcpFlag.Ack);
    assert.equal(s.out, 'world');
  });
  test('zero bytes that are data: delivered before what follows them, at the end, or on release', () => {
    const a = new Rig();
    a.seg(100, '', TcpFlag.Syn);
    a.seg(101, '\0\0\0\0', TcpFlag.Ack);
    a.seg(105, 'next', TcpFlag.Ack);
    assert.equal(a.out, '\0\0\0\0next');
    const b = new Rig();
    b.seg(100, '', TcpFlag.Syn);
    b.seg(101, '\0\0', TcpFlag.Ack);
    b.s.finish();
    assert.equal(b.out, '\0\0');
    const c = new Rig();
    c.seg(100, '', TcpFlag.Syn);
    c.seg(101, '\0', TcpFlag.Ack);
    assert.equal(c.s.holding, true);
    c.s.release();
    assert.equal(c.out, '\0');
    // Pushed, longer than 8 bytes, or not all zero: delivered at once.
    const d = new Rig();
    d.seg(100, '', TcpFlag.Syn);
    d.seg(101, '\0\0', TcpFlag.Ack | TcpFlag.Psh);
    d.seg(103, '\0'.repeat(9), TcpFlag.Ack);
    d.seg(112, '\0x', TcpFlag.Ack);
    assert.equal(d.out.length, 13);
    assert.equal(d.s.holding, false);
  });
});
