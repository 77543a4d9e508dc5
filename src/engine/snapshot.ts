import { deserialize, serialize } from 'node:v8';
import { DeferredMap } from '../analyze/deferred-map.js';
import { type DeferredEntries, SchemaState } from '../analyze/schema-state.js';

/**
 * A schema snapshot as the persistent cache keeps it: each map of the state as its keys and one
 * buffer holding every value encoded on its own, so a run reads the snapshot of 2,000 migrations
 * without decoding the thousands of tables it never asks about (each is decoded when first read).
 * Everything else of the state is kept as it is.
 */
export interface EncodedState {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly maps: Readonly<Record<string, EncodedMap>>;
}

interface EncodedMap {
  readonly keys: readonly string[];
  /** Where each value ends in `bytes` (it starts where the one before ends). */
  readonly ends: Uint32Array;
  readonly bytes: Uint8Array;
}

export function encodeState(state: SchemaState): EncodedState {
  const fields: Record<string, unknown> = {};
  const maps: Record<string, EncodedMap> = {};
  for (const [name, value] of Object.entries(state.toData())) {
    if (value instanceof DeferredMap) maps[name] = encodeMap(value as DeferredMap<unknown>);
    else fields[name] = value;
  }
  return { fields, maps };
}

function encodeMap(map: DeferredMap<unknown>): EncodedMap {
  const keys = [...map.keys()];
  const ends = new Uint32Array(keys.length);
  // A value not read since it came from the cache is written back as it was read.
  const chunks = keys.map((key) => map.encodedValue(key) ?? serialize(map.get(key)));
  let end = 0;
  for (const [index, chunk] of chunks.entries()) ends[index] = end += chunk.length;
  return { keys, ends, bytes: Buffer.concat(chunks) };
}

/** The state `encodeState` described, or undefined when it is not one (a damaged or foreign entry). */
export function decodeState(value: unknown): SchemaState | undefined {
  if (!isEncodedState(value)) return undefined;
  const data: Record<string, unknown> = { ...value.fields };
  for (const [name, map] of Object.entries(value.maps)) data[name] = deferredEntries(map);
  return SchemaState.fromData(data);
}

function deferredEntries({ keys, ends, bytes }: EncodedMap): DeferredEntries {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const valueBytes = (place: number): Buffer => buffer.subarray(ends[place - 1] ?? 0, ends[place]);
  return { keys, values: { decode: (place): unknown => deserialize(valueBytes(place)), bytes: valueBytes } };
}

function isEncodedState(value: unknown): value is EncodedState {
  const candidate = value as { fields?: unknown; maps?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.fields !== 'object' || typeof candidate.maps !== 'object' || candidate.maps === null) return false;
  return Object.values(candidate.maps).every(
    (map: Partial<EncodedMap> | null) =>
      map !== null &&
      Array.isArray(map.keys) && map.ends instanceof Uint32Array && map.bytes instanceof Uint8Array && map.ends.length === map.keys.length && (map.ends.at(-1) ?? 0) <= map.bytes.length,
  );
}
