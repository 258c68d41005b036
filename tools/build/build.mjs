#!/usr/bin/env node
/**
 * Bundles every app (apps/<name>/src/main.ts) into dist/apps/<name>/main.js with esbuild:
 * the workspace libraries are inlined (resolved through tsconfig paths), npm dependencies
 * stay external and load from node_modules. Type checking is `npm run typecheck`'s job.
 *
 *   node tools/build/build.mjs [app ...]      all apps when none is named
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every bare import except the workspace's own `@x0/*` libraries loads from node_modules. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@x0/') ? undefined : { path: args.path, external: true }));
  },
};

const wanted = process.argv.slice(2);
const apps = fs
  .readdirSync(path.join(root, 'apps'))
  .filter((name) => fs.existsSync(path.join(root, 'apps', name, 'src/main.ts')))
  .filter((name) => wanted.length === 0 || wanted.includes(name));
if (wanted.length > 0 && apps.length !== wanted.length) {
  console.error(`unknown app(s): ${wanted.filter((w) => !apps.includes(w)).join(', ')}`);
  process.exit(2);
}

const started = Date.now();
await Promise.all(
  apps.map((name) =>
    build({
      entryPoints: [path.join(root, 'apps', name, 'src/main.ts')],
      outfile: path.join(root, 'dist/apps', name, 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      plugins: [externalPackages],
      tsconfig: path.join(root, 'tsconfig.json'),
      logLevel: 'warning',
      legalComments: 'none',
    }),
  ),
);
console.log(`built ${apps.length} app(s) into dist/apps in ${Date.now() - started} ms: ${apps.join(', ')}`);
