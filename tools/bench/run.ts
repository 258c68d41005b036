/**
 * `npm run bench [-- <name> ...]`: runs every tools/bench/<name>.bench.ts (or the named ones)
 * one after another, each in its own Node process, and prints one JSON line per figure:
 *   {"bench":"<name>","value":<number>,"unit":"<unit>"}
 * A process per file keeps one benchmark's heap, JIT state and tfjs backend out of the next
 * one's timings (in one shared process the monitor's batch p99 doubled after the LoRA and loop
 * benchmarks had run). Progress and errors go to stderr; a failing benchmark is reported and
 * the rest still run (exit code 1 at the end).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Runs one benchmark file in a child process (same Node and tsx loader); resolves with its exit code. */
function runFile(file: string): Promise<number> {
  return new Promise((resolve) => {
    // process.execArgv carries tsx's loader flags, so the child runs TypeScript the same way.
    const child = spawn(process.execPath, [...process.execArgv, file], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      process.stderr.write(`bench: cannot start ${file}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .filter((name) => wanted.length === 0 || wanted.includes(name))
    .sort();
  if (wanted.length > 0 && files.length !== wanted.length) {
    process.stderr.write(`unknown benchmark(s): ${wanted.filter((w) => !files.includes(w)).join(', ')}; have: ${fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).join(', ')}\n`);
    process.exit(2);
  }
  let failed = 0;
  for (const name of files) {
    const started = Date.now();
    process.stderr.write(`bench: ${name} ...\n`);
    const code = await runFile(path.join(__dirname, `${name}.bench.ts`));
    if (code === 0) {
      process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      failed++;
      process.stderr.write(`bench: ${name} failed (exit ${code})\n`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
