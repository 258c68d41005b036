/**
 * Trains the shipped action-parameters base model on a synthetic prior and writes
 * libs/action-params/src/base-model.json (tfjs artifacts; weights base64). The data and the
 * initial weights are seeded; tfjs shuffles the batches with Math.random, so two runs give
 * slightly different weights (of the same quality). Downloads nothing.
 *
 *   npx tsx libs/action-params/scripts/train-base.ts [--components 400] [--incidents 40] [--epochs 40]
 *                                                    [--units 64] [--seed 1] [--out file.json]
 *
 * Prior: components whose needed remedy is skewed to mild steps (40 % recover with the
 * mildest value, 10 % need the strongest), one grid step more for high-severity incidents,
 * 95 % / 5 % recovery above / below the need (see synthetic.ts). The trainer fine-tunes
 * per-component LoRA adapters of this base on real outcomes.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@x0/lora';
import { createBaseModel, evaluate, fitModel, HIDDEN_UNITS, priorComponents, simulateTrajectories, suggestFrom } from '../src';

const args = process.argv.slice(2);
const arg = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);

async function main(): Promise<void> {
  const backend = await selectBackend();
  const components = priorComponents(arg('--components', 400), 20260127);
  const train = simulateTrajectories(components, arg('--incidents', 40), 11);
  const test = simulateTrajectories(priorComponents(100, 99), 20, 12);
  const model = createBaseModel(arg('--seed', 1), arg('--units', HIDDEN_UNITS));
  const t0 = Date.now();
  await fitModel(model, train, {
    epochs: arg('--epochs', 40),
    batchSize: 512,
    learningRate: 0.005,
    onEpoch: (e, loss) => {
      if (e % 10 === 9) console.error(`epoch ${e + 1}: loss ${loss.toFixed(4)} (${Date.now() - t0} ms, ${backend})`);
    },
  });
  console.error('held-out', evaluate(model, test));
  for (const action of ['scale_up', 'throttle']) {
    for (const severity of [1, 2, 3]) {
      const s = suggestFrom(model, action, { score: 0.9, severity });
      console.error(`${action} severity ${severity}: ${s.param}=${s.value} p=${s.probability.toFixed(2)}`);
    }
  }
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  const weightData = Buffer.from(tf.io.CompositeArrayBuffer.join(saved!.weightData!)).toString('base64');
  const out = { format: 'layers-model', modelTopology: saved!.modelTopology, weightSpecs: saved!.weightSpecs, weightData };
  const file = args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(__dirname, '../src/base-model.json');
  fs.writeFileSync(file, `${JSON.stringify(out)}\n`);
  console.error(`wrote ${file} (${fs.statSync(file).size} bytes)`);
  model.dispose();
}

main();
