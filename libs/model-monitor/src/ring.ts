/** Fixed-capacity ring of the most recent values, oldest first when read. */
export class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  push(value: T): void {
    if (this.items.length < this.capacity) this.items.push(value);
    else this.items[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Replaces a value that `match` accepts (the first in storage order), in place; false when none does. */
  replace(match: (value: T) => boolean, value: T): boolean {
    const i = this.items.findIndex(match);
    if (i < 0) return false;
    this.items[i] = value;
    return true;
  }

  /** The values, oldest first. */
  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }

  clear(): void {
    this.items.length = 0;
    this.next = 0;
  }
}
