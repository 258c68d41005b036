import { errorMessage, InvalidArgumentError } from '@x0/core';
import type { Bus } from '@x0/bus';
import { publishMetrics } from '@x0/client';
import { AgentServer, type AgentReply, type AgentRequest } from './agent-server';
import { healthyValues, KIND_METRICS, rng } from './component-model';
import { applyDrift, driftNoiseScale, type DemoDrift, type DriftKind } from './drift';
import { applyFault, FAULT_KINDS, FIXES, type FaultKind } from './faults';

/** Actions every demo agent can perform. */
export const DEMO_ACTIONS = ['scale_up', 'restart', 'throttle', 'failover', 'clear_cache', 'rollback'] as const;

export interface DemoComponent {
  name: string;
  kind: string;
}

export const DEFAULT_DEMO_COMPONENTS: DemoComponent[] = [
  { name: 'demo-web', kind: 'web' },
  { name: 'demo-db', kind: 'db' },
  { name: 'demo-queue', kind: 'queue' },
];

/** What the simulator reports as it runs. */
export type DemoEvent =
  | { type: 'fault'; component: string; fault: FaultKind; timeMs: number }
  | { type: 'action'; component: string; action: string; fixes: boolean; timeMs: number }
  | { type: 'recovered'; component: string; fault: FaultKind; afterMs: number; timeMs: number }
  | { type: 'drift'; component: string; drift: DriftKind; timeMs: number }
  | { type: 'error'; message: string; timeMs: number };

export interface DemoOptions {
  bus: Bus;
  components?: DemoComponent[];
  /** Samples per second per component (default 5). */
  rateHz?: number;
  /** Seconds between injected faults (default 45; ±25 % jitter). */
  faultEveryS?: number;
  /** Seconds before the first fault, so baselines are learnt (default 40). */
  firstFaultAfterS?: number;
  /** Faults to choose from (default all that fit each component's metrics). */
  faultKinds?: readonly FaultKind[];
  /**
   * The kind of the first fault (default: drawn like the others), injected into a component
   * it fits. `npm start` uses one the loop fixes without an operator, so a new user's first
   * incident goes all the way to its outcome.
   */
  firstFault?: FaultKind;
  /** How long a fixing action takes to take effect (default 1,500 ms). */
  fixDelayMs?: number;
  seed?: number;
  /**
   * Seconds of healthy history published (with past timestamps) before the live samples, so
   * the monitor has learnt its baselines by the time the demo starts (default 0).
   */
  backfillS?: number;
  /**
   * Time (ms) of a component's latest sample the monitor already has, 0 if none: the backfill
   * starts after it. A restarted stack's monitor restores its state, and history from before
   * its last sample would be dead-lettered as time going back.
   */
  backfillAfter?: (component: string) => Promise<number>;
  /** Input drift of one component (see DRIFT_KINDS), from `afterS` after the start for good. */
  drift?: DemoDrift;
  onEvent?: (e: DemoEvent) => void;
}

interface ActiveFault {
  kind: FaultKind;
  startedMs: number;
  fixing: boolean;
}

/**
 * A small managed system: components that publish metrics on x0.metrics.<name>, suffer a
 * fault every so often, and run an agent on x0.agents.<name>.<action>. Only an action that
 * really addresses the fault (see FIXES) clears it; others are performed to no effect, as in
 * real life.
 */
export class DemoSimulator {
  private readonly o: Required<Omit<DemoOptions, 'onEvent' | 'faultKinds' | 'firstFault' | 'backfillAfter' | 'drift'>> & Pick<DemoOptions, 'onEvent' | 'faultKinds' | 'firstFault' | 'backfillAfter' | 'drift'>;
  private driftAnnounced = false;
  private sampleIndex = 0;
  private readonly rand: () => number;
  private readonly faults = new Map<string, ActiveFault>();
  private readonly agents: AgentServer[] = [];
  private readonly recoveries: number[] = [];
  private tick?: NodeJS.Timeout;
  private faultTimer?: NodeJS.Timeout;
  private readonly startedMs = Date.now();
  private injected = 0;

