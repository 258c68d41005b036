import type { KV } from '@nats-io/kv';
import { isKvRevisionConflict, kvWritesSince, provisionKeyValue, toKvKey, type Bus } from '@x0/bus';
import { EVENT_CODECS, type Approval, type Outcome, type Plan } from '@x0/contracts';

/** Bucket holding every recent plan (with its explanation) by plan id, for Explain. */
export const PLANS_BUCKET = 'x0_plans';

/** Key suffixes of what the plan service recorded about how a plan ended. */
const APPROVAL = 'approval';
const OUTCOME = 'outcome';

/** The plans stored since a time, with what is recorded about how they ended. */
export interface StoredPlans {
  /** In the order they were stored. */
  plans: Plan[];
  /** Operators' (or the expiry's) decisions, by plan id. */
  approvals: Map<string, Approval>;
  /** Outcomes, by plan id. */
  outcomes: Map<string, Outcome>;
  /** Keys of entries that did not decode (written differently, e.g. by another release). */
  unreadable: string[];
}

/**
 * Recent plans in NATS KV, so Explain answers for a plan made before the plan service
 * restarted (a plan still pending approval, typically) and on any replica, and a restarted
 * plan service can rebuild its guardrails. Entries expire after the bucket's TTL
 * (`PLAN_EXPLAIN_TTL_S`). Keys: `<plan id>` = the Plan protobuf as published;
 * `<plan id>.approval` = the Approval event that decided it; `<plan id>.outcome` = its Outcome.
 */
export class PlanStore {
  private constructor(private readonly kv: KV) {}

  /**
   * Opens (creating) the bucket with entries kept `ttlMs`. An existing bucket created with
   * another TTL is updated to this one (KV leaves an existing bucket's settings as they are).
   */
  static async open(bus: Bus, ttlMs: number): Promise<PlanStore> {
    return new PlanStore(await provisionKeyValue(bus, PLANS_BUCKET, { description: 'x0 plan: recent plans by id, for Explain', ttl: ttlMs }));
  }

  /**
   * Stores a plan under its id unless one is stored already: the first plan for a diagnosis
   * is the one published (the stream drops a later one with the same id as a duplicate).
   */
  async add(plan: Plan): Promise<void> {
    try {
      await this.kv.create(toKvKey(plan.meta!.id), EVENT_CODECS.plan.encode(plan));
    } catch (err) {
      if (!isKvRevisionConflict(err)) throw err;
    }
  }

  /** The stored plan, or undefined when there is none (never made, or expired). */
  async get(planId: string): Promise<Plan | undefined> {
    return planId ? this.read(toKvKey(planId), EVENT_CODECS.plan) : undefined;
  }

  /** Records the decision on a plan that waited for approval (the last one recorded wins). */
  async recordApproval(planId: string, approval: Approval): Promise<void> {
    await this.kv.put(`${toKvKey(planId)}.${APPROVAL}`, EVENT_CODECS.approval.encode(approval));
  }

  /** Records the outcome of a plan's action. */
  async recordOutcome(planId: string, outcome: Outcome): Promise<void> {
    await this.kv.put(`${toKvKey(planId)}.${OUTCOME}`, EVENT_CODECS.outcome.encode(outcome));
  }

  /** The recorded decision on a plan's approval; undefined while it waits (or when none was needed). */
  async approval(planId: string): Promise<Approval | undefined> {
    return planId ? this.read(`${toKvKey(planId)}.${APPROVAL}`, EVENT_CODECS.approval) : undefined;
  }

  /** The value stored under `key`, decoded; undefined when there is none. */
  private async read<T>(key: string, codec: { decode(data: Uint8Array): T }): Promise<T | undefined> {
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' && e.value.length > 0 ? codec.decode(e.value) : undefined;
  }

  /**
   * Everything stored since `sinceMs` (by the time it was written): only that window of the
   * bucket's stream is read, not the whole bucket. Entries that do not decode are skipped and
   * their keys listed in `unreadable`.
   */
  async since(sinceMs: number): Promise<StoredPlans> {
    const out: StoredPlans = { plans: [], approvals: new Map(), outcomes: new Map(), unreadable: [] };
    for (const { key, value } of await kvWritesSince(this.kv, sinceMs)) collect(out, key, value);
    return out;
  }
}

function collect(out: StoredPlans, key: string, data: Uint8Array): void {
  const dot = key.lastIndexOf('.');
  const kind = dot > 0 ? key.slice(dot + 1) : '';
  try {
    if (kind === APPROVAL) out.approvals.set(key.slice(0, dot), EVENT_CODECS.approval.decode(data));
    else if (kind === OUTCOME) out.outcomes.set(key.slice(0, dot), EVENT_CODECS.outcome.decode(data));
    else if (!kind || key.startsWith('b64.')) out.plans.push(EVENT_CODECS.plan.decode(data));
  } catch {
    // An entry another release wrote differently: it concerns no guardrail we can rebuild.
    out.unreadable.push(key);
  }
}
