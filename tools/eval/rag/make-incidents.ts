/**
 * Builds the labelled incident set for `rag.ts --incidents`: incidents of known fault kinds from
 * the demo simulator, each signed by the monitor's own detector (the same code path).
 *
 *   npx tsx tools/eval/rag/make-incidents.ts [--per-kind 20] [--out tools/eval/rag/incidents.json]
 *
 * For every fault kind and every component kind it fits, components with their own random
 * baselines learn 300 healthy samples; then the fault starts, and the incident's signature is
 * what the monitor puts on the Anomaly at the first alarming sample of the fault: the detector's
 * window shape plus the deviations from the baseline (`incidentSignature`). Deterministic for a given seed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAnomalyDetector, SIGNATURE_DIM } from '@x0/anomaly';
import { FAULT_KINDS, applyFault, faultFits, healthyValues, rng } from '@x0/demo';
import { incidentSignature, metricZScores } from '@x0/monitor-service';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'per-kind': { type: 'string', default: '20' }, out: { type: 'string', default: path.join(__dirname, 'incidents.json') }, seed: { type: 'string', default: '42' } },
  });
  const perKind = Number(values['per-kind']);
  const rand = rng(Number(values.seed));
  const detector = await createAnomalyDetector({ warmupSamples: 300 });
  const incidents: Array<{ id: string; kind: string; component: string; signature: number[] }> = [];
  let missed = 0;
  for (const fault of FAULT_KINDS) {
    const kinds = ['web', 'db', 'queue'].filter((k) => faultFits(fault, k));
    for (let n = 0; n < perKind; n++) {
      const componentKind = kinds[n % kinds.length];
      const component = `${fault}-${n}`;
      // Each component has its own phase in the daily cycle and its own start time.
      const t0 = Math.floor(rand() * 86_400) * 1000;
      for (let i = 0; i < 300; i++) {
        const timeMs = t0 + i * 1000;
        detector.scoreBatch([{ component, timeMs, values: new Map(Object.entries(healthyValues(componentKind, timeMs / 1000, rand))) }]);
      }
      let signature: Float32Array | undefined;
      for (let i = 0; i < 30 && !signature; i++) {
        const timeMs = t0 + (300 + i) * 1000;
        const v = applyFault(fault, healthyValues(componentKind, timeMs / 1000, rand), i + 1);
        const [d] = detector.scoreBatch([{ component, timeMs, values: new Map(Object.entries(v)) }]);
        if (d.severity !== 'none' && d.signature.some((x) => x !== 0)) {
          // As the monitor signs an Anomaly: the window shape plus the deviations from the baseline.
          const status = detector.status(component)!;
          const base = new Map(status.metrics.map((m) => [m.metric, { mean: m.mean, std: m.std }]));
          signature = incidentSignature(d.signature, metricZScores(new Map(Object.entries(v)), (m) => base.get(m)));
        }
      }
      detector.remove(component);
      if (!signature) {
        missed++;
        continue;
      }
      incidents.push({ id: `inc_${component}`, kind: fault, component: `${componentKind}-${n}`, signature: Array.from(signature, (x) => Math.round(x * 1e5) / 1e5) });
    }
  }
  detector.dispose();
  fs.writeFileSync(values.out!, JSON.stringify({ dim: SIGNATURE_DIM, generator: 'tools/eval/rag/make-incidents.ts', seed: Number(values.seed), incidents }) + '\n');
  console.log(`wrote ${incidents.length} incidents (${missed} faults not detected within 30 samples) to ${path.relative(process.cwd(), values.out!)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
