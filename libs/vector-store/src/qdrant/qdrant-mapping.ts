import { createHash } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError, errorMessage } from '@x0/core';
import type { CollectionConfig, Condition, Distance, Filter, PayloadFieldType } from '../types';
import type { NormalizedDense, NormalizedSparse } from '../validation';

/** Payload key holding the caller's string id (Qdrant ids are integers or UUIDs). */
export const ID_KEY = '_x0_id';

const DISTANCE_TO_QDRANT = { cosine: 'Cosine', dot: 'Dot', euclid: 'Euclid' } as const;
const DISTANCE_FROM_QDRANT: Record<string, Distance> = { Cosine: 'cosine', Dot: 'dot', Euclid: 'euclid' };

/** Deterministic UUID for a string id: the first 128 bits of SHA-256, version/variant bits set (v5 layout). */
export function pointUuid(id: string): string {
  const b = createHash('sha256').update(id).digest();
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Qdrant `distance` name for ours. */
export function toQdrantDistance(d: Distance): 'Cosine' | 'Dot' | 'Euclid' {
  return DISTANCE_TO_QDRANT[d];
}

/** Qdrant `field_schema` for a payload index type. */
export function toQdrantFieldSchema(t: PayloadFieldType): 'keyword' | 'integer' | 'float' | 'bool' {
  return t;
}

function toQdrantCondition(c: Condition): Record<string, unknown> {
  if ('range' in c) return { key: c.key, range: { ...c.range } };
  if ('value' in c.match) return { key: c.key, match: { value: c.match.value } };
  return { key: c.key, match: { any: [...c.match.any] } };
}

/** Our filter in Qdrant's JSON shape (`mustNot` → `must_not`). */
export function toQdrantFilter(f: Filter | undefined): { must?: object[]; should?: object[]; must_not?: object[] } | undefined {
  if (!f) return undefined;
  const out: { must?: object[]; should?: object[]; must_not?: object[] } = {};
  if (f.must?.length) out.must = f.must.map(toQdrantCondition);
  if (f.should?.length) out.should = f.should.map(toQdrantCondition);
  if (f.mustNot?.length) out.must_not = f.mustNot.map(toQdrantCondition);
  return out;
}

/** A checked vector in the JSON Qdrant accepts. */
export function toQdrantVector(v: NormalizedDense | NormalizedSparse): number[] | { indices: number[]; values: number[] } {
  if (v instanceof Float32Array) return Array.from(v);
  return { indices: Array.from(v.indices), values: Array.from(v.values) };
}

interface QdrantCollectionParams {
  vectors?: unknown;
  sparse_vectors?: Record<string, { modifier?: unknown } | undefined> | null;
}

/** Reads our CollectionConfig back from Qdrant's collection info (named vectors only). */
export function fromQdrantConfig(name: string, params: QdrantCollectionParams, payloadSchema: Record<string, { data_type?: string }>): CollectionConfig {
  const vectors: CollectionConfig['vectors'] = {};
  const raw = params.vectors as Record<string, { size?: number; distance?: string }> | undefined;
  if (raw && typeof raw === 'object' && !('size' in raw)) {
    for (const [k, v] of Object.entries(raw)) {
      const distance = DISTANCE_FROM_QDRANT[v?.distance ?? ''];
      if (!distance || !v?.size) throw new FailedPreconditionError(`collection '${name}' vector '${k}' uses an unsupported distance ${v?.distance}`);
      vectors[k] = { size: v.size, distance };
    }
  } else if (raw) {
    throw new FailedPreconditionError(`collection '${name}' uses an unnamed vector; this store needs named vectors`);
  }
  const sparseVectors: NonNullable<CollectionConfig['sparseVectors']> = {};
  for (const [k, v] of Object.entries(params.sparse_vectors ?? {})) sparseVectors[k] = { modifier: v?.modifier === 'idf' ? 'idf' : 'none' };
  const payloadIndexes: NonNullable<CollectionConfig['payloadIndexes']> = {};
  for (const [k, v] of Object.entries(payloadSchema ?? {})) {
    if (v?.data_type === 'keyword' || v?.data_type === 'integer' || v?.data_type === 'float' || v?.data_type === 'bool') payloadIndexes[k] = v.data_type;
  }
  return { vectors, sparseVectors, payloadIndexes };
}

/** HTTP status of a Qdrant client error, if it carries one. */
export function statusOf(err: unknown): number | undefined {
  const m = /Unexpected Response: (\d{3})/.exec(errorMessage(err));
  return m ? Number(m[1]) : undefined;
}

/** Maps a Qdrant client failure to an x0 error (404 → NotFound, 400/422 → InvalidArgument, else Unavailable). */
export function mapQdrantError(err: unknown, collection: string | undefined, action: string): Error {
  const status = statusOf(err);
  if (status === 404 && collection) return new NotFoundError('collection', collection, { cause: err });
  if (status === 400 || status === 422) return new InvalidArgumentError('', `qdrant rejected ${action}: ${errorMessage(err).split('\n').slice(-3).join(' ')}`, { cause: err });
  return new UnavailableError(`qdrant ${action} failed: ${errorMessage(err).split('\n')[0]}`, { cause: err });
}
