/**
 * Turns the `paths` of tsconfig.base.json into jest's moduleNameMapper, so tests, the type
 * checker and the esbuild bundles all resolve `@x0/*` imports from one list.
 */
const fs = require('node:fs');
const path = require('node:path');

function pathsToModuleNameMapper(root) {
  const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
  const map = {};
  for (const [alias, targets] of Object.entries(tsconfig.compilerOptions.paths ?? {})) {
    if (alias.includes('*')) throw new Error(`tsconfig path '${alias}': wildcards are not supported`);
    const escaped = alias.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    map[`^${escaped}$`] = path.join(root, targets[0]);
  }
  return map;
}

module.exports = { pathsToModuleNameMapper };
