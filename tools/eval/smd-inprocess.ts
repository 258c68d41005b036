/**
 * Fast SMD evaluation for development: runs `detectCsv` in worker processes (one machine each,
 * `--jobs` at a time) over /work/shared/data/smd-dev (or --data DIR) and scores with the shared
 * SMD metrics (one global threshold across machines). Same code path as `x0 detect` minus the
 * CSV round trip through a pipe; the official numbers come from tools/eval/smd.mjs.
 *
 *   npx tsx tools/eval/smd-inprocess.ts [--data DIR] [--jobs N] [--machines a,b] [--per-machine]
 *                                       [--leave-one-out] [--save NAME] [--opt name=value ...]
 *
 * --leave-one-out also prints, per machine, the events and false alarms at the threshold that the
 * other machines choose (best event recall within one false alarm a day): how the one global
 * threshold transfers to a machine it was not chosen on.
 *
 * --save NAME writes the test scores to $TMPDIR/smd-results/NAME/<machine>.txt, so
 * `node /work/shared/tools/smd/run_smd.mjs --name NAME --reuse` rescores them.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectorOptions, scoreCsv } from './in-process';

const args = process.argv.slice(2);
const arg = (name: string, dflt?: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const data = arg('--data', process.env.SMD_ROOT ?? '/work/shared/data/smd-dev')!;
const tools = process.env.SMD_TOOLS ?? '/work/shared/tools/smd';
const detector = detectorOptions(args);

/** Child: scores one machine, sends the test scores back as a Float64Array buffer. */
async function child(machine: string): Promise<void> {
  const { buildCsv } = await import(path.join(tools, 'run_smd.mjs'));
  const read = (d: string) => fs.readFileSync(path.join(data, d, `${machine}.txt`), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const train = read('train');
  const test = read('test');
  const t0 = Date.now();
  const vals = (await scoreCsv(buildCsv(train, test), train.length, detector)).slice(train.length);
  process.send!({ machine, ms: Date.now() - t0, scores: vals });
}

async function main(): Promise<void> {
  const childAt = args.indexOf('--child');
  if (childAt >= 0) return child(args[childAt + 1]);
  const run = await import(path.join(tools, 'run_smd.mjs'));
  let machines = fs.readdirSync(path.join(data, 'test')).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)).sort();
  const only = arg('--machines');
  if (only) machines = machines.filter((m) => only.split(',').includes(m));
  const jobs = Number(arg('--jobs', String(Math.min(2, os.cpus().length))));
  const queue = [...machines];
  const scores = new Map<string, number[]>();
  const t0 = Date.now();
  const worker = async () => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      const machine = m;
      await new Promise<void>((resolve, reject) => {
        const c = fork(__filename, [...args, '--child', machine], { execArgv: process.execArgv });
        c.on('message', (msg: { machine: string; ms: number; scores: number[] }) => {
          scores.set(msg.machine, msg.scores);
          process.stderr.write(`${msg.machine}: ${(msg.ms / 1000).toFixed(1)} s\n`);
        });
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${machine}: exit ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  const series = machines.map((m) => {
    const labels = fs.readFileSync(path.join(data, 'test_label', `${m}.txt`), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => (Number(l) > 0.5 ? 1 : 0));
    return { name: m, scores: Float64Array.from(scores.get(m)!), labels: Uint8Array.from(labels) };
  });
  const save = arg('--save');
  if (save) {
    const dir = path.join(os.tmpdir(), 'smd-results', save);
    fs.mkdirSync(dir, { recursive: true });
    for (const s of series) fs.writeFileSync(path.join(dir, `${s.name}.txt`), Array.from(s.scores, String).join('\n') + '\n');
  }
  const rep = run.evaluate(series, 20, 1);
  console.log(`scored ${machines.length} machines in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(run.formatReport('x0', rep, { perMachine: args.includes('--per-machine') }));
  if (args.includes('--leave-one-out')) {
    const metrics = await import(path.join(tools, 'metrics.mjs'));
    let detected = 0;
    let events = 0;
    let falseAlarms = 0;
    for (const held of series) {
      const { threshold } = metrics.recallAtAlarmBudget(series.filter((s) => s !== held), 1);
      const e = metrics.eventsAt([held], threshold);
      detected += e.detected;
      events += e.events;
      falseAlarms += e.falseAlarms;
      console.log(`leave-one-out ${held.name}: threshold ${threshold.toFixed(4)} from the others, ${e.detected}/${e.events} events, ${e.falseAlarms} false alarms`);
    }
    console.log(`LEAVE-ONE-OUT ${detected}/${events} events, ${falseAlarms} false alarms`);
  }
  const g = rep.global;
  console.log(`SUMMARY F1 ${g.point.f1.toFixed(3)} AP ${g.ap.toFixed(3)} evR@1/day ${g.eventsAtBudget.recall.toFixed(3)} meanF1 ${rep.perMachineSummary.meanF1.toFixed(3)} compF1 ${g.composite.fc1.toFixed(3)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
