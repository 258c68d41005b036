/**
 * Which LoRA configuration should execute's action-parameter adapters use? Trains one adapter
 * per synthetic component for each configuration and compares how well each picks parameters.
 *
 *   npx tsx tools/eval/action-params-rank.ts [--components 16] [--outcomes 60] [--seeds 77,78,79,80] [--only 0,2]
 *                                            [--config '{"label":"…","rank":1,"layers":[1,2],"impliedWeight":"grid","base":"file.json"}' …]
 *
 * --config replaces the built-in configurations (keys: label, rank — 0 for the base alone —,
 * layers, epochs, learningRate, alpha, batchSize, impliedWeight, base, target, seedOffset).
 *
 * Components: @x0/action-params `priorComponents(n, seed)` (each needs its own step for every
 * parametrised action). Per component: an adapter of the base trained on `outcomes` simulated
 * outcomes (`fineTuneAdapter`), then for each action and severity 1 and 2:
 * - exact: the advisor's pick is the component's need (the mildest step that works);
 * - enough: the pick is at least the need (the action works; above it, it over-scales);
 * and the log-loss of P(recovered) on 100 held-out outcomes of the component (the base's for
 * comparison). Trainable fraction = adapter parameters / base parameters.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { evaluate, fineTuneAdapter, loadShippedBase, PARAM_ACTIONS, priorComponents, simulateTrajectories, suggestFrom, type ShippedArtifacts } from '@x0/action-params';
import { loadAdapter, selectBackend } from '@x0/lora';

interface Config {
  label: string;
  rank: number;
  layers?: number[];
  epochs?: number;
  learningRate?: number;
  alpha?: number;
  /** Base model artifacts file (default: the shipped base). */
  base?: string;
  /** Pick threshold (default 0.8). */
  target?: number;
  /** Adapter seed offset (default 0: seed i + 1 for component i). */
  seedOffset?: number;
  batchSize?: number;
  /** Loss weight of implied rows (default: fineTuneAdapter's, 'grid'). */
  impliedWeight?: number | 'grid';
}

/** The base x0 shipped before November 2026 (Dense 5 → 32 → 32 → 1, 1,281 parameters), kept for comparison. */
const BASE32 = path.join(__dirname, 'action-params-base32.json');

const CONFIGS: Config[] = [
  { label: 'production: shipped base (64 units), rank 1 on hidden 2 + output, implied rows weighted 1/(grid − 1)', rank: 1 },
  { label: 'before November 2026: 32-unit base, rank 4 on every layer, implied rows weight 1', rank: 4, layers: [0, 1, 2], impliedWeight: 1, base: BASE32 },
  { label: '32-unit base, rank 4 on every layer, implied weighted', rank: 4, layers: [0, 1, 2], base: BASE32 },
  { label: '32-unit base, rank 1 on hidden 2, Adam 0.05, implied weighted', rank: 1, layers: [1], learningRate: 0.05, base: BASE32 },
  { label: 'shipped base, rank 4 on every layer, implied rows weight 1', rank: 4, layers: [0, 1, 2], impliedWeight: 1 },
  { label: 'shipped base, rank 1 on hidden 2 + output, implied rows weight 1', rank: 1, impliedWeight: 1 },
  { label: 'shipped base alone', rank: 0 },
];

