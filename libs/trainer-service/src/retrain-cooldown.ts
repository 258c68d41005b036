import type { KV } from '@nats-io/kv';
import { toKvKey } from '@x0/bus';
import { FailedPreconditionError } from '@x0/core';
import { isoSeconds } from './job-reason';

/** Key prefix of the cooldown records in the job bucket (job records are keyed by job id, `job_…`). */
export const COOLDOWN_KEY_PREFIX = 'retrain-cooldown.';

/** Triggers that come from alerts, whose jobs the retraining cooldown spaces out. */
const ALERT_TRIGGERS: ReadonlySet<string> = new Set(['degradation', 'drift']);

interface CooldownRecord {
  lastMs: number;
  jobId: string;
}

/**
 * The retraining cooldown across trainer restarts. The performance monitor's cooldowns
 * (`TRAINER_RETRAIN_COOLDOWN_S`, per model and per drifting component) live in memory and
 * start empty at each start, so a restart used to re-raise the alerts and queue the same
 * retraining again. Each alert-triggered job therefore leaves a record `retrain-cooldown.
 * <model>.<trigger>` (time, job id) in the job bucket — `….<trigger>.<component>` for a
 * component's adapter job — and after a restart, an alert-triggered request of that model,
 * trigger (and component) within the cooldown of a job an earlier run queued is refused.
 * Within one run the monitor's own (finer, per component) cooldowns decide alone.
 */
export class CarriedCooldowns {
  private readonly carried = new Map<string, CooldownRecord>();

  constructor(
    private readonly kv: KV,
    private readonly cooldownMs: number,
  ) {}

  /** True for a key of the job bucket that holds a cooldown record. */
  static isKey(key: string): boolean {
    return key.startsWith(COOLDOWN_KEY_PREFIX);
  }

  /** Takes over a record stored by an earlier run (ignores malformed ones). */
  restore(key: string, value: unknown): void {
    const r = value as Partial<CooldownRecord> | null;
    if (r && typeof r.lastMs === 'number' && Number.isFinite(r.lastMs)) this.carried.set(key, { lastMs: r.lastMs, jobId: String(r.jobId ?? '') });
  }

  /** Throws FailedPreconditionError when an earlier run queued a job of this model (component's adapter) and alert trigger within the cooldown. */
  check(model: string, trigger: string, now: number, component = ''): void {
    if (!ALERT_TRIGGERS.has(trigger) || this.cooldownMs <= 0) return;
    const r = this.carried.get(keyOf(model, trigger, component));
    if (!r || now - r.lastMs >= this.cooldownMs) return;
    throw new FailedPreconditionError(
      `${component ? `${component}'s adapter of ${model}` : model} is in the retraining cooldown: job ${r.jobId} (${trigger}) was queued at ${isoSeconds(r.lastMs)} before the trainer restarted; ` +
        `the next ${trigger} job can be queued from ${isoSeconds(r.lastMs + this.cooldownMs)}`,
    );
  }

  /** Records an alert-triggered job (no-op for other triggers). */
  async record(model: string, trigger: string, jobId: string, timeMs: number, component = ''): Promise<void> {
    if (!ALERT_TRIGGERS.has(trigger)) return;
    const r: CooldownRecord = { lastMs: timeMs, jobId };
    await this.kv.put(keyOf(model, trigger, component), JSON.stringify(r));
  }
}

function keyOf(model: string, trigger: string, component: string): string {
  // Trainable model names and triggers are [A-Za-z0-9_-]: KV-safe as they are; a component is a subject token.
  return `${COOLDOWN_KEY_PREFIX}${model}.${trigger}${component ? `.${toKvKey(component)}` : ''}`;
}
