// The answer cache: positive answers for their smallest TTL, negative ones (NXDOMAIN, NODATA) for the SOA's
// negative TTL (RFC 2308), both capped at maxTtl; bounded to maxEntries with least-recently-used eviction.
// (Identical queries in flight at the same time share one network query: resolver.ts does that.)

export interface CacheOptions {
  /** Most answers kept (default 1,000); 0 turns the cache off. */
  maxEntries?: number;
  /** Longest time an answer is kept, in seconds (default 3,600, as c-ares' query cache). */
  maxTtl?: number;
  /** Cache NXDOMAIN/NODATA answers that carry an SOA (default true). */
  negative?: boolean;
}

interface Entry<V> { value: V; storedAt: number; expiresAt: number }

export class TtlCache<V> {
  readonly maxEntries: number;
  readonly maxTtl: number;
  readonly #map = new Map<string, Entry<V>>();
  readonly #now: () => number;

  constructor(opts: { maxEntries: number; maxTtl: number }, now: () => number = Date.now) {
    this.maxEntries = opts.maxEntries;
    this.maxTtl = opts.maxTtl;
    this.#now = now;
  }

  get size(): number { return this.#map.size; }

  /** The value and its age in whole seconds, or undefined when absent or expired. */
  get(key: string): { value: V; age: number } | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    const now = this.#now();
    if (now >= e.expiresAt) {
      this.#map.delete(key);
      return undefined;
    }
    // Refresh its place in the LRU order.
    this.#map.delete(key);
    this.#map.set(key, e);
    return { value: e.value, age: Math.floor((now - e.storedAt) / 1000) };
  }

  /** Keeps `value` for `ttl` seconds (capped at maxTtl); a TTL of 0 keeps nothing. */
  set(key: string, value: V, ttl: number): void {
    const seconds = Math.min(ttl, this.maxTtl);
    if (this.maxEntries <= 0 || !(seconds > 0)) return;
    const now = this.#now();
    this.#map.delete(key);
    this.#map.set(key, { value, storedAt: now, expiresAt: now + seconds * 1000 });
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }

  clear(): void { this.#map.clear(); }
}
