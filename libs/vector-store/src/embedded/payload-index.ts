import { payloadValue } from '../filter';
import type { Filter, Payload, PayloadFieldType } from '../types';

/**
 * Exact-value indexes of payload fields (keyword, integer, bool): field → value → slots. Filters
 * on other fields still work (they are evaluated per point); indexed `must` matches let a search
 * start from the matching slots instead of scanning or walking the graph.
 */
export class PayloadIndex {
  private readonly fields = new Map<string, Map<unknown, Set<number>>>();

  /** Starts indexing a field (float fields are not value-indexed: ranges are evaluated per point). */
  addField(field: string, type: PayloadFieldType, payloads: ReadonlyArray<Payload | undefined>): void {
    if (type === 'float' || this.fields.has(field)) return;
    const map = new Map<unknown, Set<number>>();
    this.fields.set(field, map);
    payloads.forEach((p, slot) => p && this.addValues(map, field, p, slot));
  }

  private addValues(map: Map<unknown, Set<number>>, field: string, payload: Payload, slot: number): void {
    const v = payloadValue(payload, field);
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') continue;
      let set = map.get(x);
      if (!set) map.set(x, (set = new Set()));
      set.add(slot);
    }
  }

  add(slot: number, payload: Payload): void {
    for (const [field, map] of this.fields) this.addValues(map, field, payload, slot);
  }

  remove(slot: number, payload: Payload): void {
    for (const [field, map] of this.fields) {
      const v = payloadValue(payload, field);
      for (const x of Array.isArray(v) ? v : [v]) {
        const set = map.get(x);
        if (!set) continue;
        set.delete(slot);
        if (set.size === 0) map.delete(x);
      }
    }
  }

  /**
   * Slots that can satisfy the filter, from its indexed `must` matches (intersection), or
   * undefined when no indexed condition narrows it. `exact` says the slots are precisely the
   * points matching the filter (it has nothing but `must` matches on indexed fields), so callers
   * can test membership instead of evaluating the filter per point; otherwise they are a
   * superset and callers still check the filter. With one indexed condition the set is the
   * index's own: read it, never change it, and do not keep it past the current call.
   */
  plan(filter: Filter | undefined): CandidateSlots | undefined {
    if (!filter?.must) return undefined;
    let exact = (filter.should?.length ?? 0) === 0 && (filter.mustNot?.length ?? 0) === 0;
    let best: ReadonlySet<number> | undefined;
    const sets: ReadonlySet<number>[] = [];
    for (const c of filter.must) {
      const map = 'match' in c ? this.fields.get(c.key) : undefined;
      if (!map || !('match' in c)) {
        exact = false;
        continue;
      }
      let set: ReadonlySet<number>;
      if ('value' in c.match) set = map.get(c.match.value) ?? EMPTY;
      else {
        const union = new Set<number>();
        for (const v of c.match.any) {
          // The filter matches strings and numbers only in `any` (validation enforces it).
          if (typeof v !== 'string' && typeof v !== 'number') exact = false;
          for (const s of map.get(v) ?? EMPTY) union.add(s);
        }
        set = union;
      }
      sets.push(set);
      if (!best || set.size < best.size) best = set;
    }
    if (!best) return undefined;
    if (sets.length === 1) return { slots: best, exact };
    const out = new Set<number>();
    for (const slot of best) {
      let all = true;
      for (const s of sets) {
        if (s !== best && !s.has(slot)) {
          all = false;
          break;
        }
      }
      if (all) out.add(slot);
    }
    return { slots: out, exact };
  }
}

const EMPTY: ReadonlySet<number> = new Set<number>();

/** What the payload indexes know about a filter: see `PayloadIndex.plan`. */
export interface CandidateSlots {
  slots: ReadonlySet<number>;
  exact: boolean;
}