  constructor(options: DemoOptions) {
    this.o = { components: DEFAULT_DEMO_COMPONENTS, rateHz: 5, faultEveryS: 45, firstFaultAfterS: 40, fixDelayMs: 1500, seed: Date.now() & 0xffff, backfillS: 0, ...options };
    this.rand = rng(this.o.seed);
    const fitsNone = (kinds: readonly FaultKind[]) => kinds.every((k) => !this.o.components.some((c) => faultFits(k, c.kind)));
    const which = () => `(${this.o.components.map((c) => `${c.name}: ${c.kind}`).join(', ')})`;
    if (this.o.faultKinds && fitsNone(this.o.faultKinds)) throw new InvalidArgumentError('faultKinds', `fit none of the components ${which()}: ${this.o.faultKinds.join(', ')}`);
    if (this.o.firstFault && fitsNone([this.o.firstFault])) throw new InvalidArgumentError('firstFault', `fits none of the components ${which()}: ${this.o.firstFault}`);
    const drift = this.o.drift;
    if (drift && !this.o.components.some((c) => c.name === drift.component)) {
      throw new InvalidArgumentError('drift', `names no demo component: ${JSON.stringify(drift.component)} (the components are ${this.o.components.map((c) => c.name).join(', ')})`);
    }
  }

  /**
   * Starts the agents, publishes the backfill history (awaited), then the live samples and
   * the fault schedule.
   */
  async start(): Promise<void> {
    if (this.o.backfillS > 0) await this.backfill(this.o.backfillS);
    for (const c of this.o.components) {
      const handlers = Object.fromEntries(DEMO_ACTIONS.map((a) => [a, (req: AgentRequest) => this.act(c.name, a, req)]));
      const agent = new AgentServer(this.o.bus.nc, c.name, handlers);
      agent.start();
      this.agents.push(agent);
    }
    this.tick = setInterval(() => this.publishAll(), 1000 / this.o.rateHz);
    this.scheduleFault(this.o.firstFaultAfterS * 1000);
  }

  stop(): void {
    clearInterval(this.tick);
    clearTimeout(this.faultTimer);
    for (const a of this.agents.splice(0)) a.stop();
  }

  /** Injects a fault now (tests and `x0 demo --fault`). */
  inject(component: string, kind: FaultKind): void {
    this.faults.set(component, { kind, startedMs: Date.now(), fixing: false });
    this.injected++;
    this.emit({ type: 'fault', component, fault: kind, timeMs: Date.now() });
  }

  activeFault(component: string): FaultKind | undefined {
    return this.faults.get(component)?.kind;
  }

  /** Faults injected, recovered, and the mean time to recovery (ms) so far. */
  summary(): { injected: number; recovered: number; mttrMs: number } {
    const n = this.recoveries.length;
    return { injected: this.injected, recovered: n, mttrMs: n ? this.recoveries.reduce((a, b) => a + b, 0) / n : 0 };
  }

  /**
   * Publishes `seconds` of healthy history ending now, 100 time points per batch; for each
   * component only after its `backfillAfter` time.
   */
  async backfill(seconds: number): Promise<number> {
    const now = Date.now();
    const points = Math.floor(seconds * this.o.rateHz);
    let published = 0;
    for (const c of this.o.components) {
      const after = (await this.o.backfillAfter?.(c.name)) ?? 0;
      for (let start = points; start > 0; start -= 100) {
        const samples = [];
        for (let i = start; i > Math.max(0, start - 100); i--) {
          const timeMs = now - (i * 1000) / this.o.rateHz;
          if (timeMs <= after) continue;
          const values = healthyValues(c.kind, (timeMs - this.startedMs) / 1000, this.rand);
          for (const [metric, value] of Object.entries(values)) samples.push({ metric, value, timeMs });
        }
        if (samples.length === 0) continue;
        await publishMetrics(this.o.bus, c.name, samples, { kind: c.kind, timeMs: samples[samples.length - 1].timeMs });
        published += samples.length;
      }
    }
    return published;
  }

