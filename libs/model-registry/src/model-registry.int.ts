import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as tf from '@tensorflow/tfjs';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { MODEL_EVENT_CODEC, MODELS_UPDATED_SUBJECT, STREAMS, type ModelEvent } from '@x0/contracts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '@x0/core';
import { applyLoRA, baseModelSignature, extractAdapter, loadAdapter, readAdapter, selectBackend } from '@x0/lora';
import { readAliasHistory } from './alias-history';
import { createModelRegistry, ModelRegistry } from './model-registry';
import type { AliasChange } from './types';

// A real server and tfjs on a shared 2-core machine: generous per-test limit, no timing assertions.
jest.setTimeout(30_000);

let server: NatsServerProcess;
let nc: NatsConnection;
let jsm: JetStreamManager;
let registry: ModelRegistry;
let now = 1_700_000_000_000;

beforeAll(async () => {
  await selectBackend();
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAMS.events.name, subjects: [...STREAMS.events.subjects] });
  registry = await createModelRegistry({ nc, clock: () => (now += 1000) });
});

afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

function tinyModel(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

function predict(model: tf.LayersModel): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor2d([[1, -2, 0.5, 3], [0, 0.1, -1, 2]])) as tf.Tensor).arraySync() as number[][]);
}

/** Model events published since stream sequence `after`, with their Nats-Msg-Id headers. */
async function eventsAfter(after: number): Promise<Array<{ msgId: string; event: ModelEvent }>> {
  const last = (await jsm.streams.info(STREAMS.events.name)).state.last_seq;
  const out: Array<{ msgId: string; event: ModelEvent }> = [];
  for (let seq = after + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.events.name, { seq });
    if (m) out.push({ msgId: m.header.get('Nats-Msg-Id'), event: MODEL_EVENT_CODEC.decode(m.data) });
  }
  return out;
}

async function lastSeq(): Promise<number> {
  return (await jsm.streams.info(STREAMS.events.name)).state.last_seq;
}

const signature = { inputShape: [4] };

