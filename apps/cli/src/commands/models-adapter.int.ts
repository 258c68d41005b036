/**
 * `x0 models promote|rollback` of a component's adapter as an operator runs them (a child
 * process on the TypeScript sources), against a real nats-server and model registry behind a
 * gRPC trainer that answers as the trainer service does (its ModelVersion carries the lineage:
 * libs/trainer-service/src/model-api.ts). An adapter made champion while the base's champion is
 * another version than the one it was trained on is not applied by the monitor: x0 says so.
 */
import { ModelVersion } from '@x0/contracts';
import type { ModelRegistry, ModelVersionView } from '@x0/model-registry';
import { runX0, startRegistryTrainer, type StandInTrainer } from './cli-testing';

jest.setTimeout(60_000);

let t: StandInTrainer;
let registry: ModelRegistry;

const x0 = (args: string[]) => runX0(args, { natsUrl: t.nats.url, grpcAddress: t.address });

const view = (v: ModelVersionView) => {
  const lineage: Record<string, string> = {};
  if (v.component) lineage['component'] = v.component;
  for (const [k, val] of Object.entries(v.lineage.config ?? {})) lineage[k] = typeof val === 'string' ? val : JSON.stringify(val);
  return ModelVersion.fromPartial({ model: v.model, version: v.version, aliases: v.aliases, createdMs: v.createdMs, sizeBytes: v.sizeBytes, lineage });
};

beforeAll(async () => {
  ({ t, registry } = await startRegistryTrainer(view));
  const artifacts = { modelTopology: {}, weightSpecs: [], weightData: new Uint8Array(8).buffer, format: 'layers-model' };
  for (const version of ['1', '2']) await registry.register({ model: 'detector', version, artifacts, signature: { inputShape: [4] } });
  await registry.promote('detector', '1');
  // demo-db's adapter 1 trained on detector 1, 2 on detector 2
  for (const [version, baseVersion] of [['1', '1'], ['2', '2']]) {
    await registry.register({ model: 'detector--demo-db', version, component: 'demo-db', artifacts, signature: { inputShape: [4], baseModelHash: `sha256:${baseVersion}`, adapterRank: 4 }, lineage: { config: { baseVersion, component: 'demo-db' } } });
  }
  await registry.promote('detector--demo-db', '1');
});

afterAll(() => t?.stop());

describe('x0 models - a component adapter and its base', () => {
  it('promote - an adapter trained on another base than the champion: the move is made, and x0 says it is not applied and how to fix it', async () => {
    expect(await x0(['models', 'promote', 'detector--demo-db', '2'])).toEqual({
      code: 0,
      stdout:
        'detector--demo-db champion 1 → 2\n' +
        'note: detector--demo-db 2 was trained on detector 2, but the detector champion is 1: it is not applied — demo-db is served by the shared detector model until its adapter is trained on detector 1 (x0 train detector --component demo-db)\n',
      stderr: '',
    });
    expect((await registry.alias('detector--demo-db', 'champion'))!.version).toBe('2');
  });

  it('rollback - back to the adapter trained on the champion base: no note; another alias than champion: no note', async () => {
    expect(await x0(['models', 'rollback', 'detector--demo-db'])).toEqual({ code: 0, stdout: 'detector--demo-db champion 2 → 1 (rolled back)\n', stderr: '' });
    expect(await x0(['models', 'promote', 'detector--demo-db', '2', '--alias', 'challenger'])).toEqual({ code: 0, stdout: 'detector--demo-db challenger → 2\n', stderr: '' });
    // the base moves to 2: demo-db's champion adapter (1) was trained on 1 — x0 says so
    expect(await x0(['models', 'promote', 'detector', '2'])).toEqual({
      code: 0,
      stdout:
        'detector champion 1 → 2\n' +
        'note: component adapters trained on another detector version, not applied until one trained on detector 2 serves (the trainer makes an earlier one trained on it champion again, or queues a rebase job: x0 jobs): demo-db (detector--demo-db 1, on detector 1)\n',
      stderr: '',
    });
    // adapter 2 is the one that applies now
    expect(await x0(['models', 'promote', 'detector--demo-db', 'challenger'])).toEqual({ code: 0, stdout: 'detector--demo-db champion 1 → 2 (the challenger)\n', stderr: '' });
    // back to base 1: demo-db's champion adapter 2 does not apply there
    expect((await x0(['models', 'rollback', 'detector'])).stdout).toBe(
      'detector champion 2 → 1 (rolled back)\n' +
        'note: component adapters trained on another detector version, not applied until one trained on detector 1 serves (the trainer makes an earlier one trained on it champion again, or queues a rebase job: x0 jobs): demo-db (detector--demo-db 2, on detector 2)\n',
    );
  });
});
