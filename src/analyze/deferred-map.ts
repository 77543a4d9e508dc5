/**
 * Where the values of a map read from the persistent cache are kept until asked for: each value
 * by its place in a list, still encoded.
 */
export interface DeferredValues {
  /** The value at `place`. */
  decode(place: number): unknown;
  /** The value at `place` as it is kept (encoded): written again as is when it was never asked for. */
  bytes(place: number): Uint8Array;
}

/**
 * A map some of whose values stay encoded until they are asked for: a schema snapshot of a long
 * history holds thousands of tables, and a run that lints one migration after it reads a few of
 * them. An encoded value is held as its place (a number: no value of a schema map is one), under
 * its key, so the map keeps its order and its size; reading it decodes it once and keeps it in
 * its place. Walking the whole map decodes every value first.
 */
export class DeferredMap<V> extends Map<string, V> {
  private deferred: DeferredValues | undefined;

  /** Adds `keys` (in order), the value of the i-th at place i of `values`, decoded on first use. */
  defer(keys: readonly string[], values: DeferredValues): void {
    this.decodeAll();
    this.deferred = values;
    // The place stands in for the value until it is read.
    for (const [place, key] of keys.entries()) super.set(key, place as V);
  }

  /** The encoded bytes of the value under `key` while it was never read; undefined otherwise. */
  encodedValue(key: string): Uint8Array | undefined {
    const value: unknown = super.get(key);
    return this.deferred && typeof value === 'number' ? this.deferred.bytes(value) : undefined;
  }

  override get(key: string): V | undefined {
    const value = super.get(key);
    return this.deferred && typeof value === 'number' ? this.decode(key, value) : value;
  }

  override forEach(callback: (value: V, key: string, map: Map<string, V>) => void, thisArg?: unknown): void {
    this.decodeAll();
    super.forEach(callback, thisArg);
  }

  override entries(): MapIterator<[string, V]> {
    this.decodeAll();
    return super.entries();
  }

  override values(): MapIterator<V> {
    this.decodeAll();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  private decode(key: string, place: number): V {
    const value = this.deferred?.decode(place) as V;
    super.set(key, value);
    return value;
  }

  private decodeAll(): void {
    if (!this.deferred) return;
    for (const [key, value] of super.entries()) if (typeof value === 'number') this.decode(key, value);
    this.deferred = undefined;
  }
}
