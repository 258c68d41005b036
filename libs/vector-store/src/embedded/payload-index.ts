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
   * undefined when no indexed condition narrows it. A superset: callers still check the filter.
   */
  candidates(filter: Filter | undefined): number[] | undefined {
    if (!filter?.must) return undefined;
    let best: Set<number> | undefined;
    const sets: Set<number>[] = [];
    for (const c of filter.must) {
      if (!('match' in c)) continue;
      const map = this.fields.get(c.key);
      if (!map) continue;
      let set: Set<number>;
      if ('value' in c.match) set = map.get(c.match.value) ?? new Set();
      else {
        set = new Set();
        for (const v of c.match.any) for (const s of map.get(v) ?? []) set.add(s);
      }
      sets.push(set);
      if (!best || set.size < best.size) best = set;
    }
    if (!best) return undefined;
    const others = sets.filter((s) => s !== best);
    const out: number[] = [];
    for (const slot of best) if (others.every((s) => s.has(slot))) out.push(slot);
    return out.sort((a, b) => a - b);
  }
}
