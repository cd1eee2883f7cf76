/**
 * Addresses learned from DNS answers earlier in the capture, so a later flow to an address can
 * be named by the name that resolved to it (confidence `cache`) even when it carries no name
 * itself. Keys are 32-bit integers for IPv4 (small integers hash fastest) and word text for IPv6: no address text is made per flow.
 * Bounded: beyond `maxEntries` the oldest learned entry goes first.
 */
export class DnsCache {
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();
  evictions = 0;

  constructor(private readonly maxEntries = 65536) {}

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  learn(version: 4 | 6, words: Uint32Array, name: string): void {
    if (version === 4) this.put(this.v4, words[0]! | 0, name);
    else this.put(this.v6, v6Key(words), name);
  }

  lookup(version: 4 | 6, words: Uint32Array): string | undefined {
    return version === 4 ? this.v4.get(words[0]! | 0) : this.v6.size === 0 ? undefined : this.v6.get(v6Key(words));
  }

  private put<K>(m: Map<K, string>, k: K, name: string): void {
    // Re-insert so the entry is the newest (Map keeps insertion order: the first is the oldest).
    m.delete(k);
    m.set(k, name);
    if (this.size > this.maxEntries) {
      const oldest = m.keys().next().value as K;
      m.delete(oldest);
      this.evictions++;
    }
  }
}

const v6Key = (w: Uint32Array): string => `${w[0]},${w[1]},${w[2]},${w[3]}`;
