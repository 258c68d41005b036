import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createExecutorRegistry } from './executor-registry';
import { KubernetesExecutor, RESTARTED_AT_ANNOTATION, type KubernetesExecutorOptions } from './kubernetes-executor';
import { startFakeKubernetesApi, type FakeKubernetesApi } from './testing';
import type { ExecutionRequest } from './types';

const NOW = Date.UTC(2025, 2, 1, 12, 0, 0);
let api: FakeKubernetesApi;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  // Loading the (ES module) client the first time takes seconds under jest: not a test's time.
  await import('@kubernetes/client-node');
  api = await startFakeKubernetesApi({
    token: 's3cr3t',
    deployments: [
      { namespace: 'prod', name: 'web-1', replicas: 2 },
      { namespace: 'prod', name: 'web-2', replicas: 2 },
      { namespace: 'prod', name: 'api-1', replicas: 9 },
      { namespace: 'prod', name: 'app-queue-1', replicas: 3 },
      { namespace: 'staging', name: 'web-1', replicas: 1 },
    ],
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-k8s-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(kubeconfig, api.kubeconfig());
}, 60_000);
afterAll(async () => {
  await api?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function executor(over: Partial<KubernetesExecutorOptions> = {}) {
  return new KubernetesExecutor({
    name: 'k8s',
    namespace: 'prod',
    actions: { scale_up: { op: 'scale', delta: 1 }, scale_down: { op: 'scale', delta: -1 }, scale_to: { op: 'scale_to' }, restart: { op: 'rollout_restart' } },
    maxReplicas: 10,
    maxStep: 3,
    kubeconfig: { path: kubeconfig, context: 'fake' },
    clock: () => NOW,
    ...over,
  });
}
const request = (over: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  component: 'web-1',
  action: 'scale_up',
  params: {},
  idempotencyKey: `k-${Math.random()}`,
  dryRun: false,
  deadline: Date.now() + 10_000,
  ...over,
});

describe('kubernetes-executor', () => {
  it('scale - by the configured delta through the scale subresource (merge patch, resourceVersion, bearer token)', async () => {
    api.requests.length = 0;
    const res = await executor().execute(request());
    expect(res).toMatchObject({ status: 'succeeded', message: 'scaled deployment prod/web-1 from 2 to 3 replicas', details: { from: 2, to: 3 } });
    expect(api.deployment('prod', 'web-1')?.spec.replicas).toBe(3);
    expect(api.deployment('staging', 'web-1')?.spec.replicas).toBe(1);
    expect(api.requests.map((r) => [r.method, r.path, r.contentType, r.authorization])).toEqual([
      ['GET', '/apis/apps/v1/namespaces/prod/deployments/web-1/scale', undefined, 'Bearer s3cr3t'],
      ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web-1/scale', 'application/merge-patch+json', 'Bearer s3cr3t'],
    ]);
    expect(api.requests[1].body).toEqual({ metadata: { resourceVersion: expect.any(String) }, spec: { replicas: 3 } });
  });

  it('scale - a delta parameter, bounded by max_step and the replica limits', async () => {
    const e = executor();
    expect(await e.execute(request({ component: 'web-2', params: { delta: '2' } }))).toMatchObject({ status: 'succeeded', details: { from: 2, to: 4 } });
    expect(await e.execute(request({ component: 'web-2', params: { delta: '4' } }))).toMatchObject({ status: 'failed', message: "'delta' 4 exceeds max_step 3" });
    expect(await e.execute(request({ component: 'web-2', params: { delta: '-1' } }))).toMatchObject({
      status: 'failed',
      message: "'delta' -1 goes the wrong way for this action (configured 1)",
    });
    expect(await e.execute(request({ component: 'web-2', params: { delta: 'one' } }))).toMatchObject({ status: 'failed', message: "'delta' must be a non-zero integer" });
    // api-1 is at 9 of max 10: +3 is capped at 10, then nothing more to do.
    expect(await e.execute(request({ component: 'api-1', params: { delta: '3' } }))).toMatchObject({ status: 'succeeded', details: { from: 9, to: 10 } });
    expect(await e.execute(request({ component: 'api-1' }))).toMatchObject({
      status: 'skipped',
      message: 'deployment prod/api-1 stays at 10 replicas (limits 1..10)',
    });
    expect(api.deployment('prod', 'api-1')?.spec.replicas).toBe(10);
  });

  it('scale_to - to a replica count, at most max_step away per action', async () => {
    const e = executor();
    expect(await e.execute(request({ component: 'app-queue-1', action: 'scale_to', params: { replicas: '4' } }))).toMatchObject({ details: { from: 3, to: 4 } });
    expect(await e.execute(request({ component: 'app-queue-1', action: 'scale_to', params: { replicas: '10' } }))).toMatchObject({ details: { from: 4, to: 7 } });
    expect(await e.execute(request({ component: 'app-queue-1', action: 'scale_to', params: { replicas: '11' } }))).toMatchObject({
      status: 'failed',
      message: 'replicas 11 outside 1..10',
    });
    expect(await e.execute(request({ component: 'app-queue-1', action: 'scale_to' }))).toMatchObject({ message: "scale_to needs a 'replicas' parameter (an integer)" });
  });

  it('scale - a concurrent change (409 Conflict) is re-read and retried', async () => {
    api.requests.length = 0;
    api.conflictOnNextPatch();
    const before = api.deployment('prod', 'web-1')!.spec.replicas;
    const res = await executor().execute(request({ action: 'scale_down' }));
    // Someone scaled web-1 up by one in between; we recompute from the new value.
    expect(res).toMatchObject({ status: 'succeeded', details: { from: before + 1, to: before, attempts: 2 } });
    expect(api.requests.map((r) => r.method)).toEqual(['GET', 'PATCH', 'GET', 'PATCH']);
  });

  it('restart - patches the pod template annotation kubectl.kubernetes.io/restartedAt', async () => {
    api.requests.length = 0;
    const res = await executor().execute(request({ component: 'web-2', action: 'restart' }));
    expect(res).toMatchObject({ status: 'succeeded', message: 'rollout restart of deployment prod/web-2', details: { restartedAt: '2025-03-01T12:00:00.000Z' } });
    expect(api.deployment('prod', 'web-2')?.spec.template.metadata.annotations).toEqual({ [RESTARTED_AT_ANNOTATION]: '2025-03-01T12:00:00.000Z' });
    expect(api.requests).toEqual([
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/prod/deployments/web-2',
        contentType: 'application/merge-patch+json',
        authorization: 'Bearer s3cr3t',
        body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2025-03-01T12:00:00.000Z' } } } } },
      },
    ]);
  });

  it('errors - not found, server error, unknown action, invalid name, unreachable API', async () => {
    const e = executor();
    expect(await e.execute(request({ component: 'ghost' }))).toMatchObject({ status: 'failed', message: 'deployment prod/ghost not found', details: { code: 404 } });
    api.failNext(500);
    expect(await e.execute(request({ action: 'restart' }))).toMatchObject({ status: 'failed', message: 'Kubernetes API answered 500 for prod/web-1: injected failure 500' });
    expect(await e.execute(request({ action: 'delete' }))).toMatchObject({ status: 'failed', message: 'action delete is not configured for executor k8s' });
    expect(await e.execute(request({ component: 'Web_1' }))).toMatchObject({ status: 'failed', message: 'component Web_1 does not map to a valid Deployment name' });
    const unauthorised = path.join(dir, 'bad-token');
    fs.writeFileSync(unauthorised, api.kubeconfig('wrong'));
    expect(await executor({ kubeconfig: { path: unauthorised, context: 'fake' } }).execute(request())).toMatchObject({
      status: 'failed',
      message: "Kubernetes API answered 401 for prod/web-1: the kubeconfig's credentials were not accepted",
    });
    // The file's current-context points at a closed port: without `context: fake` nothing is reachable.
    expect((await executor({ kubeconfig: { path: kubeconfig } }).execute(request())).message).toMatch(/^cannot reach the Kubernetes API for prod\/web-1: /);
  });

  it('deployment - the name comes from the component through the configured template', async () => {
    const res = await executor({ deployment: 'app-{component}' }).execute(request({ component: 'queue-1' }));
    expect(res).toMatchObject({ status: 'succeeded', details: { deployment: 'app-queue-1' } });
  });

  it('registry - configured from settings; only its namespace and actions; redelivery acts once', async () => {
    const registry = createExecutorRegistry({
      executors: {
        k8s: { type: 'kubernetes', namespace: 'staging', kubeconfig, context: 'fake', max_replicas: 5, actions: { scale_up: { op: 'scale', delta: 1 } } },
      },
    });
    const dispatch = { executor: 'k8s', ...request({ idempotencyKey: 'inc-9:scale_up' }) };
    expect(await registry.dispatch(dispatch)).toMatchObject({ status: 'succeeded', details: { namespace: 'staging', from: 1, to: 2 } });
    expect(await registry.dispatch(dispatch)).toMatchObject({ replayed: true, details: { to: 2 } });
    expect(api.deployment('staging', 'web-1')?.spec.replicas).toBe(2);
    await expect(registry.dispatch({ ...dispatch, action: 'restart' })).rejects.toThrow('executor k8s is not configured for action restart (allowed: scale_up)');
    await expect(registry.dispatch({ ...dispatch, namespace: 'kube-system' })).rejects.toThrow("'namespace' is not a known field");
    const dry = await registry.dispatch({ ...dispatch, idempotencyKey: 'inc-10:scale_up', dryRun: true });
    expect(dry).toMatchObject({ status: 'skipped', message: 'dry run: would scale deployment staging/web-1 by 1' });
    expect(api.deployment('staging', 'web-1')?.spec.replicas).toBe(2);
  });
});
