/**
 * MLOps loop on the demo components: drift injected into one component's metrics is found
 * by the trainer's performance monitor (PSI/KS against the baseline sampled from
 * X0_METRICS), raises a ModelAlert and a retraining job; the job replays the metric window,
 * trains a challenger and evaluates it in shadow against the shipped forecaster. Run twice on
 * the same scenario: with the default margin (5 %) the challenger wins and is promoted; with a
 * margin it cannot reach (50 %) it stays challenger, with the reason recorded.
 */
import { DEFAULT_DEMO_COMPONENTS, healthyValues, rng } from '@x0/demo';
import { publishMessage, type Bus } from '@x0/bus';
import { METRIC_BATCH_CODEC, metricsSubject, type Sample } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { anomalyDetectorBase } from '@x0/trainer-service';
import { startTrainerUnderTest, type TrainerUnderTest } from '@x0/trainer-service/testing';
import { EventLog } from './event-log';

jest.setTimeout(120_000);

const T0 = Date.now() - 2 * 3_600_000;
const BASELINE = 600;
const DRIFTED = 400;

/** Demo metrics of one component at sample i (1 s apart); from `driftFrom` on, demo-db flaps. */
function values(kind: string, i: number, rand: () => number, drifting: boolean): Record<string, number> {
  const v = healthyValues(kind, i, rand);
  // The injected drift: a noisy neighbour saturates the database every other second.
  if (drifting) for (const m of ['latency_ms', 'rps', 'cpu']) v[m] *= i % 2 === 0 ? 1.7 : 0.5;
  return v;
}

async function publishRows(bus: Bus, component: string, kind: string, from: number, to: number, drifting: boolean, rand: () => number): Promise<void> {
  for (let i = from; i < to; i += 10) {
    const samples: Sample[] = [];
    for (let k = i; k < Math.min(to, i + 10); k++) {
      for (const [metric, value] of Object.entries(values(kind, k, rand, drifting))) samples.push({ metric, value, timeMs: T0 + k * 1000 });
    }
    const id = `demo-${component}-${i}`;
    await publishMessage(bus.js, { subject: metricsSubject(component), data: METRIC_BATCH_CODEC.encode({ id, component, timeMs: T0 + i * 1000, samples, labels: { kind } }), id });
  }
}

