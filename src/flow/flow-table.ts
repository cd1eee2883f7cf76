import { KEY_WORDS } from './flow-key.js';

/** Flow bit: the slot holds a flow (set by `insert`, cleared by `remove`). */
const BIT_LIVE = 0x20;

/** No flow: the end of a list, an empty slot. */
export const NIL = -1;

/** The two expiry lists: open flows (idle timeout) and TCP flows that closed (linger). */
export const FlowList = { Open: 0, Closing: 1 } as const;

/**
 * Fixed-size state of every flow, in typed arrays (struct of arrays): flow `i` owns element `i`
 * of the per-flow arrays and elements `2i` (client→server) and `2i+1` (server→client) of the
 * per-direction arrays. Keys sit in one word slab; an open-addressing index (linear probing,
 * backward-shift deletion, no tombstones) maps keys to flows; a free list recycles slots; two
 * doubly linked lists in least-recently-used order make idle expiry O(1) per packet.
 *
 * Capacity grows by doubling up to `maxFlows`, so a small capture costs little and a large
 * one never reallocates per flow. Arrays are replaced when they grow: read them through the
 * table each time, never keep a reference across an insert.
 */
export class FlowTable {
  capacity = 0;
  count = 0;
  // ---- per flow ----
  keys = new Uint32Array(0);
  hashes = new Uint32Array(0);
  firstTs = new Float64Array(0);
  lastTs = new Float64Array(0);
  /** Run-wide flow number (the record's flow_id). */
  serial = new Float64Array(0);
  /**
   * Bit 0: the client is side A of the key (tracker). Bit 1: list. Bit 2: followed by a
   * consumer, bit 6: fed to consumers (engine). Bits 3-4: sequence initialised per direction
   * (tracker). Bit 5: live. Bit 7: on a list.
   */
  bits = new Uint8Array(0);
  /** TCP handshake/close state (TcpState bits). */
  tcpState = new Uint8Array(0);
  tunnel = new Uint8Array(0);
  /** Time of the client's SYN (µs), then the handshake RTT (µs) once complete; -1 unknown. */
  synTs = new Float64Array(0);
  rttUs = new Float32Array(0);
  prev = new Int32Array(0);
  next = new Int32Array(0);
  // ---- per direction (index 2*flow + dir; dir 0 = client → server) ----
  packets = new Uint32Array(0);
  bytes = new Float64Array(0);
  payload = new Float64Array(0);
  tcpFlags = new Uint8Array(0);
  retrans = new Uint32Array(0);
  outOfOrder = new Uint32Array(0);
  nextSeq = new Uint32Array(0);
  lenMin = new Uint32Array(0);
  lenMax = new Uint32Array(0);
  lenSumSq = new Float64Array(0);
  dirLastTs = new Float64Array(0);
  iatMin = new Float64Array(0);
  iatMax = new Float64Array(0);
  /** Inter-arrival samples: arrivals - 1 (a reassembled datagram arrives once, as several packets). */
  iatCount = new Uint32Array(0);
  iatSum = new Float64Array(0);
  iatSumSq = new Float64Array(0);
  ttlMin = new Uint8Array(0);
  ttlMax = new Uint8Array(0);

  /** Open-addressing index: flow + 1 per slot, 0 = empty. */
  private index = new Int32Array(0);
  private mask = 0;
  private freeHead = NIL;
  /** Next never-used slot (slots below it are in use or on the free list). */
  private fresh = 0;
  readonly heads = new Int32Array([NIL, NIL]);
  readonly tails = new Int32Array([NIL, NIL]);

  constructor(
    readonly maxFlows: number,
    initialCapacity = 4096,
  ) {
    this.grow(Math.max(16, Math.min(initialCapacity, maxFlows)));
  }

  /** Bytes of fixed per-flow state, index included (what the bench reports per flow). */
  get bytesPerFlow(): number {
    return this.stateBytes() / this.capacity;
  }

  /** Bytes held by all typed arrays of the table. */
  stateBytes(): number {
    let n = this.index.byteLength;
    for (const a of this.arrays()) n += a.byteLength;
    return n;
  }

