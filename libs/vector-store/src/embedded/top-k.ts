/**
 * Keeps the k best (slot, value) pairs seen, higher value = better, in a binary min-heap, so a
 * scan over n candidates costs O(n log k) and allocates nothing per candidate.
 */
export class TopK {
  private readonly slots: Int32Array;
  private readonly values: Float64Array;
  private n = 0;

  constructor(readonly k: number) {
    this.slots = new Int32Array(k);
    this.values = new Float64Array(k);
  }

  get size(): number {
    return this.n;
  }

  /** Worst value kept, or -Infinity while fewer than k are kept. */
  get threshold(): number {
    return this.n < this.k ? -Infinity : this.values[0];
  }

  push(slot: number, value: number): void {
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.values[parent] <= value) break;
        this.slots[i] = this.slots[parent];
        this.values[i] = this.values[parent];
        i = parent;
      }
      this.slots[i] = slot;
      this.values[i] = value;
      return;
    }
    if (value <= this.values[0]) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.values[r] < this.values[l] ? r : l;
      if (this.values[c] >= value) break;
      this.slots[i] = this.slots[c];
      this.values[i] = this.values[c];
      i = c;
    }
    this.slots[i] = slot;
    this.values[i] = value;
  }

  /** The kept pairs, best first. */
  sorted(): Array<{ slot: number; value: number }> {
    const out: Array<{ slot: number; value: number }> = [];
    for (let i = 0; i < this.n; i++) out.push({ slot: this.slots[i], value: this.values[i] });
    return out.sort((a, b) => b.value - a.value || a.slot - b.slot);
  }
}
