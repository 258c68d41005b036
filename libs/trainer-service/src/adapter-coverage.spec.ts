import { TrainingJob } from '@x0/contracts';
import type { AliasState, ModelVersionView } from '@x0/model-registry';
import pino from 'pino';
import { AdapterCoverage, adapterFailureBackoffMs, holdsAdapterBackoff } from './adapter-coverage';
import { JobStore } from './job-store';
import type { JobRequest } from './job-request';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

type Version = Pick<ModelVersionView, 'version' | 'createdMs' | 'aliases'> & { baseVersion?: string };

/** The coverage over a registry held in `versions` (adapter model → versions; base champion `base.version`) and a job history held in `jobs`. */
function setUp(o: { minRows?: number; retryMs?: number; lookupsPerStep?: number } = {}) {
  let now = T0;
  const jobs: TrainingJob[] = [];
  const versions = new Map<string, Version[]>();
  const base = { version: '1' };
  const queued: JobRequest[] = [];
  let failRegistry = false;
  const refuse = new Set<string>();
  const registry = {
    alias: async (model: string) => {
      if (failRegistry) throw new Error('registry unavailable');
      return (model === 'detector' && base.version ? { version: base.version } : undefined) as AliasState | undefined;
    },
    list: async (model: string) =>
      (versions.get(model) ?? []).map((v) => ({ ...v, lineage: { config: { baseVersion: v.baseVersion ?? '1' } } })) as unknown as ModelVersionView[],
  };
  const coverage = new AdapterCoverage({
    baseModel: 'detector',
    registry,
    jobs: () => [...jobs].reverse(),
    enqueue: async (req) => {
      if (refuse.has(req.component!)) throw new Error('KV unavailable');
      queued.push(req);
      const job = TrainingJob.fromPartial({ id: `job_${queued.length}`, model: req.model, component: req.component, trigger: req.trigger, reason: req.reason, state: 'queued', createdMs: now });
      jobs.push(job);
      return job;
    },
    logger: pino({ level: 'silent' }),
    minRows: o.minRows ?? 600,
    dataWindowMs: HOUR,
    retryMs: o.retryMs ?? 7 * DAY,
    lookupsPerStep: o.lookupsPerStep,
    clock: () => now,
  });
  /** `n` rows of `component`, one a second, ending now. */
  const rows = (component: string, n: number, endMs = now) => coverage.observe(component, Array.from({ length: n }, (_, i) => endMs - (n - 1 - i) * 1000));
  return {
    coverage,
    jobs,
    versions,
    base,
    queued,
    rows,
    advance: (ms: number) => (now += ms),
    finishAll: (state: 'succeeded' | 'failed' = 'succeeded', error = '') => jobs.forEach((j) => (j.state === 'queued' || j.state === 'running') && Object.assign(j, { state, error })),
    failRegistry: (v: boolean) => (failRegistry = v),
    refuse,
  };
}

