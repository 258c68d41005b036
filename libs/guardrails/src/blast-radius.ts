/** One (component, action) slot: since when, until when, and which plan holds it ('' = not known). */
interface Slot {
  since: number;
  until: number;
  planId: string;
}

/**
 * Components with an action in flight, per group (component kind). An action is in flight
 * from its dispatch until its outcome, or until its timeout when no outcome arrives:
 * `timeoutMs`, unless `add()` gives the slot a timeout of its own (an action awaiting an
 * operator holds its slot as long as the approval lives). Each (component, action) is one
 * slot, held by the plan admitted for it last; the outcome or release of another plan's
 * action does not free it.
 */
export class InFlightTracker {
  /** kind → component → action → slot. */
  private readonly groups = new Map<string, Map<string, Map<string, Slot>>>();
  private readonly kindOf = new Map<string, string>();

  constructor(readonly timeoutMs: number) {}

  /**
   * Marks `action` on `component` (of `kind`) in flight since `now`, held by plan `planId` when
   * given, for `timeoutMs` (default: the tracker's) unless its outcome or release comes first.
   */
  add(component: string, kind: string, action: string, now: number, hold: { planId?: string; timeoutMs?: number } = {}): void {
    const previous = this.kindOf.get(component);
    if (previous !== undefined && previous !== kind) this.groups.get(previous)?.delete(component);
    this.kindOf.set(component, kind);
    let group = this.groups.get(kind);
    if (!group) this.groups.set(kind, (group = new Map()));
    let actions = group.get(component);
    if (!actions) group.set(component, (actions = new Map()));
    actions.set(action, { since: now, until: now + (hold.timeoutMs ?? this.timeoutMs), planId: hold.planId ?? '' });
  }

  /**
   * Ends `action` on `component` (its outcome arrived, or it will never run). With `planId`,
   * only when that plan holds the slot (or the slot's plan is not known): a late event of an
   * earlier plan leaves a newer plan's slot alone. Returns whether a slot was freed.
   */
  remove(component: string, action: string, planId = ''): boolean {
    const kind = this.kindOf.get(component);
    if (kind === undefined) return false;
    const group = this.groups.get(kind);
    const slot = group?.get(component)?.get(action);
    if (!group || !slot) return false;
    if (planId && slot.planId && slot.planId !== planId) return false;
    const actions = group.get(component)!;
    actions.delete(action);
    if (actions.size === 0) {
      group.delete(component);
      this.kindOf.delete(component);
    }
    return true;
  }

  /**
   * Makes the slot of `action` on `component` last until `until` from now on (an approved
   * action: `inFlightTimeoutS` from its approval). With `planId`, only when that plan holds it
   * (or the slot's plan is not known). Returns whether a slot held at `now` was changed.
   */
  extend(component: string, action: string, until: number, now: number, planId = ''): boolean {
    const kind = this.kindOf.get(component);
    if (kind === undefined) return false;
    this.expire(kind, now);
    const slot = this.groups.get(kind)?.get(component)?.get(action);
    if (!slot || (planId && slot.planId && slot.planId !== planId)) return false;
    slot.until = until;
    return true;
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
    return this.groups.get(kind)?.get(component)?.get(action)?.since;
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
      for (const [action, slot] of actions) if (now >= slot.until) actions.delete(action);
      if (actions.size === 0) {
        group.delete(component);
        this.kindOf.delete(component);
      }
    }
    if (group.size === 0) this.groups.delete(kind);
  }
}
