/**
 * Fast NAB evaluation for development: runs `detectCsv` in this process over every file of
 * /work/shared/data/nab-dev (or --nab DIR) and scores with the shared NAB scorer. Same code
 * path as `x0 detect` minus process start-up; the official numbers come from tools/eval/nab.mjs.
 *
 *   npx tsx tools/eval/nab-inprocess.ts [--nab DIR] [--per-file] [--categories] [--opt name=value ...]
 *
 * --opt sets a detector option (e.g. --opt refractorySamples=50 --opt baselineHorizon=8000).
 */
import fs from 'node:fs';
import path from 'node:path';
import { detectorOptions, scoreCsv } from './in-process';

const args = process.argv.slice(2);
const nab = args.includes('--nab') ? args[args.indexOf('--nab') + 1] : '/work/shared/data/nab-dev';
const scorerDir = process.env.NAB_TOOLS ?? '/work/shared/tools/nab';
const detector = detectorOptions(args);

async function main(): Promise<void> {
  const score = await import(path.join(scorerDir, 'score.mjs'));
  const P = score.resolvePaths({ nab });
  const profiles = score.loadProfiles(P.profilesFile);
  const rels: string[] = score.selectFiles(P.labelsFile, {});
  const corpus = score.loadCorpus({ dataDir: P.dataDir, labelsFile: P.labelsFile, files: rels });
  const scores = new Map<string, Float64Array>();
  const t0 = Date.now();
  for (const rel of rels) {
    const e = corpus.get(rel);
    const vals = await scoreCsv(fs.readFileSync(path.join(P.dataDir, rel)), e.probation, detector);
    if (vals.length !== e.n) throw new Error(`${rel}: ${vals.length} scores for ${e.n} rows`);
    scores.set(rel, Float64Array.from(vals));
  }
  const ms = Date.now() - t0;
  const res = score.evaluate(corpus, scores, profiles, { perFile: true });
  console.log(`scored ${rels.length} files in ${(ms / 1000).toFixed(1)} s`);
  console.log(score.formatReport({ x0: res }, { perCategory: args.includes('--categories') }));
  if (args.includes('--per-file')) {
    const thr = res.standard.threshold;
    for (const rel of rels) {
      const e = corpus.get(rel);
      const a = scores.get(rel)!;
      const lab = new Uint8Array(e.n);
      for (const [s, t] of e.windows) for (let k = s; k <= t; k++) lab[k] = 1;
      let maxIn = 0, maxOut = 0, fp = 0;
      for (let k = e.probation; k < e.n; k++) {
        if (lab[k]) maxIn = Math.max(maxIn, a[k]);
        else { maxOut = Math.max(maxOut, a[k]); if (a[k] >= thr) fp++; }
      }
      const pf = res.standard.perFile[rel];
      console.log(`${rel.padEnd(56)} win ${pf.detected}/${e.windows.length} fp ${String(fp).padStart(3)} maxIn ${maxIn.toFixed(3)} maxOut ${maxOut.toFixed(3)} score ${pf.score.toFixed(2)}`);
      if (args.includes('--detail')) {
        // windows: first flagged row (offset into the window) and its TP weight; FPs: row, cost, score
        const w = score.rowWeights(e, profiles.standard.CostMatrix);
        for (const [s0, t0] of e.windows) {
          let first = -1;
          for (let k = s0; k <= t0; k++) if (a[k] >= thr) { first = k; break; }
          let mx = 0, at = -1;
          for (let k = s0; k <= t0; k++) if (a[k] > mx) { mx = a[k]; at = k; }
          console.log(`    window [${s0}, ${t0}] len ${t0 - s0 + 1}: ${first >= 0 ? `first +${first - s0} weight ${w.weight[first].toFixed(2)}` : 'MISSED'} max ${mx.toFixed(3)} at +${at - s0}`);
        }
        const fps: string[] = [];
        for (let k = e.probation; k < e.n; k++) if (!lab[k] && a[k] >= thr) fps.push(`${k}(${w.weight[k].toFixed(3)}, ${a[k].toFixed(2)})`);
        if (fps.length) console.log(`    FP rows: ${fps.join(' ')}`);
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