  private scheduleFault(delayMs: number): void {
    this.faultTimer = setTimeout(() => {
      const first = this.injected === 0 ? this.o.firstFault : undefined;
      const allowed = first ? [first] : (this.o.faultKinds ?? FAULT_KINDS);
      const kindsFor = (c: DemoComponent) => allowed.filter((k) => faultFits(k, c.kind));
      // Only healthy components that one of the allowed faults fits (with --faults disk_full
      // that is the database alone; drawing any component first would mostly inject nothing).
      const candidates = this.o.components.filter((c) => !this.faults.has(c.name) && kindsFor(c).length > 0);
      if (candidates.length > 0) {
        const c = candidates[Math.floor(this.rand() * candidates.length)];
        const kinds = kindsFor(c);
        this.inject(c.name, kinds[Math.floor(this.rand() * kinds.length)]);
      }
      this.scheduleFault(this.o.faultEveryS * 1000 * (0.75 + 0.5 * this.rand()));
    }, delayMs);
    this.faultTimer.unref?.();
  }

  private act(component: string, action: string, _req: AgentRequest): AgentReply {
    const f = this.faults.get(component);
    const fixes = !!f && FIXES[f.kind].includes(action);
    this.emit({ type: 'action', component, action, fixes, timeMs: Date.now() });
    if (f && fixes && !f.fixing) {
      f.fixing = true;
      setTimeout(() => {
        if (this.faults.get(component) !== f) return;
        this.faults.delete(component);
        const afterMs = Date.now() - f.startedMs;
        this.recoveries.push(afterMs);
        this.emit({ type: 'recovered', component, fault: f.kind, afterMs, timeMs: Date.now() });
      }, this.o.fixDelayMs).unref?.();
    }
    return { ok: true, message: `${action} performed on ${component}`, details: { fixes } };
  }

  private publishAll(): void {
    const now = Date.now();
    const t = (now - this.startedMs) / 1000;
    const i = this.sampleIndex++;
    const drift = this.o.drift && t >= this.o.drift.afterS ? this.o.drift : undefined;
    if (drift && !this.driftAnnounced) {
      this.driftAnnounced = true;
      this.emit({ type: 'drift', component: drift.component, drift: drift.kind, timeMs: now });
    }
    for (const c of this.o.components) {
      const drifting = drift?.component === c.name ? drift.kind : undefined;
      let values = healthyValues(c.kind, t, this.rand, 3600, drifting ? driftNoiseScale(drifting) : 1);
      if (drifting) values = applyDrift(drifting, values, i);
      const f = this.faults.get(c.name);
      if (f) values = applyFault(f.kind, values, (now - f.startedMs) / 1000);
      publishMetrics(this.o.bus, c.name, values, { kind: c.kind, timeMs: now }).catch((err) =>
        this.emit({ type: 'error', message: `publish for ${c.name} failed: ${errorMessage(err)}`, timeMs: Date.now() }),
      );
    }
  }

  private emit(e: DemoEvent): void {
    this.o.onEvent?.(e);
  }
}

/** A fault fits a component kind when the kind has a metric the fault moves. */
export function faultFits(kind: FaultKind, componentKind: string): boolean {
  const metrics = Object.keys(KIND_METRICS[componentKind] ?? KIND_METRICS['web']);
  const base = Object.fromEntries(metrics.map((m) => [m, 1]));
  const moved = applyFault(kind, base, 10);
  return metrics.some((m) => moved[m] !== base[m]);
}

/** One line for a simulator event, as `x0 demo` and `npm start` print it (after their prefix). */
export function describeDemoEvent(e: DemoEvent): string {
  switch (e.type) {
    case 'fault':
      return `injected ${e.fault} into ${e.component}`;
    case 'action':
      return `${e.component}'s agent performed ${e.action}${e.fixes ? ' — this fixes the fault' : ' — no effect on the fault'}`;
    case 'recovered':
      return `${e.component} recovered from ${e.fault} after ${(e.afterMs / 1000).toFixed(1)} s`;
    case 'drift':
      return `input drift '${e.drift}' injected into ${e.component}, for good (the trainer's drift check should notice: x0 events --type model_alert)`;
    case 'error':
      return e.message;
  }
}
