import { FailedPreconditionError, InvalidArgumentError } from '@x0/core';
import type {
  CollectionConfig,
  Condition,
  DenseVector,
  Filter,
  HybridRequest,
  PointInput,
  SearchRequest,
  SparseVector,
} from './types';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DISTANCES = new Set(['cosine', 'dot', 'euclid']);
const FIELD_TYPES = new Set(['keyword', 'integer', 'float', 'bool']);
/** Longest accepted point id, in characters. */
export const MAX_ID_LENGTH = 256;
/** Largest accepted dense vector length. */
export const MAX_DIM = 65_536;
/** Largest accepted search limit. */
export const MAX_LIMIT = 10_000;

/** A dense vector as the store keeps it. */
export type NormalizedDense = Float32Array;
/** A sparse vector as the store keeps it: indices ascending, unique. */
export interface NormalizedSparse {
  indices: Uint32Array;
  values: Float32Array;
}

/** Throws `InvalidArgumentError` unless `name` is 1–64 of `[A-Za-z0-9_-]`, starting alphanumeric. */
export function checkCollectionName(name: unknown, field = 'collection'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(field, 'must be 1-64 characters of [A-Za-z0-9_-] starting with a letter or digit');
  }
  return name;
}

/** Validates a collection config; throws `InvalidArgumentError` naming the bad field. */
export function checkCollectionConfig(config: CollectionConfig): CollectionConfig {
  if (!config || typeof config !== 'object') throw new InvalidArgumentError('config', 'must be an object');
  const dense = Object.entries(config.vectors ?? {});
  const sparse = Object.entries(config.sparseVectors ?? {});
  if (dense.length + sparse.length === 0) throw new InvalidArgumentError('config.vectors', 'must name at least one dense or sparse vector');
  for (const [name, v] of dense) {
    checkVectorName(name, `config.vectors.${name}`);
    if (!Number.isInteger(v?.size) || v.size < 1 || v.size > MAX_DIM) {
      throw new InvalidArgumentError(`config.vectors.${name}.size`, `must be an integer in [1, ${MAX_DIM}]`);
    }
    if (!DISTANCES.has(v.distance)) throw new InvalidArgumentError(`config.vectors.${name}.distance`, 'must be cosine, dot or euclid');
  }
  for (const [name, v] of sparse) {
    checkVectorName(name, `config.sparseVectors.${name}`);
    if (config.vectors?.[name]) throw new InvalidArgumentError(`config.sparseVectors.${name}`, 'is also a dense vector name');
    if (v?.modifier !== undefined && v.modifier !== 'none' && v.modifier !== 'idf') {
      throw new InvalidArgumentError(`config.sparseVectors.${name}.modifier`, "must be 'none' or 'idf'");
    }
  }
  for (const [field, type] of Object.entries(config.payloadIndexes ?? {})) {
    if (!field) throw new InvalidArgumentError('config.payloadIndexes', 'field names must not be empty');
    if (!FIELD_TYPES.has(type)) throw new InvalidArgumentError(`config.payloadIndexes.${field}`, 'must be keyword, integer, float or bool');
  }
  return config;
}

function checkVectorName(name: string, field: string): void {
  if (!NAME.test(name)) throw new InvalidArgumentError(field, 'name must be 1-64 characters of [A-Za-z0-9_-]');
}

/** Throws unless `id` is a non-empty string of at most 256 characters. */
export function checkPointId(id: unknown, field: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return id;
}

/** True when `v` looks like a sparse vector (has `indices` and `values`). */
export function isSparse(v: DenseVector | SparseVector): v is SparseVector {
  return !ArrayBuffer.isView(v) && !Array.isArray(v) && typeof v === 'object' && v !== null && 'indices' in v;
}

