/**
 * Components with an action in flight, per group (component kind). An action is in flight
 * from its dispatch until its outcome, or until `timeoutMs` when no outcome arrives.
 */
export class InFlightTracker {
  /** kind → component → action → dispatch time. */
  private readonly groups = new Map<string, Map<string, Map<string, number>>>();
  private readonly kindOf = new Map<string, string>();

  constructor(readonly timeoutMs: number) {}

  /** Marks `action` on `component` (of `kind`) in flight since `now`. */
  add(component: string, kind: string, action: string, now: number): void {
    const previous = this.kindOf.get(component);
    if (previous !== undefined && previous !== kind) this.groups.get(previous)?.delete(component);
    this.kindOf.set(component, kind);
    let group = this.groups.get(kind);
    if (!group) this.groups.set(kind, (group = new Map()));
    let actions = group.get(component);
    if (!actions) group.set(component, (actions = new Map()));
    actions.set(action, now);
  }

  /** Ends `action` on `component` (its outcome arrived, or it will never run). */
  remove(component: string, action: string): void {
    const kind = this.kindOf.get(component);
    if (kind === undefined) return;
    const group = this.groups.get(kind);
    const actions = group?.get(component);
    if (!group || !actions) return;
    actions.delete(action);
    if (actions.size === 0) {
      group.delete(component);
      this.kindOf.delete(component);
    }
  }

  /** Whether `component` has any action in flight at `now`. */
  has(component: string, now: number): boolean {
    const kind = this.kindOf.get(component);
    if (kind === undefined) return false;
    this.expire(kind, now);
    return this.groups.get(kind)?.has(component) ?? false;
  }

  /** Since when `action` has been in flight on `component` at `now` (undefined: it is not). */
  since(component: string, action: string, now: number): number | undefined {
    const kind = this.kindOf.get(component);
    if (kind === undefined) return undefined;
    this.expire(kind, now);
    return this.groups.get(kind)?.get(component)?.get(action);
  }

  /** Number of components of `kind` with an action in flight at `now`. */
  count(kind: string, now: number): number {
    this.expire(kind, now);
    return this.groups.get(kind)?.size ?? 0;
  }

  /** In-flight component counts of every group at `now`. */
  counts(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const kind of this.groups.keys()) out[kind] = this.count(kind, now);
    return out;
  }

  private expire(kind: string, now: number): void {
    const group = this.groups.get(kind);
    if (!group) return;
    for (const [component, actions] of group) {
      for (const [action, since] of actions) if (now - since >= this.timeoutMs) actions.delete(action);
      if (actions.size === 0) {
        group.delete(component);
        this.kindOf.delete(component);
      }
    }
    if (group.size === 0) this.groups.delete(kind);
  }
}
