#!/usr/bin/env node
/**
 * SMD (multi-metric) evaluation of the anomaly detector with the shared harness
 * (/work/shared/tools/smd/run_smd.mjs): each machine is one CSV (training rows first,
 * NAB_PROBATION = training rows) scored as one multi-metric component. Prints point-wise F1,
 * PA F1, event recall at <= 1 false alarm/day and AUC-PR.
 *
 *   node tools/eval/smd.mjs                 # detector: npx x0 detect
 *   node tools/eval/smd.mjs --tsx           # detector: node --import tsx tools/detect/detect.ts
 *   node tools/eval/smd.mjs --bundle        # same code bundled once with esbuild (no per-file TS compile)
 *   node tools/eval/smd.mjs --cmd "..."     # any command
 *   options: --name NAME (default x0) --out DIR --data DIR (default /work/shared/data/smd-dev)
 *            --tools DIR (default /work/shared/tools/smd or $SMD_TOOLS) --per-machine --jobs N
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
    out: { type: 'string' },
    data: { type: 'string', default: process.env.SMD_ROOT ?? '/work/shared/data/smd-dev' },
    tools: { type: 'string', default: process.env.SMD_TOOLS ?? '/work/shared/tools/smd' },
    'per-machine': { type: 'boolean', default: false },
    jobs: { type: 'string' },
  },
});
const cmd = detectorCommand(values);
const args = [path.join(values.tools, 'run_smd.mjs'), '--name', values.name, '--data', values.data];
if (values.out) args.push('--out', values.out);
if (values.jobs) args.push('--jobs', values.jobs);
if (values['per-machine']) args.push('--per-machine');
// run_smd.mjs runs the command in its own folder: go back to the workspace first
args.push('--cmd', `cd ${JSON.stringify(root)} && ${cmd}`);
console.error(`detector: ${cmd}`);
const t0 = Date.now();
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
console.error(`total wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
