/**
 * Keeps the k best (slot, value) pairs seen, higher value = better, in a binary min-heap, so a
 * scan over n candidates costs O(n log k) and allocates nothing per candidate.
 *
 * Ties: by default the pair pushed first wins (`'first'`). With `'slot'` the lower slot wins,
 * a total order, so the kept pairs do not depend on the order candidates are pushed in (an
 * exact scan may then visit candidate slots in any order and still give the answer of an
 * ascending scan).
 */
export class TopK {
  private readonly slots: Int32Array;
  private readonly values: Float64Array;
  private readonly bySlot: boolean;
  private n = 0;

  constructor(
    readonly k: number,
    ties: 'first' | 'slot' = 'first',
  ) {
    this.slots = new Int32Array(k);
    this.values = new Float64Array(k);
    this.bySlot = ties === 'slot';
  }

  get size(): number {
    return this.n;
  }

  /** Worst value kept, or -Infinity while fewer than k are kept. */
  get threshold(): number {
    return this.n < this.k ? -Infinity : this.values[0];
  }

  /** True when (v1, s1) ranks below (v2, s2). */
  private isBelow(v1: number, s1: number, v2: number, s2: number): boolean {
    return v1 < v2 || (v1 === v2 && this.bySlot && s1 > s2);
  }

  push(slot: number, value: number): void {
    const slots = this.slots;
    const values = this.values;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.isBelow(value, slot, values[parent], slots[parent])) break;
        slots[i] = slots[parent];
        values[i] = values[parent];
        i = parent;
      }
      slots[i] = slot;
      values[i] = value;
      return;
    }
    if (this.n === 0 || !this.isBelow(values[0], slots[0], value, slot)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.isBelow(values[r], slots[r], values[l], slots[l]) ? r : l;
      if (!this.isBelow(values[c], slots[c], value, slot)) break;
      slots[i] = slots[c];
      values[i] = values[c];
      i = c;
    }
    slots[i] = slot;
    values[i] = value;
  }

  /** The kept pairs, best first. */
  sorted(): Array<{ slot: number; value: number }> {
    const out: Array<{ slot: number; value: number }> = [];
    for (let i = 0; i < this.n; i++) out.push({ slot: this.slots[i], value: this.values[i] });
    return out.sort((a, b) => b.value - a.value || a.slot - b.slot);
  }
}