/** Copies a dense vector into a Float32Array, checking length and finiteness. */
export function toDense(v: unknown, size: number, field: string): NormalizedDense {
  if (!(v instanceof Float32Array) && !Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    throw new InvalidArgumentError(field, 'must be a dense vector (array of numbers)');
  }
  const arr = v as ArrayLike<number>;
  if (arr.length !== size) throw new InvalidArgumentError(field, `must have ${size} elements, got ${arr.length}`);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidArgumentError(`${field}[${i}]`, 'must be a finite number');
    out[i] = x;
  }
  return out;
}

/** Copies a sparse vector, checking ids (unique non-negative 32-bit integers) and weights; sorts by id. */
export function toSparse(v: unknown, field: string): NormalizedSparse {
  const s = v as SparseVector;
  if (!s || typeof s !== 'object' || !('indices' in s) || !('values' in s)) {
    throw new InvalidArgumentError(field, 'must be a sparse vector { indices, values }');
  }
  const n = s.indices.length;
  if (s.values.length !== n) throw new InvalidArgumentError(field, `indices (${n}) and values (${s.values.length}) must have the same length`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Number(s.indices[a]) - Number(s.indices[b]));
  const indices = new Uint32Array(n);
  const values = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const id = s.indices[i];
    const w = s.values[i];
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidArgumentError(`${field}.indices[${i}]`, 'must be an integer in [0, 2^32)');
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new InvalidArgumentError(`${field}.values[${i}]`, 'must be a finite number');
    if (j > 0 && indices[j - 1] === id) throw new InvalidArgumentError(`${field}.indices`, `contains ${id} twice`);
    indices[j] = id;
    values[j] = w;
  }
  return { indices, values };
}

/** A point checked against its collection, with vectors normalised for storage. */
export interface CheckedPoint {
  id: string;
  dense: Map<string, NormalizedDense>;
  sparse: Map<string, NormalizedSparse>;
  /** The store's own deep-frozen copy: exactly what a reload from JSON gives back. */
  payload: Record<string, unknown>;
  /** `payload` as JSON, when already serialised. */
  payloadJson?: string;
}

/** Freezes an object graph (JSON data) so stored payloads can be handed out without copying. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Checks a batch of points against a collection config (names, lengths, finiteness, ids, payload). */
export function checkPoints(points: readonly PointInput[], config: CollectionConfig): CheckedPoint[] {
  if (!Array.isArray(points)) throw new InvalidArgumentError('points', 'must be an array');
  const out: CheckedPoint[] = [];
  points.forEach((p, i) => {
    const at = `points[${i}]`;
    if (!p || typeof p !== 'object') throw new InvalidArgumentError(at, 'must be an object');
    const id = checkPointId(p.id, `${at}.id`);
    if (!p.vectors || typeof p.vectors !== 'object') throw new InvalidArgumentError(`${at}.vectors`, 'must be an object of named vectors');
    const dense = new Map<string, NormalizedDense>();
    const sparse = new Map<string, NormalizedSparse>();
    for (const [name, v] of Object.entries(p.vectors)) {
      const f = `${at}.vectors.${name}`;
      const d = config.vectors[name];
      if (d) {
        const vec = toDense(v, d.size, f);
        if (d.distance === 'cosine' && vec.every((x) => x === 0)) throw new InvalidArgumentError(f, 'must not be all zeros for cosine distance');
        dense.set(name, vec);
      } else if (config.sparseVectors?.[name]) {
        sparse.set(name, toSparse(v, f));
      } else {
        throw new InvalidArgumentError(f, 'is not a vector of this collection');
      }
    }
    if (dense.size + sparse.size === 0) throw new InvalidArgumentError(`${at}.vectors`, 'must contain at least one vector');
    const payload = p.payload ?? {};
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new InvalidArgumentError(`${at}.payload`, 'must be a JSON object');
    let payloadJson: string;
    try {
      payloadJson = JSON.stringify(payload);
    } catch (err) {
      throw new InvalidArgumentError(`${at}.payload`, `must be JSON-serialisable: ${(err as Error).message}`, { cause: err });
    }
    out.push({ id, dense, sparse, payload: deepFreeze(JSON.parse(payloadJson)), payloadJson });
  });
  return out;
}

