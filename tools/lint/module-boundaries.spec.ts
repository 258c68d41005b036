import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Lints `code` as if it were the file at `file` (the file's project decides what it may import); messages of `rule`. */
async function lint(file: string, code: string, rule = '@nx/enforce-module-boundaries'): Promise<string[]> {
  // The ESLint CLI in a child process: its flat config is an ES module jest cannot import.
  const res = spawnSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(res.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}

describe('Nx module boundaries', () => {
  beforeAll(() => {
    // The rule reads Nx's cached project graph; compute it as `npm run lint` does.
    execFileSync(process.execPath, [path.join(root, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  }, 60_000);

  it('a shared library may not import a client-scope library', async () => {
    expect(await lint('libs/policy-stats/src/tally-keys.ts', "import { DemoSimulator } from '@x0/demo';\nexport const d = DemoSimulator;\n")).toEqual([
      'A project tagged with "scope:shared" can only depend on libs tagged with "scope:shared"',
    ]);
  });

  it('a plan library may not import knowledge code', async () => {
    const messages = await lint('libs/decision/src/policy.ts', "import { knowledgeService } from '@x0/knowledge-service';\nexport const k = knowledgeService;\n");
    expect(messages).toEqual(['A project tagged with "scope:plan" can only depend on libs tagged with "scope:shared", "scope:plan"']);
  });

  it('the client library may not reach into a phase', async () => {
    const messages = await lint('libs/client/src/x0-client.ts', "import { IncidentGate } from '@x0/monitor-service';\nexport const g = IncidentGate;\n");
    expect(messages).toEqual(['A project tagged with "scope:client" can only depend on libs tagged with "scope:shared", "scope:client"']);
  });

  it('allowed imports pass', async () => {
    expect(await lint('libs/bus/src/partition.ts', "import { STREAMS } from '@x0/contracts';\nexport const s = STREAMS;\n")).toEqual([]);
  });
});

describe('no kv.keys()', () => {
  it('flags kv.keys() however the bucket is reached, and leaves other keys() calls alone', async () => {
    const code = [
      "import type { KV } from '@nats-io/kv';",
      'export class S {',
      '  constructor(private kv?: KV, private o = { kv: undefined as KV | undefined }) {}',
      '  async f(kv: KV, statsKv: KV): Promise<unknown> {',
      '    await kv.keys();',
      "    await statsKv.keys('a.>');",
      '    await this.kv!.keys();',
      '    await this.o.kv!.keys();',
      '    return [...new Map<string, number>().keys()];',
      '  }',
      '}',
      '',
    ].join('\n');
    const messages = await lint('libs/bus/src/example.ts', code, 'no-restricted-syntax');
    expect(messages).toHaveLength(4);
    expect(messages[0]).toBe('kv.keys() can hang ~30 s while keys change: use kvEntries(kv, filter) from @x0/bus');
  });
});
