import { seededRandom } from '@x0/core';
import { TopK } from './top-k';

function kept(top: TopK): string {
  return top
    .sorted()
    .map((p) => `${p.slot}:${p.value}`)
    .join(' ');
}

describe('TopK', () => {
  it('keeps the k best, best first, whatever the order they come in', () => {
    const r = seededRandom(3);
    const values = Array.from({ length: 200 }, () => Math.round(r() * 50)); // many ties
    const ascending = new TopK(7, 'slot');
    values.forEach((v, slot) => ascending.push(slot, v));
    const expected = values
      .map((value, slot) => ({ slot, value }))
      .sort((a, b) => b.value - a.value || a.slot - b.slot)
      .slice(0, 7)
      .map((p) => `${p.slot}:${p.value}`)
      .join(' ');
    expect(kept(ascending)).toBe(expected);
    for (let trial = 0; trial < 20; trial++) {
      const order = values.map((_, i) => i).sort(() => r() - 0.5);
      const shuffled = new TopK(7, 'slot');
      for (const slot of order) shuffled.push(slot, values[slot]);
      expect(kept(shuffled)).toBe(expected);
    }
  });

  it("by default a tie goes to the pair pushed first (the sparse index's order)", () => {
    const top = new TopK(2);
    top.push(9, 1);
    top.push(8, 1);
    top.push(1, 1);
    expect(top.sorted().map((p) => p.slot)).toEqual([8, 9]);
    const bySlot = new TopK(2, 'slot');
    for (const s of [9, 8, 1]) bySlot.push(s, 1);
    expect(bySlot.sorted().map((p) => p.slot)).toEqual([1, 8]);
  });

  it('threshold is the worst kept value once full; k = 0 keeps nothing', () => {
    const top = new TopK(2);
    expect(top.threshold).toBe(-Infinity);
    top.push(0, 3);
    top.push(1, 5);
    top.push(2, 4);
    expect(top.threshold).toBe(4);
    const none = new TopK(0, 'slot');
    none.push(0, 1);
    expect(none.size).toBe(0);
  });
});
