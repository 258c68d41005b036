import type { ScoredPoint } from './types';

/** Qdrant's default RRF constant. */
export const DEFAULT_RRF_K = 2;

/**
 * Reciprocal Rank Fusion of ranked lists (best first): score(p) = Σ 1 / (k + rank), rank from 0,
 * which is Qdrant's formula (k = 2 by default; the RRF paper's 60 is k = 61 here). Ties keep the
 * order in which points were first seen. Payloads are taken from the first list holding the point.
 */
export function fuseRrf(lists: readonly (readonly ScoredPoint[])[], limit: number, k: number = DEFAULT_RRF_K): ScoredPoint[] {
  const fused = new Map<string, ScoredPoint>();
  for (const list of lists) {
    list.forEach((p, rank) => {
      const add = 1 / (k + rank);
      const cur = fused.get(p.id);
      if (cur) cur.score += add;
      else fused.set(p.id, { id: p.id, score: add, ...(p.payload !== undefined ? { payload: p.payload } : {}) });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, limit);
}
