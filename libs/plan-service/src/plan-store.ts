import type { KV } from '@nats-io/kv';
import { isKvRevisionConflict, provisionKeyValue, toKvKey, type Bus } from '@x0/bus';
import { EVENT_CODECS, type Plan } from '@x0/contracts';

/** Bucket holding every recent plan (with its explanation) by plan id, for Explain. */
export const PLANS_BUCKET = 'x0_plans';

/**
 * Recent plans in NATS KV, so Explain answers for a plan made before the plan service
 * restarted (a plan still pending approval, typically) and on any replica. Entries expire
 * after the bucket's TTL (`PLAN_EXPLAIN_TTL_S`); the value is the Plan protobuf as published.
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
    if (!planId) return undefined;
    const e = await this.kv.get(toKvKey(planId));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return undefined;
    return EVENT_CODECS.plan.decode(e.value);
  }
}
