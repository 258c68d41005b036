import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { extractAdapter, loadAdapter, LoRAAdapter, readAdapter, saveAdapter } from './adapter';
import { selectBackend } from './backend';
import { fileIO } from './file-io';
import { isLoRADense } from './lora-dense';
import { applyLoRA, countParams, mergeAdapter } from './model-surgery';
import { baseModelSignature } from './signature';
import { predictArray, regressionData, smallBaseModel } from './testing';

let tmp: string;
beforeAll(async () => {
  await selectBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-lora-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function trainedLoRA(base: tf.Sequential, rank = 2): Promise<tf.Sequential> {
  const lora = applyLoRA(base, { rank, seed: 11 });
  const { x, y } = regressionData(64);
  lora.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  await lora.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  return lora;
}

function expectClose(actual: number[][], expected: number[][], digits = 5): void {
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], digits)));
}

describe('signature', () => {
  it('signature - same for a base and its LoRA wrapping, different for other weights', async () => {
    const base = smallBaseModel(1);
    const sig = baseModelSignature(base);
    expect(sig).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(baseModelSignature(await trainedLoRA(base))).toBe(sig);
    expect(baseModelSignature(smallBaseModel(1))).toBe(sig);
    expect(baseModelSignature(smallBaseModel(2))).not.toBe(sig);
  });
});

describe('adapter files', () => {
  it('save/load - an adapter round-trips through a directory with only A, B and config', async () => {
    const base = smallBaseModel();
    const lora = await trainedLoRA(base);
    const dir = path.join(tmp, 'adapter');
    const result = await saveAdapter(lora, fileIO(dir));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const names = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names).toEqual(['0/lora_a', '0/lora_b', '2/lora_a', '2/lora_b', '3/lora_a', '3/lora_b']);
    expect(json.format).toBe('x0-lora-adapter');
    expect(json.modelTopology.baseSignature).toBe(baseModelSignature(base));
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(countParams(lora).trainable * 4);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(countParams(lora).trainable * 4);

    const loaded = await loadAdapter(base, fileIO(dir));
    const { x } = regressionData(8);
    expect(predictArray(loaded, x)).toEqual(predictArray(lora, x));
    expect(loaded.layers.filter(isLoRADense).map((l) => l.rank)).toEqual([2, 2, 2]);
    x.dispose();
  });

  it('load - an adapter made for another base is rejected naming both signatures', async () => {
    const dir = path.join(tmp, 'mismatch');
    await saveAdapter(await trainedLoRA(smallBaseModel(1)), fileIO(dir));
    const other = smallBaseModel(2);
    const err = await loadAdapter(other, fileIO(dir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe(
      `LoRA adapter was trained on base model ${baseModelSignature(smallBaseModel(1))} but the given base model is ${baseModelSignature(other)}: ` +
        'load it onto the base it was trained with, or retrain the adapter on this base',
    );
  });

  it('load - a full model is not mistaken for an adapter; a missing directory is NotFound', async () => {
    const dir = path.join(tmp, 'full-model');
    await smallBaseModel().save(fileIO(dir));
    await expect(readAdapter(fileIO(dir))).rejects.toThrow(new InvalidArgumentError('artifacts', "are not a LoRA adapter (format 'layers-model', expected 'x0-lora-adapter')"));
    await expect(readAdapter(fileIO(path.join(tmp, 'nothing-here')))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('load - a LoRA model is refused as the base', async () => {
    const base = smallBaseModel();
    const adapter = extractAdapter(applyLoRA(base));
    await expect(loadAdapter(applyLoRA(base), adapter)).rejects.toThrow("'baseModel' already has LoRA layers");
    adapter.dispose();
  });

  it('model - a whole model containing LoRADense saves and loads with its adapter', async () => {
    const lora = await trainedLoRA(smallBaseModel());
    const dir = path.join(tmp, 'whole');
    await lora.save(fileIO(dir));
    const loaded = await tf.loadLayersModel(fileIO(dir));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['LoRADense', 'Dropout', 'LoRADense', 'LoRADense']);
    expect(countParams(loaded)).toEqual(countParams(lora));
    const { x } = regressionData(8);
    expect(predictArray(loaded, x)).toEqual(predictArray(lora, x));
    x.dispose();
  });

  it('merge - base + loaded adapter merged equals the trained LoRA model, and the merged model saves as plain Dense', async () => {
    const base = smallBaseModel();
    const lora = await trainedLoRA(base);
    const adapter = extractAdapter(lora);
    const merged = mergeAdapter(await loadAdapter(base, adapter));
    adapter.dispose();
    const dir = path.join(tmp, 'merged');
    await merged.save(fileIO(dir));
    const reloaded = await tf.loadLayersModel(fileIO(dir));
    expect(reloaded.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'Dense', 'Dense']);
    const { x } = regressionData(8);
    expectClose(predictArray(reloaded, x), predictArray(lora, x));
    x.dispose();
  });

  it('artifacts - fromArtifacts rejects weights that do not match the config', () => {
    const adapter = extractAdapter(applyLoRA(smallBaseModel(), { rank: 2 }));
    const artifacts = adapter.toArtifacts();
    (artifacts.modelTopology as { layers: Array<{ rank: number }> }).layers[0].rank = 3;
    expect(() => LoRAAdapter.fromArtifacts(artifacts)).toThrow("'layers[0].a' has shape [2,6], expected [3,6]");
    expect(adapter.rank).toBe(2);
    expect(adapter.paramCount).toBe(2 * 6 + 12 * 2 + 2 * 12 + 8 * 2 + 2 * 8 + 3 * 2);
    adapter.dispose();
  });
});

describe('tensor leaks', () => {
  it('leaks - predict, extract, load, merge and dispose leave numTensors unchanged', async () => {
    const base = smallBaseModel();
    const adapter = extractAdapter(applyLoRA(base, { rank: 2, seed: 1 }));
    const { x } = regressionData(4);
    const cycle = async () => {
      const lora = await loadAdapter(base, adapter);
      predictArray(lora, x);
      const extracted = extractAdapter(lora);
      extracted.toArtifacts();
      extracted.dispose();
      const merged = mergeAdapter(lora);
      predictArray(merged, x);
      baseModelSignature(merged);
      lora.dispose();
      merged.dispose();
    };
    await cycle(); // warm-up: backend kernels, caches
    const before = tf.memory().numTensors;
    await cycle();
    await cycle();
    expect(tf.memory().numTensors).toBe(before);
    adapter.dispose();
    x.dispose();
  });
});
