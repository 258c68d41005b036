import { FailedPreconditionError, NotFoundError } from '@x0/core';
import { DryRunExecutor } from './dry-run-executor';
import { createExecutorRegistry, ExecutorRegistry } from './executor-registry';
import { MemoryIdempotencyStore } from './idempotency';
import type { ExecutionRequest, ExecutionResult, Executor } from './types';

class RecordingExecutor implements Executor {
  readonly type = 'test';
  readonly calls: ExecutionRequest[] = [];
  constructor(
    readonly name: string,
    readonly actions?: readonly string[],
    private readonly answer: (r: ExecutionRequest) => Promise<ExecutionResult> = async () => ({ status: 'succeeded', message: 'ok', durationMs: 1, details: {} }),
  ) {}
  execute(r: ExecutionRequest): Promise<ExecutionResult> {
    this.calls.push(r);
    return this.answer(r);
  }
  describe(r: ExecutionRequest): string {
    return `do ${r.action} on ${r.component} via ${this.name}`;
  }
}

const NOW = Date.UTC(2025, 0, 1);
const request = (over: Record<string, unknown> = {}) => ({
  executor: 'ops',
  component: 'web-1',
  action: 'restart',
  params: { graceful: 'true' },
  idempotencyKey: 'inc-1:restart',
  dryRun: false,
  deadline: NOW + 10_000,
  ...over,
});

function setup(actions?: readonly string[]) {
  const ops = new RecordingExecutor('ops', actions);
  return { ops, registry: new ExecutorRegistry([ops, new RecordingExecutor('other')], { clock: () => NOW }) };
}

