/**
 * `npm run bench [-- <name> ...]`: runs every tools/bench/<name>.bench.ts (or the named ones)
 * one after another and prints one JSON line per figure:
 *   {"bench":"<name>","value":<number>,"unit":"<unit>"}
 * Progress and errors go to stderr; a failing benchmark is reported and the rest still run
 * (exit code 1 at the end).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Figure } from './figure';


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
    try {
      const mod = (await import(path.join(__dirname, `${name}.bench.ts`))) as { run(): Promise<Figure[]> };
      for (const f of await mod.run()) process.stdout.write(`${JSON.stringify({ bench: f.bench, value: f.value, unit: f.unit })}\n`);
      process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed++;
      process.stderr.write(`bench: ${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