  /** Finds the flow with this key, or NIL. */
  find(key: Uint32Array, hash: number): number {
    const index = this.index;
    const mask = this.mask;
    const keys = this.keys;
    const hashes = this.hashes;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = index[s]!;
      if (v === 0) return NIL;
      const f = v - 1;
      if (hashes[f] === hash) {
        const base = f * KEY_WORDS;
        if (
          keys[base] === key[0] &&
          keys[base + 4] === key[4] &&
          keys[base + 8] === key[8] &&
          keys[base + 9] === key[9] &&
          keys[base + 1] === key[1] &&
          keys[base + 2] === key[2] &&
          keys[base + 3] === key[3] &&
          keys[base + 5] === key[5] &&
          keys[base + 6] === key[6] &&
          keys[base + 7] === key[7]
        )
          return f;
      }
    }
  }

  /** True when no slot is left (the caller evicts first). */
  get full(): boolean {
    return this.count >= this.maxFlows;
  }

  /** Takes a slot for a new flow with this key and zeroes its state. Caller checks `full`. */
  insert(key: Uint32Array, hash: number): number {
    let f: number;
    if (this.freeHead !== NIL) {
      f = this.freeHead;
      this.freeHead = this.next[f]!;
    } else {
      if (this.fresh === this.capacity) this.grow(Math.min(this.capacity * 2, this.maxFlows));
      f = this.fresh++;
    }
    this.count++;
    this.keys.set(key, f * KEY_WORDS);
    this.hashes[f] = hash;
    this.reset(f);
    this.bits[f] = BIT_LIVE;
    const index = this.index;
    const mask = this.mask;
    let s = hash & mask;
    while (index[s] !== 0) s = (s + 1) & mask;
    index[s] = f + 1;
    return f;
  }

  /** Removes a flow from the index and its list, and frees its slot. */
  remove(f: number): void {
    this.unlink(f);
    const index = this.index;
    const mask = this.mask;
    let i = this.hashes[f]! & mask;
    while (index[i] !== f + 1) i = (i + 1) & mask;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = index[j]!;
      if (v === 0) break;
      const home = this.hashes[v - 1]! & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      index[i] = v;
      i = j;
    }
    index[i] = 0;
    this.bits[f] = 0;
    this.next[f] = this.freeHead;
    this.freeHead = f;
    this.count--;
  }

  /** Appends (or moves) a flow to the tail of a list: the tail is the most recently seen. */
  touch(f: number, list: number): void {
    const bits = this.bits;
    if ((bits[f]! & 0x80) !== 0) {
      if (this.tails[list] === f && ((bits[f]! >> 1) & 1) === list) return;
      this.unlink(f);
    }
    bits[f] = (bits[f]! & ~0x02) | (list << 1) | 0x80;
    const t = this.tails[list]!;
    this.prev[f] = t;
    this.next[f] = NIL;
    if (t === NIL) this.heads[list] = f;
    else this.next[t] = f;
    this.tails[list] = f;
  }

  /** Which list a flow is on. */
  listOf(f: number): number {
    return (this.bits[f]! >> 1) & 1;
  }

  private unlink(f: number): void {
    const bits = this.bits;
    if ((bits[f]! & 0x80) === 0) return;
    const list = (bits[f]! >> 1) & 1;
    const p = this.prev[f]!;
    const n = this.next[f]!;
    if (p === NIL) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[list] = p;
    else this.prev[n] = p;
    bits[f] = bits[f]! & ~0x80;
  }

  private reset(f: number): void {
    this.bits[f] = 0;
    this.tcpState[f] = 0;
    this.tunnel[f] = 0;
    this.synTs[f] = -1;
    this.rttUs[f] = -1;
    for (let d = 2 * f; d < 2 * f + 2; d++) {
      this.packets[d] = 0;
      this.bytes[d] = 0;
      this.payload[d] = 0;
      this.tcpFlags[d] = 0;
      this.retrans[d] = 0;
      this.outOfOrder[d] = 0;
      this.nextSeq[d] = 0;
      this.lenMin[d] = 0xffffffff;
      this.lenMax[d] = 0;
      this.lenSumSq[d] = 0;
      this.dirLastTs[d] = -1;
      this.iatMin[d] = Number.POSITIVE_INFINITY;
      this.iatMax[d] = 0;
      this.iatCount[d] = 0;
      this.iatSum[d] = 0;
      this.iatSumSq[d] = 0;
      this.ttlMin[d] = 255;
      this.ttlMax[d] = 0;
    }
  }

  private arrays(): ArrayBufferView[] {
    return [
      this.keys, this.hashes, this.firstTs, this.lastTs, this.serial, this.bits, this.tcpState, this.tunnel, this.synTs, this.rttUs, this.prev, this.next,
      this.packets, this.bytes, this.payload, this.tcpFlags, this.retrans, this.outOfOrder, this.nextSeq, this.lenMin, this.lenMax, this.lenSumSq,
      this.dirLastTs, this.iatMin, this.iatMax, this.iatCount, this.iatSum, this.iatSumSq, this.ttlMin, this.ttlMax,
    ];
  }

  private grow(cap: number): void {
    const old = this.capacity;
    if (cap <= old) return;
    const d = cap * 2;
    this.keys = grown(this.keys, new Uint32Array(cap * KEY_WORDS));
    this.hashes = grown(this.hashes, new Uint32Array(cap));
    this.firstTs = grown(this.firstTs, new Float64Array(cap));
    this.lastTs = grown(this.lastTs, new Float64Array(cap));
    this.serial = grown(this.serial, new Float64Array(cap));
    this.bits = grown(this.bits, new Uint8Array(cap));
    this.tcpState = grown(this.tcpState, new Uint8Array(cap));
    this.tunnel = grown(this.tunnel, new Uint8Array(cap));
    this.synTs = grown(this.synTs, new Float64Array(cap));
    this.rttUs = grown(this.rttUs, new Float32Array(cap));
    this.prev = grown(this.prev, new Int32Array(cap));
    this.next = grown(this.next, new Int32Array(cap));
    this.packets = grown(this.packets, new Uint32Array(d));
    this.bytes = grown(this.bytes, new Float64Array(d));
    this.payload = grown(this.payload, new Float64Array(d));
    this.tcpFlags = grown(this.tcpFlags, new Uint8Array(d));
    this.retrans = grown(this.retrans, new Uint32Array(d));
    this.outOfOrder = grown(this.outOfOrder, new Uint32Array(d));
    this.nextSeq = grown(this.nextSeq, new Uint32Array(d));
    this.lenMin = grown(this.lenMin, new Uint32Array(d));
    this.lenMax = grown(this.lenMax, new Uint32Array(d));
    this.lenSumSq = grown(this.lenSumSq, new Float64Array(d));
    this.dirLastTs = grown(this.dirLastTs, new Float64Array(d));
    this.iatMin = grown(this.iatMin, new Float64Array(d));
    this.iatMax = grown(this.iatMax, new Float64Array(d));
    this.iatCount = grown(this.iatCount, new Uint32Array(d));
    this.iatSum = grown(this.iatSum, new Float64Array(d));
    this.iatSumSq = grown(this.iatSumSq, new Float64Array(d));
    this.ttlMin = grown(this.ttlMin, new Uint8Array(d));
    this.ttlMax = grown(this.ttlMax, new Uint8Array(d));
    this.capacity = cap;
    // Index at load factor <= 0.5: a power of two at least twice the capacity.
    let size = 16;
    while (size < cap * 2) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let f = 0; f < this.fresh; f++) {
      if ((this.bits[f]! & BIT_LIVE) === 0) continue; // free slot: not in the index
      let s = this.hashes[f]! & this.mask;
      while (this.index[s] !== 0) s = (s + 1) & this.mask;
      this.index[s] = f + 1;
    }
  }
}

function grown<T extends Uint8Array | Uint32Array | Int32Array | Float32Array | Float64Array>(old: T, bigger: T): T {
  (bigger as Uint8Array).set(old as unknown as Uint8Array);
  return bigger;
}
