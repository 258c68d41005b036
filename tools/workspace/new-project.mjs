#!/usr/bin/env node
/**
 * Scaffolds an Nx project in this workspace: package.json (npm workspace), project.json
 * (tags and targets), jest.config.js, README.md and src/index.ts, and registers the
 * `@x0/<name>` import path in tsconfig.base.json.
 *
 *   node tools/workspace/new-project.mjs lib <name> --scope <scope> [--type lib|util|contracts] [--description "..."]
 *   node tools/workspace/new-project.mjs app <name> --scope <scope> [--description "..."]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scope: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' } },
});
const [kind, name] = positionals;
if (!['lib', 'app'].includes(kind) || !/^[a-z][a-z0-9-]*$/.test(name ?? '') || !values.scope) {
  console.error('usage: new-project.mjs lib|app <kebab-name> --scope <scope> [--type lib|util|contracts] [--description text]');
  process.exit(2);
}
const dir = path.join(root, kind === 'lib' ? 'libs' : 'apps', name);
if (fs.existsSync(path.join(dir, 'package.json'))) {
  console.error(`${path.relative(root, dir)} already exists`);
  process.exit(1);
}
const type = kind === 'app' ? 'app' : (values.type ?? 'lib');
const rel = path.relative(root, dir);
const description = values.description ?? `${name}`;
const write = (file, text) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};

write('package.json', JSON.stringify({ name: `@x0/${name}`, version: '0.1.0', private: true, description, main: 'src/index.ts' }, null, 2) + '\n');
write(
  'project.json',
  JSON.stringify(
    {
      name,
      $schema: '../../node_modules/nx/schemas/project-schema.json',
      sourceRoot: `${rel}/src`,
      projectType: kind === 'app' ? 'application' : 'library',
      tags: [`type:${type}`, `scope:${values.scope}`],
      targets: {
        test: { executor: 'nx:run-commands', options: { command: `jest -c ${rel}/jest.config.js`, cwd: '{workspaceRoot}' } },
        lint: { executor: 'nx:run-commands', options: { command: `eslint ${rel}`, cwd: '{workspaceRoot}' } },
      },
    },
    null,
    2,
  ) + '\n',
);
write(
  'jest.config.js',
  `module.exports = {\n  ...require('../../jest.preset.js'),\n  displayName: '${name}',\n  rootDir: __dirname,\n  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int.ts'],\n};\n`,
);
write('README.md', `# @x0/${name}\n\n${description}\n`);
if (kind === 'lib') write('src/index.ts', `export {};\n`);

if (kind === 'lib') {
  const tsPath = path.join(root, 'tsconfig.base.json');
  const ts = JSON.parse(fs.readFileSync(tsPath, 'utf8'));
  const paths = { ...(ts.compilerOptions.paths ?? {}), [`@x0/${name}`]: [`${rel}/src/index.ts`] };
  ts.compilerOptions.paths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  fs.writeFileSync(tsPath, JSON.stringify(ts, null, 2) + '\n');
}
console.log(`created ${rel} (@x0/${name}, tags type:${type} scope:${values.scope})`);
