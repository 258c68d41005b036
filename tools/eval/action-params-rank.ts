/**
 * Which LoRA configuration should execute's action-parameter adapters use? Trains one adapter
 * per synthetic component for each configuration and compares how well each picks parameters.
 *
 *   npx tsx tools/eval/action-params-rank.ts [--components 16] [--outcomes 60] [--seed 77]
 *
 * Components: @x0/action-params `priorComponents(n, seed)` (seed 77 by default; each needs its
 * own step for every parametrised action). Per component: an adapter of the shipped base trained on `outcomes`
 * simulated outcomes (`fineTuneAdapter`), then for each action and severity 1 and 2:
 * - exact: the advisor's pick is the component's need (the mildest step that works);
 * - enough: the pick is at least the need (the action works; above it, it over-scales);
 * and the log-loss of P(recovered) on 100 held-out outcomes of the component (the base's for
 * comparison). Trainable fraction = adapter parameters / base parameters (1,281).
 */
import { parseArgs } from 'node:util';
import { evaluate, fineTuneAdapter, loadShippedBase, PARAM_ACTIONS, priorComponents, simulateTrajectories, suggestFrom } from '@x0/action-params';
import { loadAdapter, selectBackend } from '@x0/lora';

interface Config {
  label: string;
  rank: number;
  layers?: number[];
  epochs?: number;
  learningRate?: number;
}

const CONFIGS: Config[] = [
  { label: 'rank 4, every layer, 80 epochs (production)', rank: 4 },
  { label: 'rank 4, every layer, 40 epochs', rank: 4, epochs: 40 },
  { label: 'rank 1, hidden 32×32 layer', rank: 1, layers: [1] },
  { label: 'rank 1, hidden layer, Adam 0.05', rank: 1, layers: [1], learningRate: 0.05 },
  { label: 'rank 1, first layer', rank: 1, layers: [0] },
  { label: 'rank 1, output layer', rank: 1, layers: [2] },
  { label: 'rank 1, output layer, 160 epochs', rank: 1, layers: [2], epochs: 160 },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { components: { type: 'string', default: '16' }, outcomes: { type: 'string', default: '60' }, seed: { type: 'string', default: '77' } } });
  const backend = await selectBackend();
  const base = await loadShippedBase();
  const comps = priorComponents(Number(values.components), Number(values.seed));
  const perComponent = Number(values.outcomes);
  console.log(`backend ${backend}; ${comps.length} components (seed ${values.seed}), ${perComponent} outcomes each\n`);
  console.log('| configuration | trainable / base | exact picks | enough (not under-scaled) | held-out log-loss (base) |');
  console.log('|---|---|---|---|---|');
  for (const cfg of CONFIGS) {
    let exact = 0;
    let enough = 0;
    let total = 0;
    let logLoss = 0;
    let baseLogLoss = 0;
    let fraction = 0;
    for (const [i, c] of comps.entries()) {
      const { adapter, trainableParams, baseParams } = await fineTuneAdapter(base, simulateTrajectories([c], perComponent, 100 + i), {
        seed: i + 1,
        rank: cfg.rank,
        layers: cfg.layers,
        epochs: cfg.epochs,
        learningRate: cfg.learningRate,
      });
      fraction = trainableParams / baseParams;
      const lora = await loadAdapter(base, adapter);
      const held = simulateTrajectories([c], 100, 500 + i);
      logLoss += evaluate(lora, held).logLoss;
      baseLogLoss += evaluate(base, held).logLoss;
      for (const action of PARAM_ACTIONS) {
        for (const severity of [1, 2]) {
          const s = suggestFrom(lora, action, { score: 0.8, severity });
          total++;
          if (s.value === c.needs[action]) exact++;
          if (s.curve.findIndex((p) => p.value === s.value) >= s.curve.findIndex((p) => p.value === c.needs[action])) enough++;
        }
      }
      lora.dispose();
      adapter.dispose();
    }
    const n = comps.length;
    console.log(`| ${cfg.label} | ${fraction.toFixed(5)} | ${exact}/${total} | ${enough}/${total} | ${(logLoss / n).toFixed(3)} (${(baseLogLoss / n).toFixed(3)}) |`);
  }
  base.dispose();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
