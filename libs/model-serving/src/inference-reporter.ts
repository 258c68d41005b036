import type { NatsConnection } from '@nats-io/transport-node';
import { INFERENCE_REPORT_CODEC, inferenceSubject, type InferenceReport } from '@x0/contracts';
import { LatencyWindow } from '@x0/core';

/** Options of {@link InferenceReporter}. */
export interface InferenceReporterOptions {
  nc: NatsConnection;
  /** Service and instance that serve (e.g. 'monitor', its X0_INSTANCE). */
  service: string;
  instance: string;
  /** Report interval (default 5,000 ms). */
  intervalMs?: number;
  clock?: () => number;
}

interface Tally {
  model: string;
  version: string;
  inferences: number;
  failures: number;
  latency: LatencyWindow;
  /** Reservoir sample of the latencies (Algorithm R). */
  sample: number[];
}

const SAMPLE = 64;

/**
 * Counts a serving replica's inferences per model version (latency, failures) and publishes
 * them every interval as an `InferenceReport` on `x0.inference.<model>` (core NATS: telemetry,
 * not stored). The trainer's performance monitor turns the reports into error rate and
 * latency p95 per model. `record()` is O(1); nothing is published for an idle interval.
 */
export class InferenceReporter {
  private readonly tallies = new Map<string, Tally>();
  private timer?: NodeJS.Timeout;
  private readonly clock: () => number;

  constructor(private readonly o: InferenceReporterOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /** Records one inference (or one batch call) of `model@version`. */
  record(model: string, version: string, latencyMs: number, ok = true): void {
    const key = `${model}\u0000${version}`;
    let t = this.tallies.get(key);
    if (!t) this.tallies.set(key, (t = { model, version, inferences: 0, failures: 0, latency: new LatencyWindow(2048), sample: [] }));
    if (ok) {
      t.inferences++;
      t.latency.record(latencyMs);
      if (t.sample.length < SAMPLE) t.sample.push(latencyMs);
      else {
        const k = Math.floor(Math.random() * t.inferences);
        if (k < SAMPLE) t.sample[k] = latencyMs;
      }
    } else t.failures++;
  }

  /** Starts the periodic reports. Safe to call twice. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Publishes what is pending and stops. Safe to call twice. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  /** Publishes one report per model version with inferences since the last flush; returns them. */
  flush(): InferenceReport[] {
    const reports: InferenceReport[] = [];
    const nc = this.o.nc;
    for (const [key, t] of this.tallies) {
      this.tallies.delete(key);
      if (t.inferences + t.failures === 0) continue;
      const l = t.latency.snapshot();
      const report: InferenceReport = {
        service: this.o.service,
        instance: this.o.instance,
        model: t.model,
        version: t.version,
        timeMs: this.clock(),
        inferences: t.inferences,
        failures: t.failures,
        latency: { p50Ms: l.p50, p95Ms: l.p95, p99Ms: l.p99, maxMs: l.max, count: l.count },
        latencySamplesMs: t.sample,
      };
      reports.push(report);
      if (!nc.isClosed() && !nc.isDraining()) nc.publish(inferenceSubject(t.model), INFERENCE_REPORT_CODEC.encode(report));
    }
    return reports;
  }
}
