#!/usr/bin/env node
// Launcher for the x0 CLI: runs the bundled CLI, building it first when the bundle is missing
// (a fresh clone after `npm ci`). `npm run build` rebuilds everything.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '../../..');
const bundle = path.join(root, 'dist/apps/cli/main.js');
if (!fs.existsSync(bundle)) {
  execFileSync(process.execPath, [path.join(root, 'tools/build/build.mjs'), 'cli'], { stdio: ['ignore', process.stderr, process.stderr] });
}
require(bundle);
