/**
 * The documentation's TypeScript examples work: every complete example type-checks against the
 * workspace as it is now, and every runnable one runs to exit 0 (against a throw-away
 * nats-server with the x0 streams, an empty data directory, from the workspace root). See
 * tools/docs/examples.ts for how a block says which it is.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import ts from 'typescript';
import { provisionStreams } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { workspaceExamples, type DocExample } from './examples';

const root = path.resolve(__dirname, '../..');
const examples = workspaceExamples(root);
const checked = examples.filter((e) => e.mode !== 'fragment');
const runnable = examples.filter((e) => e.mode === 'run');
// Inside the workspace, so the examples resolve `@x0/*` through tsconfig paths as users' code in it would.
const dir = path.join(root, 'tmp', `doc-examples-${process.pid}`);

let server: NatsServerProcess;
let dataDir: string;

beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  for (const e of checked) fs.writeFileSync(path.join(dir, e.name), e.code);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-doc-examples-'));
  server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  await provisionStreams(await jetstreamManager(nc));
  await nc.drain();
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const where = (e: DocExample) => `${e.doc}:${e.line}`;

it('the docs have examples of each kind', () => {
  expect(runnable.length).toBeGreaterThanOrEqual(8);
  expect(checked.length).toBeGreaterThan(runnable.length);
});

it('every complete example type-checks', () => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.base.json'),
    // Examples may import a name to show it exists without using it.
    { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } },
  );
  if (!parsed) throw new Error('tsconfig.base.json could not be read');
  const files = checked.map((e) => path.join(dir, e.name));
  const program = ts.createProgram(files, parsed.options);
  const problems = checked.flatMap((e) => {
    const sf = program.getSourceFile(path.join(dir, e.name))!;
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
      const { line } = d.start === undefined ? { line: -1 } : sf.getLineAndCharacterOfPosition(d.start);
      // line + 1 is the block's line; the fence is one line above the block's first line
      return `${e.doc}:${e.line + line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  });
  expect(problems).toEqual([]);
}, 120_000);

describe.each(runnable.map((e) => [where(e), e] as const))('%s', (_, e) => {
  it('runs to exit 0', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, e.name)], {
      cwd: root,
      env: { ...process.env, NATS_URL: server.url, X0_DATA_DIR: dataDir, QDRANT_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.status !== 0) throw new Error(`${where(e)} exited ${res.status ?? res.signal}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
    expect(res.status).toBe(0);
  }, 90_000);
});