/** Checks a limit: integer in [1, 10000]. */
export function checkLimit(limit: unknown, field = 'limit'): number {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT) {
    throw new InvalidArgumentError(field, `must be an integer in [1, ${MAX_LIMIT}]`);
  }
  return limit as number;
}

/** A query vector checked against the named vector it targets. */
export type CheckedQuery = { kind: 'dense'; using: string; vector: NormalizedDense } | { kind: 'sparse'; using: string; vector: NormalizedSparse };

/** Checks a query vector against the collection: the name exists and the vector has the right kind and length. */
export function checkQueryVector(using: unknown, vector: unknown, config: CollectionConfig, field: string): CheckedQuery {
  if (typeof using !== 'string' || !using) throw new InvalidArgumentError(`${field}.using`, 'must name a vector of the collection');
  const d = config.vectors[using];
  if (d) {
    if (vector && typeof vector === 'object' && 'indices' in vector) throw new InvalidArgumentError(`${field}.vector`, `'${using}' is a dense vector`);
    const v = toDense(vector, d.size, `${field}.vector`);
    if (d.distance === 'cosine' && v.every((x) => x === 0)) throw new InvalidArgumentError(`${field}.vector`, 'must not be all zeros for cosine distance');
    return { kind: 'dense', using, vector: v };
  }
  if (config.sparseVectors?.[using]) return { kind: 'sparse', using, vector: toSparse(vector, `${field}.vector`) };
  throw new InvalidArgumentError(`${field}.using`, `'${using}' is not a vector of this collection`);
}

/** Checks a search request; returns the checked query vector. */
export function checkSearch(req: SearchRequest, config: CollectionConfig): CheckedQuery {
  if (!req || typeof req !== 'object') throw new InvalidArgumentError('request', 'must be an object');
  checkLimit(req.limit);
  if (req.filter !== undefined) checkFilter(req.filter);
  return checkQueryVector(req.using, req.vector, config, 'request');
}

/** Checks a hybrid request; returns the checked prefetch queries with their limits. */
export function checkHybrid(req: HybridRequest, config: CollectionConfig): Array<CheckedQuery & { limit: number }> {
  if (!req || typeof req !== 'object') throw new InvalidArgumentError('request', 'must be an object');
  const limit = checkLimit(req.limit);
  if (req.filter !== undefined) checkFilter(req.filter);
  if (req.rrfK !== undefined && (!Number.isInteger(req.rrfK) || req.rrfK < 0)) throw new InvalidArgumentError('request.rrfK', 'must be a non-negative integer');
  if (!Array.isArray(req.prefetch) || req.prefetch.length === 0) throw new InvalidArgumentError('request.prefetch', 'must list at least one sub-query');
  return req.prefetch.map((p, i) => {
    const q = checkQueryVector(p.using, p.vector, config, `request.prefetch[${i}]`);
    const l = p.limit === undefined ? defaultPrefetchLimit(limit) : checkLimit(p.limit, `request.prefetch[${i}].limit`);
    return { ...q, limit: l };
  });
}

/** Candidates per prefetch when not given: 4 × limit, at least 20. */
export function defaultPrefetchLimit(limit: number): number {
  return Math.min(MAX_LIMIT, Math.max(20, limit * 4));
}

/** Checks a filter's shape: arrays of conditions, each a match value, match any, or range. */
export function checkFilter(filter: Filter, field = 'filter'): Filter {
  if (!filter || typeof filter !== 'object' || Array.isArray(filter)) throw new InvalidArgumentError(field, 'must be an object');
  for (const key of Object.keys(filter)) {
    if (key !== 'must' && key !== 'should' && key !== 'mustNot') throw new InvalidArgumentError(`${field}.${key}`, 'is not a filter clause (must, should, mustNot)');
  }
  for (const clause of ['must', 'should', 'mustNot'] as const) {
    const list = filter[clause];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new InvalidArgumentError(`${field}.${clause}`, 'must be an array of conditions');
    list.forEach((c, i) => checkCondition(c, `${field}.${clause}[${i}]`));
  }
  return filter;
}

