import type { PacketDecoder } from '../decode/decoder.js';

/** Words in a flow key: address A (4), address B (4), ports, protocol/version/VLAN. */
export const KEY_WORDS = 10;

/**
 * Builds the canonical bidirectional flow key of a decoded packet into a reused word array:
 * the (address, port) pair that sorts first is side A, so both directions of a flow make the
 * same key and the same hash (the symmetric hash that sharding over workers relies on).
 * The key is the contract's: innermost IP addresses, L4 protocol, ports, outer VLAN.
 */
export class FlowKeyBuilder {
  readonly key = new Uint32Array(KEY_WORDS);
  /** True when the packet's source is side B of the canonical key. */
  swapped = false;
  hash = 0;
  /** True when the key equals the previous packet's (then `hash` was not recomputed). */
  same = false;
  private readonly previous = new Uint32Array(KEY_WORDS);

  build(d: PacketDecoder): void {
    const k = this.key;
    const b = d.keyBuf;
    let s = d.srcOffset;
    let t = d.dstOffset;
    let sp = d.srcPort;
    let dp = d.dstPort;
    let swap = false;
    if (d.ipVersion === 4) {
      const a = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
      const c = ((b[t]! << 24) | (b[t + 1]! << 16) | (b[t + 2]! << 8) | b[t + 3]!) >>> 0;
      swap = a > c || (a === c && sp > dp);
      k[0] = swap ? c : a;
      k[4] = swap ? a : c;
      k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
    } else {
      // Compare byte-wise until the addresses differ, then copy in canonical order.
      let cmp = 0;
      for (let i = 0; i < 16 && cmp === 0; i++) cmp = b[s + i]! - b[t + i]!;
      swap = cmp > 0 || (cmp === 0 && sp > dp);
      if (swap) {
        const x = s;
        s = t;
        t = x;
      }
      for (let w = 0; w < 4; w++) {
        const o = w << 2;
        k[w] = ((b[s + o]! << 24) | (b[s + o + 1]! << 16) | (b[s + o + 2]! << 8) | b[s + o + 3]!) >>> 0;
        k[4 + w] = ((b[t + o]! << 24) | (b[t + o + 1]! << 16) | (b[t + o + 2]! << 8) | b[t + o + 3]!) >>> 0;
      }
    }
    if (swap) {
      const x = sp;
      sp = dp;
      dp = x;
    }
    k[8] = ((sp << 16) | dp) >>> 0;
    k[9] = (d.l4Proto | (d.ipVersion === 6 ? 0x100 : 0) | ((d.vlan + 1) << 12)) >>> 0;
    this.swapped = swap;
    // Packets come in bursts of one flow: when the key repeats, so does the hash.
    const p = this.previous;
    if (k[0] === p[0] && k[4] === p[4] && k[8] === p[8] && k[9] === p[9] && k[1] === p[1] && k[2] === p[2] && k[3] === p[3] && k[5] === p[5] && k[6] === p[6] && k[7] === p[7]) {
      this.same = true;
      return;
    }
    this.same = false;
    p.set(k);
    this.hash = hashKey(k);
  }
}

/**
 * 32-bit murmur3-style hash of the key words; symmetric because keys are canonical. IPv4 keys
 * hash only their four non-zero words (the others are always 0).
 */
export function hashKey(k: Uint32Array): number {
  let h = 0x9747b28c;
  h = mix(h, k[0]!);
  h = mix(h, k[4]!);
  h = mix(h, k[8]!);
  h = mix(h, k[9]!);
  if (k[9]! & 0x100) {
    h = mix(h, k[1]!);
    h = mix(h, k[2]!);
    h = mix(h, k[3]!);
    h = mix(h, k[5]!);
    h = mix(h, k[6]!);
    h = mix(h, k[7]!);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, word: number): number {
  let x = Math.imul(word, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  h ^= Math.imul(x, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