describe('executor-registry', () => {
  it('dispatch - runs the named executor with the request', async () => {
    const { ops, registry } = setup();
    const res = await registry.dispatch(request());
    expect(res).toMatchObject({ status: 'succeeded', message: 'ok', executor: 'ops', dryRun: false, replayed: false });
    expect(ops.calls).toEqual([{ component: 'web-1', action: 'restart', params: { graceful: 'true' }, idempotencyKey: 'inc-1:restart', dryRun: false, deadline: NOW + 10_000 }]);
  });

  it('dispatch - a redelivered request (same idempotency key) never acts twice', async () => {
    const { ops, registry } = setup();
    await registry.dispatch(request());
    const again = await registry.dispatch(request({ params: { graceful: 'false' } }));
    expect(again).toMatchObject({ status: 'succeeded', replayed: true });
    expect(ops.calls).toHaveLength(1);
  });

  it('dispatch - a durable store protects across registries (restart, other replica)', async () => {
    const store = new MemoryIdempotencyStore();
    const a = new RecordingExecutor('ops');
    const b = new RecordingExecutor('ops');
    await new ExecutorRegistry([a], { clock: () => NOW, idempotency: { store } }).dispatch(request());
    expect((await new ExecutorRegistry([b], { clock: () => NOW, idempotency: { store } }).dispatch(request())).replayed).toBe(true);
    expect(b.calls).toHaveLength(0);
  });

  it('dispatch - dry run describes what the executor would do and calls nothing; a later real run still acts', async () => {
    const { ops, registry } = setup();
    const dry = await registry.dispatch(request({ dryRun: true }));
    expect(dry).toMatchObject({ status: 'skipped', message: 'dry run: would do restart on web-1 via ops', executor: 'ops', dryRun: true, details: { dryRun: true } });
    expect(ops.calls).toHaveLength(0);
    expect((await registry.dispatch(request())).replayed).toBe(false);
    expect(ops.calls).toHaveLength(1);
  });

  it('dispatch - a policy pointing at a dry_run executor gets a dry run, not an action that was not performed', async () => {
    const registry = new ExecutorRegistry([new DryRunExecutor({ name: 'dry-run' })], { clock: () => NOW });
    const res = await registry.dispatch(request({ executor: 'dry-run' }));
    expect(res).toMatchObject({ status: 'skipped', message: 'dry run: would restart web-1 with {"graceful":"true"}', executor: 'dry-run', dryRun: true, replayed: false });
  });

  it('dispatch - an unknown executor is refused, even one that looks like a URL', async () => {
    const { registry } = setup();
    await expect(registry.dispatch(request({ executor: 'nope' }))).rejects.toThrow(new NotFoundError('executor', 'nope'));
    await expect(registry.dispatch(request({ executor: 'https://evil.example/hook' }))).rejects.toThrow("'executor' must be an executor name");
  });

  it('dispatch - a message cannot carry a URL, a command or any other extra field', async () => {
    const { ops, registry } = setup();
    await expect(registry.dispatch(request({ url: 'https://evil.example/hook' }))).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      field: 'url',
      message: "'url' is not a known field",
    });
    await expect(registry.dispatch(request({ command: 'rm -rf /' }))).rejects.toThrow("'command' is not a known field");
    expect(ops.calls).toHaveLength(0);
  });

  it('dispatch - only actions the executor is configured for', async () => {
    const { ops, registry } = setup(['restart']);
    await expect(registry.dispatch(request({ action: 'rollback' }))).rejects.toThrow(
      new FailedPreconditionError('executor ops is not configured for action rollback (allowed: restart)'),
    );
    expect(ops.calls).toHaveLength(0);
  });

  it.each([
    [{ component: 'web.1' }, "'component' must be a subject token (no whitespace, '.', '*' or '>')"],
    [{ action: 'Restart' }, "'action' must be a lower-case action token"],
    [{ action: 'actions' }, "'action' 'actions' is reserved"],
    [{ params: { delta: 1 } }, "'params.delta' must be a string"],
    [{ idempotencyKey: '' }, "'idempotencyKey' must be non-empty"],
    [{ deadline: undefined }, "'deadline' is required"],
  ])('dispatch - malformed %j is refused naming the field', async (over, message) => {
    const { registry } = setup();
    await expect(registry.dispatch(request(over))).rejects.toThrow(message);
  });

  it('dispatch - a deadline in the past fails without acting', async () => {
    const { ops, registry } = setup();
    const res = await registry.dispatch(request({ deadline: NOW - 1 }));
    expect(res).toMatchObject({ status: 'failed', message: 'deadline passed before dispatch (2024-12-31T23:59:59.999Z)', replayed: false });
    expect(ops.calls).toHaveLength(0);
  });

  it('dispatch - an executor that throws is a failed result', async () => {
    const boom = new RecordingExecutor('ops', undefined, async () => {
      throw new Error('bug');
    });
    const res = await new ExecutorRegistry([boom], { clock: () => NOW }).dispatch(request());
    expect(res).toMatchObject({ status: 'failed', message: 'executor ops threw: bug' });
  });

  it('constructor - duplicate names are refused', () => {
    expect(() => new ExecutorRegistry([new RecordingExecutor('a'), new RecordingExecutor('a')])).toThrow("duplicate executor name 'a'");
  });

  it('paramLimits - a Kubernetes executor bounds a scale action\'s delta by its max_step, in the configured direction; other actions and executors put none', () => {
    const registry = createExecutorRegistry({
      executors: {
        k8s: { type: 'kubernetes', namespace: 'prod', max_step: 2, actions: { scale_up: { op: 'scale', delta: 1 }, scale_down: { op: 'scale', delta: -1 }, resize: { op: 'scale_to', replicas: 3 }, restart: { op: 'rollout_restart' } } },
        dry: { type: 'dry_run' },
      },
    });
    expect(registry.paramLimits('k8s', 'scale_up')).toEqual({ delta: { min: 1, max: 2 } });
    expect(registry.paramLimits('k8s', 'scale_down')).toEqual({ delta: { min: -2, max: -1 } });
    expect(registry.paramLimits('k8s', 'resize')).toBeUndefined();
    expect(registry.paramLimits('k8s', 'restart')).toBeUndefined();
    expect(registry.paramLimits('k8s', 'not-configured')).toBeUndefined();
    expect(registry.paramLimits('dry', 'scale_up')).toBeUndefined();
    expect(registry.paramLimits('nosuch', 'scale_up')).toBeUndefined();
  });
});