describe('ModelRegistry', () => {
  it('register - stores metrics, signature and lineage, and publishes a registered event', async () => {
    const seq = await lastSeq();
    const rec = await registry.register({
      model: 'reg-basic',
      version: 'v1',
      artifacts: tinyModel(1),
      component: 'db-1',
      metrics: { accuracy: 0.91, loss: 0.12 },
      signature: { inputShape: [4], baseModelHash: 'sha256:abc', adapterRank: 8 },
      lineage: { dataWindow: { startMs: 10, endMs: 20 }, parentVersion: 'v0', config: { epochs: 3 } },
      parentEventId: 'trg_1',
    });
    expect(rec).toMatchObject({ model: 'reg-basic', version: 'v1', component: 'db-1', format: 'layers-model', aliases: [] });
    expect(rec.sizeBytes).toBeGreaterThan((4 * 8 + 8 + 8 * 2 + 2) * 4);

    const got = await registry.get('reg-basic', 'v1');
    expect(got).toEqual(rec);
    expect(got.lineage).toEqual({ dataWindow: { startMs: 10, endMs: 20 }, parentVersion: 'v0', config: { epochs: 3 } });
    expect(await registry.models()).toContain('reg-basic');

    const events = await eventsAfter(seq);
    expect(events).toHaveLength(1);
    const [{ msgId, event }] = events;
    expect(event).toEqual({
      meta: { id: msgId, parentId: 'trg_1', component: 'db-1', timeMs: rec.createdMs, source: 'trainer' },
      type: 'registered',
      model: 'reg-basic',
      version: 'v1',
      alias: '',
      previousVersion: 'v0',
      change: '',
      reason: '',
      actor: '',
    });
    expect(msgId).toMatch(/^mdl_[0-9a-f]{24}$/);
  });

  it('immutability - registering an existing version fails and keeps the original artifacts', async () => {
    const original = tinyModel(2);
    await registry.register({ model: 'reg-immut', version: '1.0.0', artifacts: original, signature });
    const err = await registry.register({ model: 'reg-immut', version: '1.0.0', artifacts: tinyModel(3), signature }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe('model reg-immut version 1.0.0 already exists; versions are immutable, register a new version');
    expect(predict(await registry.loadModel('reg-immut', '1.0.0'))).toEqual(predict(original));
  });

  it('immutability - of two concurrent registrations of one version exactly one wins, the loser leaves no objects', async () => {
    const results = await Promise.allSettled([
      registry.register({ model: 'reg-race', version: 'v1', artifacts: tinyModel(4), signature }),
      registry.register({ model: 'reg-race', version: 'v1', artifacts: tinyModel(5), signature }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toBeInstanceOf(FailedPreconditionError);
    const store = await new Objm(nc).open('x0_model_artifacts');
    const names = (await store.list()).map((o) => o.name).filter((n) => n.startsWith('reg-race/'));
    const winner = await registry.get('reg-race', 'v1');
    expect(names.sort()).toEqual([`${winner.artifactPrefix}/model.json`, `${winner.artifactPrefix}/weights.bin`]);
  });

  it('retention - prune deletes old versions no alias holds or can return to (record, artifacts and KV marker), keeps the newest; a challenger cannot roll back to a deleted version', async () => {
    const model = 'reg-prune';
    for (let v = 1; v <= 8; v++) {
      await registry.register({ model, version: String(v), artifacts: tinyModel(10 + v), signature });
      // as the trainer does: the challenger moves to every new version
      await registry.promote(model, String(v), 'challenger');
    }
    // champion 2 → 3 → 4, rolled back to 3: 2 is its rollback target, 4 in its history only; staging holds 1
    for (const v of ['2', '3', '4']) await registry.promote(model, v, 'champion');
    await registry.rollback(model, 'champion');
    await registry.promote(model, '1', 'staging');
    const store = await new Objm(nc).open('x0_model_artifacts');
    const prefixOf = new Map((await registry.list(model)).map((v) => [v.version, v.artifactPrefix]));

    expect(await registry.prune(model, 2)).toEqual({ deleted: ['5', '6'], orphaned: [] });
    expect((await registry.list(model)).map((v) => v.version)).toEqual(['1', '2', '3', '4', '7', '8']);
    const objects = (await store.list()).map((o) => o.name).filter((n) => n.startsWith(`${model}/`));
    for (const v of ['5', '6']) expect(objects.some((n) => n.startsWith(prefixOf.get(v)!))).toBe(false);
    for (const v of ['1', '2', '3', '4', '7', '8']) expect(objects.filter((n) => n.startsWith(`${prefixOf.get(v)}/`))).toHaveLength(2);
    await expect(registry.get(model, '5')).rejects.toBeInstanceOf(NotFoundError);
    // no delete markers left: the bucket's listing does not grow with deleted versions
    const kvSubjects = (await jsm.streams.info('KV_x0_models', { subjects_filter: `$KV.x0_models.v.${model}.>` })).state.subjects ?? {};
    expect(Object.keys(kvSubjects).map((k) => k.split('.').pop()).sort()).toEqual(['1', '2', '3', '4', '7', '8']);
    // nothing more to delete; the champion still rolls back to 2
    expect(await registry.prune(model, 2)).toEqual({ deleted: [], orphaned: [] });
    expect((await registry.rollback(model, 'champion')).version).toBe('2');
    // the challenger (8) rolls back to 7, which is kept; 6 is gone
    expect((await registry.rollback(model, 'challenger')).version).toBe('7');
    const err = await registry.rollback(model, 'challenger').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe("alias challenger of model reg-prune cannot roll back to version 6: it was deleted by the registry's retention (it held no alias any more)");
    await expect(registry.prune(model, 0)).rejects.toThrow("'keep' must be an integer ≥ 1, got 0");
  });

  /**
   * A second registry over the same buckets whose KV runs `meanwhile` once, right around its
   * first call of `method` on a version record of `model`: how two replicas interleave.
   */
  async function interleaved(model: string, method: 'get' | 'delete', when: 'before' | 'after', meanwhile: () => Promise<unknown>): Promise<ModelRegistry> {
    const kv = await new Kvm(nc).open('x0_models');
    const store = await new Objm(nc).open('x0_model_artifacts');
    let done = false;
    const wrapped = new Proxy(kv, {
      get(target, prop, receiver) {
        const original = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== method || typeof original !== 'function') return typeof original === 'function' ? original.bind(target) : original;
        return async (key: string, ...rest: unknown[]) => {
          const hit = !done && key.startsWith(`v.${model}.`);
          if (hit) done = true;
          if (hit && when === 'before') await meanwhile();
          const out = await (original as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
          if (hit && when === 'after') await meanwhile();
          return out;
        };
      },
    });
    return new ModelRegistry(wrapped, store, { js: jetstream(nc), subject: MODELS_UPDATED_SUBJECT, source: 'test', timeoutMs: 5000 }, () => (now += 1000));
  }

  it('retention race - a version promoted while prune deletes it gets its record back and keeps its artifacts', async () => {
    const model = 'reg-race-prune';
    for (const v of ['1', '2', '3']) await registry.register({ model, version: v, artifacts: tinyModel(30 + Number(v)), signature });
    // Between prune's look at the aliases and its delete of version 1, another replica makes 1 the champion.
    const pruner = await interleaved(model, 'delete', 'before', () => registry.promote(model, '1', 'champion'));
    expect(await pruner.prune(model, 1)).toEqual({ deleted: ['2'], orphaned: [] });
    expect((await registry.list(model)).map((v) => v.version)).toEqual(['1', '3']);
    expect((await registry.alias(model, 'champion'))?.version).toBe('1');
    const loaded = await registry.loadModel(model, '1');
    expect(predict(loaded)).toEqual(predict(tinyModel(31)));
    loaded.dispose();
  });

  it('retention race - a promotion whose version prune deleted meanwhile moves the alias back (or removes a new alias) and says why', async () => {
    const model = 'reg-race-promote';
    for (const v of ['1', '2', '3']) await registry.register({ model, version: v, artifacts: tinyModel(40 + Number(v)), signature });
    await registry.promote(model, '3', 'champion');
    // The promoting replica checks version 1's record; before it moves the alias, prune (keep 1) deletes 1 and 2.
    const promoter = await interleaved(model, 'get', 'after', () => registry.prune(model, 1));
    const err = await promoter.promote(model, '1', 'champion').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe(`model ${model} version 1 was deleted by the registry's retention while it was promoted: champion is back where it was`);
    expect((await registry.alias(model, 'champion'))?.version).toBe('3');
    expect((await registry.list(model)).map((v) => v.version)).toEqual(['3']);
    // A new alias has nowhere to go back to: it is removed.
    await registry.register({ model, version: '4', artifacts: tinyModel(44), signature });
    await registry.register({ model, version: '5', artifacts: tinyModel(45), signature });
    const again = await interleaved(model, 'get', 'after', () => registry.prune(model, 1));
    const err2 = await again.promote(model, '4', 'staging').catch((e: unknown) => e);
    expect((err2 as Error).message).toBe(`model ${model} version 4 was deleted by the registry's retention while it was promoted: the new alias staging was removed`);
    expect(await registry.alias(model, 'staging')).toBeUndefined();
    expect((await registry.list(model)).map((v) => v.version)).toEqual(['3', '5']);
  });

  it('artifacts - a tfjs model round-trips through the Object Store with the same predictions', async () => {
    const model = tinyModel(6);
    await registry.register({ model: 'reg-art', version: 'v1', artifacts: model, signature });
    const loaded = await registry.loadModel('reg-art', 'v1');
    expect(predict(loaded)).toEqual(predict(model));
    loaded.dispose();
  });

  it('artifacts - a LoRA adapter registers, loads back onto its base and predicts the same', async () => {
    const base = tinyModel(7);
    const lora = applyLoRA(base, { rank: 2, seed: 3 });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1);
    const y = tf.randomNormal([32, 2], 0, 1, 'float32', 2);
    lora.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    await lora.fit(x, y, { epochs: 2, verbose: 0 });
    const adapter = extractAdapter(lora);
    const rec = await registry.register({
      model: 'reg-adapter',
      version: 'v1',
      artifacts: adapter,
      component: 'web-1',
      signature: { inputShape: [4], baseModelHash: adapter.baseSignature, adapterRank: adapter.rank },
    });
    expect(rec.format).toBe('x0-lora-adapter');
    expect(rec.signature.baseModelHash).toBe(baseModelSignature(base));
    const restored = await readAdapter(await registry.artifacts('reg-adapter', 'v1'));
    expect(predict(await loadAdapter(base, restored))).toEqual(predict(lora));
    tf.dispose([x, y]);
    adapter.dispose();
    restored.dispose();
  });

  it('aliases - promote moves the alias, get resolves it, rollback returns to the previous holder with history kept', async () => {
    for (const v of ['v1', 'v2', 'v3']) await registry.register({ model: 'reg-alias', version: v, artifacts: tinyModel(8), signature });
    await registry.promote('reg-alias', 'v1');
    await registry.promote('reg-alias', 'v2', 'champion', { reason: 'f1 0.91 > 0.88 + 0.02' });
    await registry.promote('reg-alias', 'v3', 'challenger');
    expect((await registry.get('reg-alias', 'champion')).version).toBe('v2');
    expect((await registry.get('reg-alias', 'v2')).aliases).toEqual(['champion']);
    expect((await registry.list('reg-alias')).map((r) => [r.version, r.aliases])).toEqual([
      ['v1', []],
      ['v2', ['champion']],
      ['v3', ['challenger']],
    ]);

    const back = await registry.rollback('reg-alias', 'champion', { reason: 'error rate 0.2' });
    expect(back.version).toBe('v1');
    expect(back.history.map((h) => [h.type, h.version, h.previousVersion, h.reason])).toEqual([
      ['promote', 'v1', '', ''],
      ['promote', 'v2', 'v1', 'f1 0.91 > 0.88 + 0.02'],
      ['rollback', 'v1', 'v2', 'error rate 0.2'],
    ]);
    await expect(registry.rollback('reg-alias')).rejects.toThrow(
      new FailedPreconditionError('alias champion of model reg-alias has no earlier version to roll back to (it holds v1)'),
    );
    await expect(registry.rollback('reg-alias', 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(registry.promote('reg-alias', 'v9')).rejects.toThrow(new NotFoundError('model version', 'reg-alias@v9'));
    expect((await registry.aliases('reg-alias')).map((a) => [a.alias, a.version])).toEqual([
      ['challenger', 'v3'],
      ['champion', 'v1'],
    ]);
  });

  it('events - every alias move publishes alias_changed with a unique Nats-Msg-Id; a no-op promote publishes nothing', async () => {
    for (const v of ['a', 'b']) await registry.register({ model: 'reg-events', version: v, artifacts: tinyModel(9), signature, component: 'q-1' });
    const seq = await lastSeq();
    await registry.promote('reg-events', 'a');
    await registry.promote('reg-events', 'a'); // already there
    await registry.promote('reg-events', 'b', 'champion', { parentEventId: 'shadow_7' });
    await registry.rollback('reg-events');
    const events = await eventsAfter(seq);
    expect(events.map(({ event: e }) => [e.type, e.alias, e.version, e.previousVersion, e.meta!.component, e.meta!.parentId])).toEqual([
      ['alias_changed', 'champion', 'a', '', 'q-1', ''],
      ['alias_changed', 'champion', 'b', 'a', 'q-1', 'shadow_7'],
      ['alias_changed', 'champion', 'a', 'b', 'q-1', ''],
    ]);
    expect(new Set(events.map((e) => e.msgId)).size).toBe(3);
    events.forEach(({ msgId, event }) => expect(event.meta!.id).toBe(msgId));
  });

  it('audit - the event of an alias move and history carry how, why and who (the actor as given, the reason never split: "by design" stays the reason); readAliasHistory lists them newest first', async () => {
    for (const v of ['1', '2', '3']) await registry.register({ model: 'reg-audit', version: v, artifacts: tinyModel(11), signature });
    const seq = await lastSeq();
    await registry.promote('reg-audit', '2', 'champion', { reason: 'shadow evaluation: beats 1' });
    await registry.promote('reg-audit', '3', 'champion', { reason: 'looks better', actor: 'bob' });
    await registry.rollback('reg-audit', 'champion', { reason: 'accuracy low on 3', actor: 'Alice Smith' });
    await registry.promote('reg-audit', '1', 'challenger', { reason: 'by design' });
    const events = await eventsAfter(seq);
    expect(events.map(({ event: e }) => [e.alias, e.previousVersion, e.version, e.change, e.actor, e.reason])).toEqual([
      ['champion', '', '2', 'promote', '', 'shadow evaluation: beats 1'],
      ['champion', '2', '3', 'promote', 'bob', 'looks better'],
      ['champion', '3', '2', 'rollback', 'Alice Smith', 'accuracy low on 3'],
      ['challenger', '', '1', 'promote', '', 'by design'],
    ]);
    expect((await registry.alias('reg-audit', 'champion'))!.history.slice(-2).map((h) => [h.actor, h.reason])).toEqual([
      ['bob', 'looks better'],
      ['Alice Smith', 'accuracy low on 3'],
    ]);
    const rows = await readAliasHistory(nc, 'reg-audit', { limit: 3 });
    expect(rows.map((r) => [r.alias, r.type, r.previousVersion, r.version, r.actor, r.reason])).toEqual([
      ['challenger', 'promote', '', '1', '', 'by design'],
      ['champion', 'rollback', '3', '2', 'Alice Smith', 'accuracy low on 3'],
      ['champion', 'promote', '2', '3', 'bob', 'looks better'],
    ]);
    expect(rows[0].timeMs).toBeGreaterThan(rows[1].timeMs);
    expect(await readAliasHistory(nc, 'reg-nosuch')).toEqual([]);
    expect(await readAliasHistory(nc, 'reg-audit', { kvBucket: 'no_such_bucket' })).toEqual([]);
  });

  it('audit - readAliasHistory throws when it cannot read the bucket (here: a closed connection) instead of reporting no history', async () => {
    const closed = await connect({ servers: server.url });
    await closed.close();
    await expect(readAliasHistory(closed, 'reg-audit')).rejects.toThrow();
  });

  it('watch - delivers the current holder, then every move in order, until stopped', async () => {
    for (const v of ['v1', 'v2']) await registry.register({ model: 'reg-watch', version: v, artifacts: tinyModel(10), signature });
    await registry.promote('reg-watch', 'v1');
    const seen: AliasChange[] = [];
    let wake: () => void = () => undefined;
    const watch = await registry.watchAliases('reg-watch', 'champion', (c) => {
      seen.push(c);
      wake();
    });
    const waitFor = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => seen.length >= n && resolve();
        wake();
      });
    expect(seen.map((c) => c.version)).toEqual(['v1']); // delivered before watchAliases resolved
    await registry.promote('reg-watch', 'v2');
    await waitFor(2);
    await registry.rollback('reg-watch');
    await waitFor(3);
    expect(seen.map((c) => [c.type, c.version, c.previousVersion])).toEqual([
      ['promote', 'v1', ''],
      ['promote', 'v2', 'v1'],
      ['rollback', 'v1', 'v2'],
    ]);
    expect(watch.current).toBe('v1');
    await watch.stop();
    await watch.stop();
    await registry.promote('reg-watch', 'v2');
    await registry.alias('reg-watch', 'champion'); // a round trip: a late delivery would have arrived
    expect(seen).toHaveLength(3);
  });

  it('watchAliasedModels - one watch reports every model holding the alias now and each one that gets it later, once', async () => {
    for (const m of ['reg-many-a', 'reg-many-b', 'reg-many-c']) await registry.register({ model: m, version: 'v1', artifacts: tinyModel(12), signature });
    await registry.promote('reg-many-a', 'v1');
    await registry.promote('reg-many-b', 'v1', 'challenger');
    const reported: string[] = [];
    const watch = await registry.watchAliasedModels((m) => reported.push(m));
    // Holders at start are reported before the promise resolves; a challenger is not a champion.
    expect(reported.filter((m) => m.startsWith('reg-many-'))).toEqual(['reg-many-a']);
    expect(watch.models.has('reg-many-b')).toBe(false);
    await registry.promote('reg-many-c', 'v1');
    await registry.promote('reg-many-b', 'v1');
    const deadline = Date.now() + 5000;
    while (reported.filter((m) => m.startsWith('reg-many-')).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // A further move of an alias already known is not reported again.
    await registry.register({ model: 'reg-many-a', version: 'v2', artifacts: tinyModel(12), signature });
    await registry.promote('reg-many-a', 'v2');
    await registry.alias('reg-many-a', 'champion');
    await new Promise((r) => setTimeout(r, 100));
    expect(reported.filter((m) => m.startsWith('reg-many-'))).toEqual(['reg-many-a', 'reg-many-c', 'reg-many-b']);
    await watch.stop();
    await watch.stop();
  });

  it('watch - an alias created after the watch started is delivered; a throwing handler does not stop the watch', async () => {
    await registry.register({ model: 'reg-watch2', version: 'v1', artifacts: tinyModel(11), signature });
    await registry.register({ model: 'reg-watch2', version: 'v2', artifacts: tinyModel(11), signature });
    const versions: string[] = [];
    const errors: unknown[] = [];
    let wake: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (wake = () => versions.length === 2 && resolve()));
    const watch = await registry.watchAliases(
      'reg-watch2',
      'champion',
      (c) => {
        versions.push(c.version);
        wake();
        if (c.version === 'v1') throw new Error('hot-swap failed');
      },
      { onError: (err) => errors.push(err) },
    );
    expect(versions).toEqual([]);
    await registry.promote('reg-watch2', 'v1');
    await registry.promote('reg-watch2', 'v2');
    await done;
    expect(versions).toEqual(['v1', 'v2']);
    expect(errors).toEqual([new Error('hot-swap failed')]);
    await watch.stop();
  });

  it('validation - bad names, metrics and shapes are rejected naming the field', async () => {
    const model = tinyModel(12);
    await expect(registry.register({ model: 'a.b', version: 'v1', artifacts: model, signature })).rejects.toThrow(InvalidArgumentError);
    await expect(registry.register({ model: 'ok', version: '.v', artifacts: model, signature })).rejects.toThrow("'version' must be");
    // a component is any name x0 accepts (a subject token): refused only when it could not be one
    await expect(registry.register({ model: 'ok', version: 'v1', artifacts: model, signature, component: 'db 1' })).rejects.toThrow("'component' must not contain");
    await expect(registry.register({ model: 'ok', version: 'v1', artifacts: model, signature, component: 'a.b' })).rejects.toThrow("'component' must not contain");
    await expect(registry.register({ model: 'ok', version: 'v1', artifacts: model, signature, metrics: { f1: Number.NaN } })).rejects.toThrow(
      "'metrics.f1' must be a finite number, got NaN",
    );
    await expect(registry.register({ model: 'ok', version: 'v1', artifacts: model, signature: { inputShape: [0] } })).rejects.toThrow(
      "'signature.inputShape[0]' must be a positive integer, got 0",
    );
    await expect(registry.get('ok', 'v1')).rejects.toThrow(new NotFoundError('model version', 'ok@v1'));
  });

  it('events - when no stream takes the subject the change is committed and UnavailableError says so', async () => {
    const orphan = await createModelRegistry({ nc, subject: 'x0test.nostream.updated' });
    const err = await orphan.register({ model: 'reg-nostream', version: 'v1', artifacts: tinyModel(13), signature }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/^model reg-nostream registered was committed but its event mdl_[0-9a-f]{24} could not be published on x0test\.nostream\.updated/);
    expect((await registry.get('reg-nostream', 'v1')).version).toBe('v1');
  });
});
