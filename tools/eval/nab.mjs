#!/usr/bin/env node
/**
 * NAB evaluation of the anomaly detector: runs the detector command over every file of the
 * NAB dev half with the shared harness (/work/shared/tools/nab/run_detector.mjs) and prints
 * the three NAB profiles (standard, reward_low_FP_rate, reward_low_FN_rate).
 *
 *   node tools/eval/nab.mjs                 # detector: npx x0 detect
 *   node tools/eval/nab.mjs --tsx           # detector: node --import tsx tools/detect/detect.ts
 *   node tools/eval/nab.mjs --bundle        # same code bundled once with esbuild (no per-file TS compile)
 *   node tools/eval/nab.mjs --cmd "..."     # any command (CSV on stdin, scores on stdout)
 *   options: --name NAME (results folder name, default x0) --out DIR (default /tmp/nab-results)
 *            --nab DIR (default /work/shared/data/nab-dev or $NAB_ROOT) --jobs N
 *            --tools DIR (default /work/shared/tools/nab or $NAB_TOOLS)
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { detectorCommand, root } from './detector-command.mjs';

const { values } = parseArgs({
  options: {
    cmd: { type: 'string' },
    tsx: { type: 'boolean', default: false },
    bundle: { type: 'boolean', default: false },
    name: { type: 'string', default: 'x0' },
    out: { type: 'string', default: '/tmp/nab-results' },
    nab: { type: 'string', default: process.env.NAB_ROOT ?? '/work/shared/data/nab-dev' },
    tools: { type: 'string', default: process.env.NAB_TOOLS ?? '/work/shared/tools/nab' },
    jobs: { type: 'string' },
  },
});
const cmd = detectorCommand(values);
const args = [path.join(values.tools, 'run_detector.mjs'), '--name', values.name, '--out', values.out, '--nab', values.nab];
if (values.jobs) args.push('--jobs', values.jobs);
args.push('--cmd', `cd ${JSON.stringify(root)} && ${cmd}`);
console.error(`detector: ${cmd}`);
const t0 = Date.now();
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
console.error(`total wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
