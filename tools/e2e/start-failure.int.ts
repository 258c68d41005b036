import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** Starts the plan service's main.ts with `env` and waits for it to exit (it must fail to start). */
function start(env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'apps/plan/src/main.ts')], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', GRPC_PORT: '0', METRICS_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('a service that cannot start', () => {
  it('bad configuration: exit 78, a JSON fatal log line on stdout and the plain message on stderr', () => {
    const { code, stdout, stderr } = start({ GRPC_PORT: 'abc', X0_INSTANCE: 'plan-test-1' });
    expect(code).toBe(78);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'fatal', service: 'plan', instance: 'plan-test-1', exitCode: 78, msg: expect.stringMatching(/GRPC_PORT must be an integer \(got "abc"\)/) });
    expect(stderr).toMatch(/^x0 plan: invalid configuration: GRPC_PORT must be an integer/);
  });

  it('no NATS: exit 1, the cause in the JSON line (with the error) and on stderr', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = start({ NATS_URL: `nats://127.0.0.1:${port}` });
    expect(code).toBe(1);
    const fatal = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['level'] === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ service: 'plan', exitCode: 1, msg: `failed to start: cannot connect to NATS at nats://127.0.0.1:${port}: connection refused`, err: { type: 'UnavailableError' } });
    expect(stderr).toContain(`x0 plan: failed to start: cannot connect to NATS at nats://127.0.0.1:${port}`);
  });
});
