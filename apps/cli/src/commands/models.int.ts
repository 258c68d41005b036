/**
 * `x0 models show|promote|rollback` as an operator runs them (a child process on the TypeScript
 * sources), against a real nats-server and model registry behind a gRPC trainer that answers
 * as the trainer service does (libs/trainer-service/src/trainer-service.ts).
 */
import { ModelVersion } from '@x0/contracts';
import { NotFoundError } from '@x0/core';
import type { ModelRegistry, ModelVersionView } from '@x0/model-registry';
import { runX0, startRegistryTrainer, unary, type StandInTrainer } from './cli-testing';

jest.setTimeout(60_000);

let t: StandInTrainer;
let registry: ModelRegistry;

const x0 = (args: string[], natsUrl = t.nats.url) => runX0(args, { natsUrl, grpcAddress: t.address });

const view = (v: ModelVersionView) => ModelVersion.fromPartial({ model: v.model, version: v.version, aliases: v.aliases, createdMs: v.createdMs, sizeBytes: v.sizeBytes });

beforeAll(async () => {
  ({ t, registry } = await startRegistryTrainer(view, {
    getModelPerformance: unary(async () => {
      throw new NotFoundError('monitored model', 'x');
    }),
  }));
  const artifacts = { modelTopology: {}, weightSpecs: [], weightData: new Uint8Array(8).buffer, format: 'layers-model' };
  for (const version of ['1', '2', '3']) await registry.register({ model: 'detector', version, artifacts, signature: { inputShape: [4] } });
  await registry.register({ model: 'action-params', version: '1', artifacts, signature: { inputShape: [4] } });
});

afterAll(() => t?.stop());

describe('x0 models', () => {
  it('show - lists the alias history (time, alias, from → to, how, actor, reason; newest first), also in --json; without NATS it says why', async () => {
    await registry.promote('detector', '2', 'champion', { reason: 'shadow evaluation: beats 1' });
    await registry.promote('detector', '3', 'champion', { reason: 'looks better', actor: 'bob' });
    expect(await x0(['models', 'rollback', 'detector', '--reason', 'accuracy low on 3', '--actor', 'alice'])).toEqual({ code: 0, stdout: 'detector champion 3 → 2 (rolled back)\n', stderr: '' });

    const text = await x0(['models', 'show', 'detector']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    const lines = text.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('alias history'));
    expect(lines.slice(at + 2, at + 5).map((l) => l.trim().split(/\s{2,}/).slice(1))).toEqual([
      ['champion', '3 → 2', 'rollback', 'alice', 'accuracy low on 3'],
      ['champion', '2 → 3', 'promote', 'bob', 'looks better'],
      ['champion', '- → 2', 'promote', '-', 'shadow evaluation: beats 1'],
    ]);

    const json = JSON.parse((await x0(['models', 'show', 'detector', '--json'])).stdout) as { aliasHistory: Array<Record<string, unknown>> };
    expect(json.aliasHistory[0]).toMatchObject({ alias: 'champion', type: 'rollback', previousVersion: '3', version: '2', actor: 'alice', reason: 'accuracy low on 3' });
    expect(json.aliasHistory).toHaveLength(3);

    const offline = await x0(['models', 'show', 'detector'], 'nats://127.0.0.1:1');
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^alias history: not available \(NATS: .+\)$/m);
  });

  it('promote - names the previous holder; promoting the current holder says nothing changed (exit 0) and moves nothing', async () => {
    await registry.promote('detector', '1', 'champion');
    const moves = (await registry.alias('detector', 'champion'))!.history.length;
    expect(await x0(['models', 'promote', 'detector', '1'])).toEqual({ code: 0, stdout: 'detector champion is already 1: nothing changed\n', stderr: '' });
    expect((await registry.alias('detector', 'champion'))!.history).toHaveLength(moves);
    expect(await x0(['models', 'promote', 'detector', '3', '--reason', 'better'])).toEqual({ code: 0, stdout: 'detector champion 1 → 3\n', stderr: '' });
    expect(await x0(['models', 'promote', 'action-params', '1', '--alias', 'canary'])).toEqual({ code: 0, stdout: 'action-params canary → 1\n', stderr: '' });
  });

  it('promote - takes an alias as the version to promote (resolved as show resolves it)', async () => {
    await registry.promote('detector', '1', 'champion');
    await registry.promote('detector', '2', 'challenger');
    expect(await x0(['models', 'promote', 'detector', 'challenger'])).toEqual({ code: 0, stdout: 'detector champion 1 → 2 (the challenger)\n', stderr: '' });
    expect((await registry.alias('detector', 'champion'))!.version).toBe('2');
    expect(await x0(['models', 'promote', 'detector', 'challenger'])).toEqual({ code: 0, stdout: 'detector champion is already 2 (the challenger): nothing changed\n', stderr: '' });
  });

  it('unknown model - show, promote and rollback all say it as ls does (exit 1); an unknown version or alias of a known model as the registry says it', async () => {
    const unknown = { code: 1, stdout: '', stderr: "x0: model 'nosuch' not found; known: action-params, detector\n" };
    for (const args of [['ls', 'nosuch'], ['show', 'nosuch'], ['promote', 'nosuch', '1'], ['promote', 'nosuch', 'challenger'], ['rollback', 'nosuch'], ['rollback', 'nosuch', '--alias', 'canary']]) {
      expect([args, await x0(['models', ...args])]).toEqual([args, unknown]);
    }
    expect(await x0(['models', 'promote', 'detector', '9'])).toEqual({ code: 1, stdout: '', stderr: "x0: model version 'detector@9' not found\n" });
    expect(await x0(['models', 'rollback', 'detector', '--alias', 'nope'])).toEqual({ code: 1, stdout: '', stderr: "x0: model alias 'detector@nope' not found\n" });
  });
});