function checkCondition(c: Condition, field: string): void {
  if (!c || typeof c !== 'object' || typeof c.key !== 'string' || !c.key) throw new InvalidArgumentError(`${field}.key`, 'must be a non-empty string');
  if ('match' in c) {
    const m = c.match as Record<string, unknown>;
    if (m && 'value' in m) {
      const v = m.value;
      if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isInteger(v))) {
        throw new InvalidArgumentError(`${field}.match.value`, 'must be a string, integer or boolean');
      }
      return;
    }
    if (m && 'any' in m && Array.isArray(m.any)) {
      m.any.forEach((v: unknown, i: number) => {
        if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) {
          throw new InvalidArgumentError(`${field}.match.any[${i}]`, 'must be a string or integer');
        }
      });
      return;
    }
    throw new InvalidArgumentError(`${field}.match`, 'must be { value } or { any: [...] }');
  }
  if ('range' in c) {
    const r = c.range as Record<string, unknown>;
    const keys = Object.keys(r ?? {});
    if (keys.length === 0) throw new InvalidArgumentError(`${field}.range`, 'must set at least one of gt, gte, lt, lte');
    for (const k of keys) {
      if (!['gt', 'gte', 'lt', 'lte'].includes(k)) throw new InvalidArgumentError(`${field}.range.${k}`, 'is not a range bound');
      if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new InvalidArgumentError(`${field}.range.${k}`, 'must be a finite number');
    }
    return;
  }
  throw new InvalidArgumentError(field, 'must have match or range');
}

/** A config's vectors in words: `dense 256 cosine, sparse text (idf)`. */
export function describeVectors(c: CollectionConfig): string {
  const dense = Object.entries(c.vectors ?? {}).sort(([x], [y]) => x.localeCompare(y)).map(([name, v]) => `${name} ${v.size} ${v.distance}`);
  const sparse = Object.entries(c.sparseVectors ?? {}).sort(([x], [y]) => x.localeCompare(y)).map(([name, v]) => `sparse ${name} (${v.modifier ?? 'none'})`);
  return [...dense, ...sparse].join(', ') || 'no vectors';
}

/**
 * The error for a collection that exists with other vectors than asked, saying both: it said
 * only "exists with different vectors", so a changed EMBEDDINGS_DIM could not be told from a
 * changed distance or a wrong collection.
 */
export function differentVectorsError(name: string, existing: CollectionConfig, asked: CollectionConfig): FailedPreconditionError {
  return new FailedPreconditionError(`collection '${name}' exists with different vectors: it has ${describeVectors(existing)}, asked for ${describeVectors(asked)}`);
}

/** True when two configs define the same dense and sparse vectors (payload indexes may differ). */
export function sameVectors(a: CollectionConfig, b: CollectionConfig): boolean {
  const da = Object.entries(a.vectors ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const db = Object.entries(b.vectors ?? {}).sort(([x], [y]) => x.localeCompare(y));
  if (da.length !== db.length) return false;
  for (let i = 0; i < da.length; i++) {
    if (da[i][0] !== db[i][0] || da[i][1].size !== db[i][1].size || da[i][1].distance !== db[i][1].distance) return false;
  }
  const sa = Object.entries(a.sparseVectors ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const sb = Object.entries(b.sparseVectors ?? {}).sort(([x], [y]) => x.localeCompare(y));
  if (sa.length !== sb.length) return false;
  for (let i = 0; i < sa.length; i++) {
    if (sa[i][0] !== sb[i][0] || (sa[i][1].modifier ?? 'none') !== (sb[i][1].modifier ?? 'none')) return false;
  }
  return true;
}