describe('AdapterCoverage - an adapter for every component without one', () => {
  it('queues nothing until a component has minRows sampled rows within the data window, then its first adapter job with trigger baseline', async () => {
    const t = setUp();
    t.rows('db', 599);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(1000);
    t.rows('db', 1);
    const job = await t.coverage.step();
    expect(job).toMatchObject({ model: 'detector', component: 'db', trigger: 'baseline' });
    expect(t.queued).toEqual([{ model: 'detector', component: 'db', trigger: 'baseline', reason: 'db has 600 sampled rows in the last 3600 s and no adapter of detector: its first adapter' }]);
  });

  it('rows older than the data window (what a job trains on) do not count: a slow component, or one that stopped publishing, gets no job that could only fail', async () => {
    const t = setUp();
    // 900 rows, one every 15 s: 240 in any hour
    t.coverage.observe('slow', Array.from({ length: 900 }, (_, i) => T0 - (899 - i) * 15_000));
    t.rows('gone', 1000, T0 - 2 * HOUR);
    expect(t.coverage.rowsInWindow('slow')).toBeLessThanOrEqual(241);
    expect(t.coverage.rowsInWindow('gone')).toBe(0);
    expect(await t.coverage.step()).toBeUndefined();
    t.rows('web', 700);
    t.advance(HOUR + 1000);
    // web's rows aged out too
    expect(await t.coverage.step()).toBeUndefined();
    expect(t.queued).toEqual([]);
  });

  it('memory - a served component observed for days holds a window of buckets, not one per 5 minutes ever', async () => {
    const t = setUp();
    t.versions.set('detector--db', [{ version: '1', createdMs: T0, aliases: ['champion'] }]);
    for (let i = 0; i < 3 * 288; i++) {
      t.rows('db', 300);
      await t.coverage.step();
      t.advance(5 * 60_000);
    }
    expect(t.coverage.heldBuckets('db')).toBeLessThanOrEqual(13);
    expect(t.queued).toEqual([]);
  });

  it('timeForMinRowsMs - how far back a job must reach for minRows at the component\'s rate', () => {
    const t = setUp();
    expect(t.coverage.timeForMinRowsMs('db')).toBeUndefined();
    t.coverage.observe('db', Array.from({ length: 1200 }, (_, i) => T0 - i * 3000));
    // 1,200 rows an hour: 600 take half an hour (the oldest, partial bucket is not counted: up to a twelfth more)
    expect(t.coverage.timeForMinRowsMs('db')).toBeGreaterThanOrEqual(HOUR / 2);
    expect(t.coverage.timeForMinRowsMs('db')).toBeLessThanOrEqual((HOUR / 2) * (12 / 11) + 1);
  });

  it('a weighted row counts as several: a check that read only part of what was published', async () => {
    const t = setUp();
    t.coverage.observe('db', Array.from({ length: 200 }, (_, i) => T0 - i * 1000), 3);
    expect(t.coverage.rowsInWindow('db')).toBe(600);
    expect((await t.coverage.step())?.component).toBe('db');
  });

  it('one baseline job at a time: the next component waits until it has finished; the component seen first goes first', async () => {
    const t = setUp();
    t.rows('web', 700);
    t.advance(1000);
    t.rows('db', 900);
    expect((await t.coverage.step())?.component).toBe('web');
    expect(await t.coverage.step()).toBeUndefined();
    t.jobs[0].state = 'running';
    expect(await t.coverage.step()).toBeUndefined();
    t.finishAll();
    expect((await t.coverage.step())?.component).toBe('db');
    t.finishAll();
    // both tried: nothing more within the retry period
    expect(await t.coverage.step()).toBeUndefined();
    expect(t.queued.map((r) => r.component)).toEqual(['web', 'db']);
  });

  it('a component whose champion adapter was trained on the base champion gets no job; one trained on an earlier base counts as none (the services do not apply it)', async () => {
    const t = setUp();
    t.versions.set('detector--db', [{ version: '1', createdMs: T0 - 30 * DAY, aliases: ['champion'], baseVersion: '1' }]);
    t.rows('db', 5000);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(1000);
    t.rows('db', 10);
    expect(await t.coverage.step()).toBeUndefined();
    // the base moves on; the adapter's rebase job lost (a version, no champion): a week after it, another try
    t.base.version = '2';
    t.versions.get('detector--db')!.push({ version: '2', createdMs: T0 - DAY, aliases: ['challenger'], baseVersion: '2' });
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(6 * DAY);
    t.rows('db', 700);
    const job = await t.coverage.step();
    expect(job?.component).toBe('db');
    expect(job?.reason).toBe('no adapter of db serves on detector 2 since its latest attempt at 2026-11-19T12:00:00Z: trying again on newer data (700 sampled rows in the last 3600 s)');
  });

  it('an adapter that did not win is tried again retryMs after its latest attempt — also one made after the component was first looked up — unless an operator promoted one meanwhile', async () => {
    const t = setUp({ retryMs: 7 * DAY });
    t.versions.set('detector--db', [{ version: '1', createdMs: T0 - 2 * DAY, aliases: ['challenger'] }]);
    t.versions.set('detector--web', [{ version: '1', createdMs: T0 - 2 * DAY, aliases: ['challenger'] }]);
    t.rows('db', 5000);
    t.rows('web', 5000);
    expect(await t.coverage.step()).toBeUndefined();
    // an operator's job on db a day later (it lost too)
    t.advance(DAY);
    t.jobs.push(TrainingJob.fromPartial({ id: 'job_manual', model: 'detector', component: 'db', trigger: 'manual', state: 'succeeded', decision: 'challenger', createdMs: T0 + DAY }));
    t.advance(4 * DAY);
    t.rows('db', 700);
    t.rows('web', 700);
    // web: promoted by hand meanwhile; db: due a week after the operator's job, not after its version
    t.versions.get('detector--web')![0].aliases = ['champion'];
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(2 * DAY);
    t.rows('db', 700);
    t.rows('web', 700);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(DAY);
    t.rows('db', 700);
    const job = await t.coverage.step();
    expect(job?.component).toBe('db');
    expect(job?.reason).toMatch(/since its latest attempt at 2026-11-21T12:00:00Z/);
    expect(t.queued.map((r) => r.component)).toEqual(['db']);
  });

  it('retryMs 0: a component whose adapter did not win is not tried again', async () => {
    const t = setUp({ retryMs: 0 });
    t.rows('db', 600);
    expect((await t.coverage.step())?.component).toBe('db');
    t.finishAll();
    t.advance(365 * DAY);
    t.rows('db', 600);
    expect(await t.coverage.step()).toBeUndefined();
  });

  it('a failed job (too few windows, say) is tried again a day later, not a week; a job a restart interrupted is no attempt', async () => {
    const t = setUp();
    t.rows('db', 600);
    t.rows('web', 600);
    t.jobs.push(TrainingJob.fromPartial({ id: 'job_i', model: 'detector', component: 'web', trigger: 'baseline', state: 'failed', error: 'interrupted: the trainer stopped while the job ran', createdMs: T0 - HOUR }));
    t.jobs.push(TrainingJob.fromPartial({ id: 'job_f', model: 'detector', component: 'db', trigger: 'baseline', state: 'failed', error: 'only 150 training windows …', createdMs: T0 - HOUR }));
    expect((await t.coverage.step())?.component).toBe('web');
    t.finishAll();
    t.advance(DAY - HOUR - 1000);
    t.rows('db', 600);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(1000);
    t.rows('db', 1);
    expect((await t.coverage.step())?.component).toBe('db');
  });

  it('the job history keeps a failed adapter job beyond its bound while its backoff lasts: a restart after many other jobs does not try the component again at once', async () => {
    const backoff = adapterFailureBackoffMs(7 * DAY);
    expect(backoff).toBe(DAY);
    expect(adapterFailureBackoffMs(HOUR)).toBe(HOUR);
    expect(adapterFailureBackoffMs(0)).toBe(DAY);
    let now = T0;
    const job = (id: string, o: Partial<TrainingJob>) => TrainingJob.fromPartial({ id, model: 'detector', trigger: 'baseline', state: 'succeeded', createdMs: now, ...o });
    const failed = job('job_f', { component: 'db', state: 'failed', error: 'only 150 training windows …' });
    const interrupted = job('job_i', { component: 'web', state: 'failed', error: 'interrupted: the trainer stopped while the job ran' });
    const manual = job('job_m', { component: '', state: 'failed', error: 'no data' });
    const deleted: string[] = [];
    const kv = { put: async () => 0, delete: async (key: string) => void deleted.push(key) };
    const store = new JobStore(kv as never, { jobHistory: 2, retrainCooldownMs: 0, retain: (j) => holdsAdapterBackoff(j, 'detector', backoff, now) });
    for (const j of [failed, interrupted, manual]) await store.add(j);
    now += HOUR;
    for (let i = 0; i < 5; i++) await store.add(job(`job_${i}`, { component: `c${i}`, createdMs: now + i }));
    await store.prune();
    // the two newest, and the failed attempt whose day has not passed; not the interrupted one, nor a failed job of no component
    expect(store.list('', 100).map((j) => j.id)).toEqual(['job_4', 'job_3', 'job_f']);
    expect(deleted.sort()).toEqual(['job_0', 'job_1', 'job_2', 'job_i', 'job_m']);
    now = T0 + DAY;
    await store.prune();
    expect(store.get('job_f')).toBeUndefined();
  });

  it('a request the runner refuses is no attempt: the next candidate is tried in the same step, the refused one an hour later', async () => {
    const t = setUp();
    t.rows('db', 600);
    t.advance(1000);
    t.rows('web', 600);
    t.refuse.add('db');
    expect((await t.coverage.step())?.component).toBe('web');
    t.refuse.delete('db');
    t.finishAll();
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(HOUR);
    t.rows('db', 600);
    expect((await t.coverage.step())?.component).toBe('db');
  });

  it('a registry that cannot be read queues nothing and is read again at the next step', async () => {
    const t = setUp();
    t.rows('db', 600);
    t.failRegistry(true);
    expect(await t.coverage.step()).toBeUndefined();
    t.failRegistry(false);
    expect((await t.coverage.step())?.component).toBe('db');
  });

  it('looks up at most lookupsPerStep components per step', async () => {
    const t = setUp({ lookupsPerStep: 2 });
    for (const c of ['a', 'b', 'c']) {
      t.versions.set(`detector--${c}`, [{ version: '1', createdMs: T0, aliases: ['champion'] }]);
      t.rows(c, 600);
      t.advance(1);
    }
    t.rows('d', 600);
    expect(await t.coverage.step()).toBeUndefined();
    expect((await t.coverage.step())?.component).toBe('d');
  });
});