function loadBase(file?: string): Promise<tf.LayersModel> {
  return loadShippedBase(file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ShippedArtifacts) : undefined);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      components: { type: 'string', default: '16' },
      outcomes: { type: 'string', default: '60' },
      seed: { type: 'string' },
      seeds: { type: 'string', default: '77' },
      only: { type: 'string' },
      config: { type: 'string', multiple: true },
    },
  });
  const backend = await selectBackend();
  const seeds = (values.seed ?? values.seeds).split(',').map(Number);
  let configs = values.only ? values.only.split(',').map((i) => CONFIGS[Number(i)]) : CONFIGS;
  if (values.config) configs = values.config.map((c) => JSON.parse(c) as Config);
  const perComponent = Number(values.outcomes);
  console.log(`backend ${backend}; ${values.components} components (seeds ${seeds.join(',')}), ${perComponent} outcomes each\n`);
  console.log(`| configuration | trainable / base | ${seeds.map((s) => `seed ${s} exact/enough`).join(' | ')} | total exact | total enough | held-out log-loss (base) | mean P(need) | mean P(need − 1 step) | exact when the need is the mildest step | adapters with held-out log-loss below the base's | ms/adapter |`);
  console.log(`|---|---|${seeds.map(() => '---|').join('')}---|---|---|---|---|---|---|---|`);
  for (const cfg of configs) {
    const base = await loadBase(cfg.base);
    let exactAll = 0;
    let enoughAll = 0;
    let totalAll = 0;
    let logLoss = 0;
    let baseLogLoss = 0;
    let fraction = 0;
    let adapters = 0;
    let ms = 0;
    let pNeed = 0;
    let pBelow = 0;
    let nBelow = 0;
    let mildExact = 0;
    let mildTotal = 0;
    let beatsBase = 0;
    const cells: string[] = [];
    for (const seed of seeds) {
      const comps = priorComponents(Number(values.components), seed);
      let exact = 0;
      let enough = 0;
      let total = 0;
      for (const [i, c] of comps.entries()) {
        const t0 = performance.now();
        // rank 0: the base alone (no adapter)
        const trained =
          cfg.rank === 0
            ? undefined
            : await fineTuneAdapter(base, simulateTrajectories([c], perComponent, 100 + i), {
                seed: i + 1 + (cfg.seedOffset ?? 0),
                rank: cfg.rank,
                layers: cfg.layers,
                epochs: cfg.epochs,
                learningRate: cfg.learningRate,
                alpha: cfg.alpha,
                batchSize: cfg.batchSize,
                impliedWeight: cfg.impliedWeight,
              });
        ms += performance.now() - t0;
        adapters++;
        if (trained) fraction = trained.trainableParams / trained.baseParams;
        const model = trained ? await loadAdapter(base, trained.adapter) : base;
        const held = simulateTrajectories([c], 100, 500 + i);
        const bl = evaluate(base, held).logLoss;
        const ll = trained ? evaluate(model, held).logLoss : bl;
        logLoss += ll;
        baseLogLoss += bl;
        if (ll < bl) beatsBase++;
        for (const action of PARAM_ACTIONS) {
          for (const severity of [1, 2]) {
            const s = suggestFrom(model, action, { score: 0.8, severity }, { targetProbability: cfg.target });
            total++;
            if (s.curve[0].value === c.needs[action]) {
              mildTotal++;
              if (s.value === c.needs[action]) mildExact++;
            }
            if (s.value === c.needs[action]) exact++;
            const needAt = s.curve.findIndex((p) => p.value === c.needs[action]);
            if (s.curve.findIndex((p) => p.value === s.value) >= needAt) enough++;
            pNeed += s.curve[needAt].probability;
            if (needAt > 0) {
              pBelow += s.curve[needAt - 1].probability;
              nBelow++;
            }
          }
        }
        if (trained) {
          model.dispose();
          trained.adapter.dispose();
        }
      }
      cells.push(`${exact}/${enough}`);
      exactAll += exact;
      enoughAll += enough;
      totalAll += total;
    }
    base.dispose();
    console.log(`| ${cfg.label} | ${fraction.toFixed(4)} | ${cells.join(' | ')} | ${exactAll}/${totalAll} | ${enoughAll}/${totalAll} (under ${totalAll - enoughAll}) | ${(logLoss / adapters).toFixed(3)} (${(baseLogLoss / adapters).toFixed(3)}) | ${(pNeed / totalAll).toFixed(3)} | ${(pBelow / nBelow).toFixed(3)} | ${mildExact}/${mildTotal} | ${beatsBase}/${adapters} | ${(ms / adapters).toFixed(0)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
