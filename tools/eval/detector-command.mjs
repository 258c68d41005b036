/**
 * The detector command the evaluations run (CSV on stdin, one score per row on stdout):
 * `--cmd` as given; `--tsx`: tools/detect/detect.ts through tsx; `--bundle`: the same code
 * bundled once with esbuild (no TypeScript compile per file); default `npx x0 detect`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Resolves the command from the parsed `--cmd`, `--tsx` and `--bundle` options (exits if the bundle fails). */
export function detectorCommand({ cmd, tsx, bundle }) {
  if (cmd) return cmd;
  const entry = path.join(root, 'tools/detect/detect.ts');
  if (!bundle) return tsx ? `node --import tsx ${entry}` : 'npx x0 detect';
  // tfjs stays external: its wasm backend loads .wasm files next to its own module
  const out = path.join(root, 'tmp', 'x0-detect', 'detect.cjs');
  const b = spawnSync(path.join(root, 'node_modules', '.bin', 'esbuild'), [entry, '--bundle', '--platform=node', '--target=node20', '--external:@tensorflow/*', `--tsconfig=${path.join(root, 'tsconfig.base.json')}`, `--outfile=${out}`, '--log-level=warning'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
  return `node ${out}`;
}
