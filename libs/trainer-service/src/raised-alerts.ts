import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { errorMessage } from '@x0/core';
import { type Bus, kvRecords, openKeyValue, toKvKey } from '@x0/bus';
import type { Alert } from '@x0/model-monitor';
import type { Logger } from '@x0/service-kit';

/** KV bucket of the alerts in force, one per monitored model (or drifting component) and alert type. */
export const TRAINER_ALERTS_BUCKET = 'x0_trainer_alerts';

/** How long a record is kept when its alert never ends (a component that stopped reporting). */
const RECORD_TTL_MS = 30 * 86_400_000;

const alertSchema = z.object({
  id: z.string().min(1),
  type: z.enum(['accuracy_low', 'error_rate_high', 'latency_high', 'input_drift']),
  model: z.string().min(1),
  value: z.number(),
  threshold: z.number(),
  samples: z.number(),
  timeMs: z.number(),
  message: z.string(),
  features: z.array(z.object({ feature: z.number(), psi: z.number(), ksPValue: z.number() })).optional(),
});

const recordSchema = z.object({
  /** The served model (`detector`), whose champion version the alert was raised for. */
  model: z.string().min(1),
  version: z.string(),
  alert: alertSchema,
});

type AlertRecord = z.infer<typeof recordSchema>;

/**
 * The alerts the performance monitor has raised and that are still in force, across trainer
 * restarts. A ModelMonitor raises an alert once per crossing and re-arms when the metric
 * recovers, but that state lives in memory: a restarted trainer used to publish the same
 * alert again. Each raised alert is recorded here with the champion version it was raised
 * for, and deleted when it ends; a restarted trainer carries the records of the current
 * champion into its monitors (`ModelMonitorOptions.carried`), so the same crossing is not
 * announced twice. Records of another version are dropped when a champion starts serving.
 */
export class RaisedAlerts {
  private readonly records = new Map<string, AlertRecord>();

  private constructor(
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating) the bucket and reads every record; unreadable ones are logged and deleted. */
  static async open(bus: Bus, logger: Logger): Promise<RaisedAlerts> {
    const kv = await openKeyValue(bus, TRAINER_ALERTS_BUCKET, { description: 'x0 trainer: model alerts in force', ttl: RECORD_TTL_MS });
    const store = new RaisedAlerts(kv, logger);
    const records = await kvRecords(
      kv,
      (entry) => recordSchema.parse(entry.json()),
      (key, err) => logger.warn({ key, err: errorMessage(err) }, 'stored model alert not readable; deleted (it may be raised again)'),
    );
    for (const [key, record] of records) store.records.set(key, record);
    return store;
  }

  /** The alerts a monitor named `monitor` (an alert's `model`: `detector`, `detector:db-1`) raised for `version` of `model`. */
  carried(model: string, version: string, monitor: string): Alert[] {
    return [...this.records.values()].filter((r) => r.model === model && r.version === version && r.alert.model === monitor).map((r) => r.alert);
  }

  /** Every alert in force for `version` of `model`, raised by any of its monitors (carried ones included), as recorded in the bucket. */
  inForce(model: string, version: string): Alert[] {
    return [...this.records.values()].filter((r) => r.model === model && r.version === version).map((r) => r.alert);
  }

  /** Records an alert raised for `version` of `model`. */
  async raised(model: string, version: string, alert: Alert): Promise<void> {
    const key = keyOf(alert);
    const record: AlertRecord = { model, version, alert };
    this.records.set(key, record);
    await this.write(key, () => this.kv.put(key, JSON.stringify(record)));
  }

  /** Forgets an alert that ended (its metric recovered). */
  async cleared(alert: Alert): Promise<void> {
    const key = keyOf(alert);
    if (!this.records.delete(key)) return;
    await this.write(key, () => this.kv.delete(key));
  }

  /** Forgets every alert of `model` raised for another version than `version` (a new champion starts with a clean record). */
  async retain(model: string, version: string): Promise<void> {
    for (const [key, r] of [...this.records]) {
      if (r.model !== model || r.version === version) continue;
      this.records.delete(key);
      await this.write(key, () => this.kv.delete(key));
    }
  }

  private async write(key: string, op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      // The alert itself is out; at worst a restart announces it once more.
      this.logger.warn({ key, err: errorMessage(err) }, 'model alert record not written');
    }
  }
}

function keyOf(alert: Alert): string {
  // Alert types are KV-safe; a drift monitor's name (`detector:<component>`) may not be.
  return `${toKvKey(alert.model)}.${alert.type}`;
}