describe.each([
  { margin: '0.05', wins: true },
  { margin: '0.5', wins: false },
])('trainer - drift in the demo data (shadow margin $margin)', ({ margin, wins }) => {
  let t: TrainerUnderTest;
  let log: EventLog;
  const rands = new Map(DEFAULT_DEMO_COMPONENTS.map((c, k) => [c.name, rng(40 + k)]));

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      // The shipped forecaster of @x0/anomaly is version 1, the champion to beat.
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '300', TRAINER_MIN_DRIFT_SAMPLES: '200', TRAINER_DRIFT_SETTLE_S: '3', TRAINER_DETECTOR_EPOCHS: '4', TRAINER_SHADOW_MARGIN: margin },
      before: async (bus) => {
        for (const c of DEFAULT_DEMO_COMPONENTS) await publishRows(bus, c.name, c.kind, 0, BASELINE, false, rands.get(c.name)!);
      },
    });
    log = new EventLog(t.bus, Date.now() - 60_000);
  });

  afterAll(async () => {
    await log?.stop();
    await t?.stop();
  });

  it(`drift - an alert names the drifted component and metrics; the retraining it triggers ${wins ? 'wins in shadow and is promoted' : 'does not win by the margin and stays challenger'}`, async () => {
    // Let the monitor take the baseline as its reference, then inject the drift.
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of DEFAULT_DEMO_COMPONENTS) {
      await publishRows(t.bus, c.name, c.kind, BASELINE, BASELINE + DRIFTED, c.name === 'demo-db', rands.get(c.name)!);
    }

    const alert = await log.waitFor((es) => es.find((e) => e.type === 'model_alert'), 60_000, 'a model alert');
    const a = alert.event as { model: string; type: string; message: string; jobId: string };
    expect(alert.component).toBe('demo-db');
    expect(a).toMatchObject({ model: 'detector', type: 'input_drift' });
    expect(a.message).toMatch(/^detector:demo-db: input drift on \d feature\(s\) .*latency_ms\.step \(PSI [0-9.]+, KS p [0-9.e-]+\).* over the last \d+ inputs/);
    expect(a.message).not.toMatch(/#\d/);
    expect(a.message).not.toMatch(/mem_mb|disk_used_pct|error_rate/);
    expect(a.jobId).not.toBe('');
    expect(log.events.filter((e) => e.type === 'model_alert').map((e) => e.component)).toEqual(['demo-db']);

    const finished = await log.waitFor(
      (es) => es.find((e) => e.type === 'training' && (e.event as { job: { id: string; state: string } }).job.id === a.jobId && ['succeeded', 'failed'].includes((e.event as { job: { state: string } }).job.state)),
      90_000,
      'the drift job to finish',
    );
    const job = await t.call('getJob', { id: a.jobId });
    expect(finished.summary).toContain('succeeded');
    expect(job).toMatchObject({ model: 'detector', trigger: 'drift', state: 'succeeded', version: '2', parentVersion: '1', decision: wins ? 'promoted' : 'challenger' });
    expect(job.reason).toMatch(/^demo-db: detector:demo-db: input drift/);
    // The record says why the queued job did not start at once, and until when (TRAINER_DRIFT_SETTLE_S=3).
    const until = /; waits until (\S+Z) \(drift settle time, 3 s\) before it starts$/.exec(job.reason);
    expect(until).not.toBeNull();
    expect(Date.parse(until![1])).toBeGreaterThanOrEqual(Math.floor(job.createdMs / 1000) * 1000);
    expect(Date.parse(until![1])).toBeLessThanOrEqual(job.createdMs + 3000);
    expect(job.startedMs).toBeGreaterThanOrEqual(Date.parse(until![1]));
    expect(job.parentEventId).toBe(alert.id);
    // The challenger is better either way; whether it is better by the margin decides.
    expect(job.metrics['shadow_huber_challenger']).toBeLessThan(job.metrics['shadow_huber_champion'] * 0.95);
    const champion = await t.call('getModel', { model: 'detector', ref: 'champion' });
    const challenger = await t.call('getModel', { model: 'detector', ref: 'challenger' });
    expect(challenger.lineage).toMatchObject({ parent_version: '1', trigger: 'drift', job: a.jobId });
    expect(JSON.parse(challenger.lineage['shadow'])).toEqual({ decision: wins ? 'promote' : 'keep', reason: job.decisionReason, margin: Number(margin) });
    if (wins) {
      expect(champion).toMatchObject({ version: '2', aliases: ['challenger', 'champion'] });
      expect(job.decisionReason).toMatch(/^challenger huber [0-9.]+ beats champion 1 [0-9.]+ by the margin of 5% \(improvement [0-9.]+%\) on \d+ held-out samples$/);
    } else {
      expect(champion).toMatchObject({ version: '1', aliases: ['champion'] });
      expect(challenger).toMatchObject({ version: '2', aliases: ['challenger'] });
      expect(job.decisionReason).toMatch(/^challenger huber [0-9.]+ does not beat champion 1 [0-9.]+ by the margin of 50% \(improvement [0-9.]+%\) on \d+ held-out samples$/);
    }

    // The audit trail: alert → job events → model events, each pointing back.
    const modelEvents = log.events.filter((e) => e.type === 'model' && (e.event as { model: string }).model === 'detector');
    expect(modelEvents.map((e) => (e.event as { type: string; alias?: string }).alias || (e.event as { type: string }).type)).toEqual(
      expect.arrayContaining(wins ? ['registered', 'challenger', 'champion'] : ['registered', 'challenger']),
    );
  });
});
