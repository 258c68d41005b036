import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Instructions of the Dockerfile's first (build) stage, continuation lines joined. */
function buildStage(): { args: Record<string, string>; installRun: string } {
  const text = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  const from = lines.findIndex((l) => /^FROM\b/.test(l));
  const next = lines.findIndex((l, i) => i > from && /^FROM\b/.test(l));
  const stage = lines.slice(from + 1, next);
  const args: Record<string, string> = {};
  let installRun = '';
  for (const l of stage) {
    const arg = /^ARG\s+(\w+)(?:=(\S*))?/.exec(l);
    if (arg) args[arg[1]] = arg[2] ?? '';
    if (/^RUN\b.*npm ci\b/.test(l)) installRun = l.replace(/^RUN\s+/, '');
  }
  return { args, installRun };
}

type TfjsNode = 'absent' | 'broken' | 'loads';

/**
 * Runs the build stage's `npm ci …` RUN line with `sh -c` in a scratch directory: `npm` is a
 * stub that logs its arguments, node_modules holds the tfjs-node case under test (absent as
 * after a failed optional install, present but failing to load, or loading).
 */
function runInstallStep(tfjsNode: TfjsNode, buildArgs: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-dockerfile-'));
  try {
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin/npm'), `#!/bin/sh\necho "$*" >> "${dir}/npm.log"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"scratch","private":true}\n');
    fs.mkdirSync(path.join(dir, 'tools/deploy'), { recursive: true });
    fs.copyFileSync(path.join(root, 'tools/deploy/check-tfjs-node.mjs'), path.join(dir, 'tools/deploy/check-tfjs-node.mjs'));
    const pkg = (name: string, body: string) => {
      fs.mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', name, 'index.js'), body);
    };
    pkg('@tensorflow/tfjs-backend-wasm', 'module.exports = {};\n');
    if (tfjsNode === 'broken') pkg('@tensorflow/tfjs-node', "throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');\n");
    if (tfjsNode === 'loads') pkg('@tensorflow/tfjs-node', 'module.exports = {};\n');
    const { args, installRun } = buildStage();
    const env = { ...args, ...buildArgs, PATH: [path.join(dir, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) };
    const r = spawnSync('sh', ['-c', installRun], { cwd: dir, env, encoding: 'utf8' });
    const npm = fs.existsSync(path.join(dir, 'npm.log')) ? fs.readFileSync(path.join(dir, 'npm.log'), 'utf8').trim().split('\n') : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, npm };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fullBuild = [expect.stringMatching(/^ci\b/), expect.stringMatching(/^run build\b/), expect.stringMatching(/^prune\b/)];

describe('Dockerfile build stage - optional @tensorflow/tfjs-node', () => {
  it('installs, builds and prunes in one RUN, with REQUIRE_TFJS_NODE defaulting to 0', () => {
    const { args, installRun } = buildStage();
    expect(installRun).toMatch(/npm ci\b.*npm run build\b.*npm prune\b/);
    expect(args['REQUIRE_TFJS_NODE']).toBe('0');
  });

  it('tfjs-node not installed (no libtensorflow download) - the build goes on and warns that wasm will be used', () => {
    const r = runInstallStep('absent');
    expect({ status: r.status, npm: r.npm }).toEqual({ status: 0, npm: fullBuild });
    expect(r.stderr).toContain("warning: @tensorflow/tfjs-node does not load (Cannot find module '@tensorflow/tfjs-node')");
    expect(r.stderr).toContain('the image will use the wasm backend');
  });

  it('tfjs-node installed but not loadable - the build goes on and names the load error', () => {
    const r = runInstallStep('broken');
    expect({ status: r.status, npm: r.npm }).toEqual({ status: 0, npm: fullBuild });
    expect(r.stderr).toContain('(libtensorflow.so.2: cannot open shared object file: No such file or directory); the image will use the wasm backend');
  });

  it('tfjs-node loads - the build says the image gets the tensorflow backend', () => {
    const r = runInstallStep('loads');
    expect({ status: r.status, npm: r.npm, stderr: r.stderr }).toEqual({ status: 0, npm: fullBuild, stderr: '' });
    expect(r.stdout).toBe('tfjs backend: tensorflow (@tensorflow/tfjs-node loads)\n');
  });

  it('REQUIRE_TFJS_NODE=1 - a missing tfjs-node fails the build before it builds anything', () => {
    const r = runInstallStep('absent', { REQUIRE_TFJS_NODE: '1' });
    expect({ status: r.status, npm: r.npm }).toEqual({ status: 1, npm: [expect.stringMatching(/^ci\b/)] });
    expect(r.stderr).toContain('error: @tensorflow/tfjs-node does not load');
    expect(runInstallStep('loads', { REQUIRE_TFJS_NODE: '1' }).status).toBe(0);
  });
});
