import { TrainingJob } from '@x0/contracts';
import type { ModelVersionView } from '@x0/model-registry';
import pino from 'pino';
import { AdapterCoverage } from './adapter-coverage';
import type { JobRequest } from './job-request';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);

/** The coverage over a registry held in `versions` (adapter model → versions) and a job history held in `jobs`. */
function setUp(o: { minRows?: number; retryMs?: number; lookupsPerStep?: number } = {}) {
  let now = T0;
  const jobs: TrainingJob[] = [];
  const versions = new Map<string, Array<Pick<ModelVersionView, 'version' | 'createdMs' | 'aliases'>>>();
  const queued: JobRequest[] = [];
  let failRegistry = false;
  const registry = {
    models: async () => {
      if (failRegistry) throw new Error('registry unavailable');
      return [...versions.keys()].sort();
    },
    list: async (model: string) => (versions.get(model) ?? []) as ModelVersionView[],
  };
  const coverage = new AdapterCoverage({
    baseModel: 'detector',
    registry,
    jobs: () => [...jobs].reverse(),
    enqueue: async (req) => {
      queued.push(req);
      const job = TrainingJob.fromPartial({ id: `job_${queued.length}`, model: req.model, component: req.component, trigger: req.trigger, reason: req.reason, state: 'queued', createdMs: now });
      jobs.push(job);
      return job;
    },
    logger: pino({ level: 'silent' }),
    minRows: o.minRows ?? 600,
    retryMs: o.retryMs ?? 7 * DAY,
    lookupsPerStep: o.lookupsPerStep,
    clock: () => now,
  });
  return {
    coverage,
    jobs,
    versions,
    queued,
    advance: (ms: number) => (now += ms),
    finishAll: () => jobs.forEach((j) => (j.state = 'succeeded')),
    failRegistry: (v: boolean) => (failRegistry = v),
  };
}

describe('AdapterCoverage - an adapter for every component without one', () => {
  it('queues nothing until a component has minRows sampled rows, then its first adapter job with trigger baseline', async () => {
    const t = setUp();
    t.coverage.observe('db', 599);
    expect(await t.coverage.step()).toBeUndefined();
    t.coverage.observe('db', 1);
    const job = await t.coverage.step();
    expect(job).toMatchObject({ model: 'detector', component: 'db', trigger: 'baseline' });
    expect(t.queued).toEqual([{ model: 'detector', component: 'db', trigger: 'baseline', reason: 'db has 600 sampled rows and no adapter of detector: its first adapter' }]);
  });

  it('one baseline job at a time: the next component waits until it has finished; the component seen first goes first', async () => {
    const t = setUp();
    t.coverage.observe('web', 700);
    t.advance(1000);
    t.coverage.observe('db', 900);
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

  it('a component with a champion adapter gets no job, ever', async () => {
    const t = setUp();
    t.versions.set('detector--db', [{ version: '1', createdMs: T0 - DAY, aliases: ['champion'] }]);
    t.coverage.observe('db', 5000);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(30 * DAY);
    expect(await t.coverage.step()).toBeUndefined();
    expect(t.queued).toEqual([]);
  });

  it('an adapter that did not win is tried again retryMs after its latest version, on newer data, unless an operator promoted one meanwhile', async () => {
    const t = setUp({ retryMs: 7 * DAY });
    t.versions.set('detector--db', [{ version: '1', createdMs: T0 - 2 * DAY, aliases: ['challenger'] }]);
    t.coverage.observe('db', 5000);
    t.coverage.observe('web', 5000);
    t.versions.set('detector--web', [{ version: '1', createdMs: T0 - 2 * DAY, aliases: ['challenger'] }]);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(5 * DAY - 1);
    expect(await t.coverage.step()).toBeUndefined();
    t.versions.get('detector--web')![0].aliases = ['champion'];
    t.advance(1);
    const job = await t.coverage.step();
    expect(job?.component).toBe('db');
    expect(job?.reason).toBe("db's adapter of detector has not won since 2026-11-18T12:00:00Z (no champion): trying again on newer data");
    t.finishAll();
    // web's operator-promoted adapter is left alone; db's next try is a week after this one
    t.advance(7 * DAY - 1);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(1);
    expect((await t.coverage.step())?.component).toBe('db');
    expect(t.queued.map((r) => r.component)).toEqual(['db', 'db']);
  });

  it('retryMs 0: a component is tried once only', async () => {
    const t = setUp({ retryMs: 0 });
    t.coverage.observe('db', 600);
    expect((await t.coverage.step())?.component).toBe('db');
    t.finishAll();
    t.advance(365 * DAY);
    expect(await t.coverage.step()).toBeUndefined();
  });

  it('a job in the history counts as an attempt (a failed one registers no version), and a component with an active job of its own is left to it', async () => {
    const t = setUp({ retryMs: 7 * DAY });
    t.jobs.push(TrainingJob.fromPartial({ id: 'job_old', model: 'detector', component: 'db', trigger: 'manual', state: 'failed', createdMs: T0 - DAY }));
    t.jobs.push(TrainingJob.fromPartial({ id: 'job_rebase', model: 'detector', component: 'web', trigger: 'rebase', state: 'queued', createdMs: T0 }));
    t.coverage.observe('db', 600);
    t.coverage.observe('web', 600);
    expect(await t.coverage.step()).toBeUndefined();
    t.advance(6 * DAY);
    const job = await t.coverage.step();
    expect(job?.component).toBe('db');
    expect(job?.reason).toMatch(/since 2026-11-19T12:00:00Z/);
  });

  it('a registry that cannot be read queues nothing and is read again at the next step', async () => {
    const t = setUp();
    t.coverage.observe('db', 600);
    t.failRegistry(true);
    expect(await t.coverage.step()).toBeUndefined();
    t.failRegistry(false);
    expect((await t.coverage.step())?.component).toBe('db');
  });

  it('looks up at most lookupsPerStep new components per step', async () => {
    const t = setUp({ lookupsPerStep: 2 });
    for (const c of ['a', 'b', 'c']) {
      t.versions.set(`detector--${c}`, [{ version: '1', createdMs: T0, aliases: ['champion'] }]);
      t.coverage.observe(c, 600);
      t.advance(1);
    }
    t.coverage.observe('d', 600);
    expect(await t.coverage.step()).toBeUndefined();
    expect((await t.coverage.step())?.component).toBe('d');
  });
});
