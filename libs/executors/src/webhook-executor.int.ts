import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExecutorRegistry } from './executor-registry';
import type { ExecutionRequest } from './types';
import { WebhookExecutor, type WebhookBody } from './webhook-executor';
import { verifyWebhookSignature } from './webhook-signature';

const SECRET = 'a-webhook-secret-of-some-length';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: WebhookBody;
}

/** A real HTTP receiver on 127.0.0.1 answering with `respond(n)` for the n-th request (0-based). */
async function receiver(respond: (n: number, res: http.ServerResponse) => void) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) as WebhookBody });
      respond(received.length - 1, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const json = (status: number, body: unknown) => (_n: number, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const request = (over: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  component: 'web-1',
  action: 'clear_cache',
  params: { target: 'disk' },
  idempotencyKey: 'inc-7:clear_cache',
  dryRun: false,
  deadline: Date.now() + 10_000,
  ...over,
});

function executor(url: string, over: Partial<ConstructorParameters<typeof WebhookExecutor>[0]> = {}) {
  const delays: number[] = [];
  const e = new WebhookExecutor({
    name: 'hook',
    url,
    secret: SECRET,
    timeoutMs: 2000,
    maxAttempts: 4,
    backoff: { initialMs: 100, maxMs: 250 },
    sleep: async (ms) => void delays.push(ms),
    random: () => 0.5,
    ...over,
  });
  return { e, delays };
}

describe('webhook-executor', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function start(respond: (n: number, res: http.ServerResponse) => void) {
    const s = await receiver(respond);
    servers.push(s);
    return s;
  }

  it('execute - posts signed JSON; the receiver can verify it; 2xx succeeds with its message', async () => {
    const s = await start(json(200, { message: 'cache cleared' }));
    const { e } = executor(s.url);
    const res = await e.execute(request());
    expect(res).toMatchObject({ status: 'succeeded', message: 'cache cleared', details: { status: 200, attempts: 1 } });
    const [r] = s.received;
    expect(r.headers['content-type']).toBe('application/json');
    expect(verifyWebhookSignature(r.raw, r.headers['x-x0-signature'] as string, SECRET)).toBe(true);
    expect(verifyWebhookSignature(r.raw, r.headers['x-x0-signature'] as string, 'another-secret-entirely')).toBe(false);
    expect(verifyWebhookSignature(r.raw.replace('disk', 'root'), r.headers['x-x0-signature'] as string, SECRET)).toBe(false);
    expect(r.headers['x-x0-timestamp']).toBe(String(r.body.sentAtMs));
    expect(r.headers['x-x0-idempotency-key']).toBe('inc-7:clear_cache');
    expect(r.body).toMatchObject({ component: 'web-1', action: 'clear_cache', params: { target: 'disk' }, idempotencyKey: 'inc-7:clear_cache', attempt: 1 });
  });

  it('execute - 5xx is retried with exponential backoff and jitter, then succeeds', async () => {
    const s = await start((n, res) => json(n < 2 ? 503 : 200, {})(n, res));
    const { e, delays } = executor(s.url);
    const res = await e.execute(request());
    expect(res).toMatchObject({ status: 'succeeded', message: 'HTTP 200', details: { attempts: 3 } });
    // random() = 0.5 of min(maxMs, initialMs·2^(n−1)): 0.5·100, 0.5·200.
    expect(delays).toEqual([50, 100]);
    expect(s.received.map((r) => r.body.attempt)).toEqual([1, 2, 3]);
    // Every attempt is signed afresh (the body carries its own send time).
    for (const r of s.received) expect(verifyWebhookSignature(r.raw, r.headers['x-x0-signature'] as string, SECRET)).toBe(true);
  });

  it('execute - gives up after maxAttempts, backoff capped at maxMs', async () => {
    const s = await start(json(500, { message: 'down' }));
    const { e, delays } = executor(s.url, { maxAttempts: 5 });
    const res = await e.execute(request());
    expect(res.status).toBe('failed');
    expect(res.message).toBe(`webhook ${s.url} failed after 5 attempts: HTTP 500`);
    expect(delays).toEqual([50, 100, 125, 125]);
  });

  it('execute - 4xx is not retried', async () => {
    const s = await start(json(422, { message: 'unknown component' }));
    const { e, delays } = executor(s.url);
    const res = await e.execute(request());
    expect(res).toMatchObject({ status: 'failed', message: `webhook ${s.url} answered HTTP 422 (not retried): unknown component` });
    expect(s.received).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('execute - redirects are not followed', async () => {
    const elsewhere = await start(json(200, {}));
    const s = await start((_n, res) => {
      res.writeHead(307, { location: elsewhere.url });
      res.end();
    });
    const res = await executor(s.url).e.execute(request());
    expect(res).toMatchObject({ status: 'failed', message: `webhook ${s.url} answered HTTP 307 (redirects are not followed)` });
    expect(elsewhere.received).toHaveLength(0);
  });

  it('execute - network errors are retried, then reported', async () => {
    const s = await start(json(200, {}));
    await s.close();
    const { e, delays } = executor(s.url, { maxAttempts: 2 });
    const res = await e.execute(request());
    expect(res.message).toBe(`webhook ${s.url} failed after 2 attempts: network error: ECONNREFUSED`);
    expect(delays).toHaveLength(1);
  });

  it('execute - a receiver that never answers times out per attempt', async () => {
    const s = await start(() => undefined);
    const { e } = executor(s.url, { maxAttempts: 2, timeoutMs: 150 });
    const res = await e.execute(request());
    expect(res.message).toBe(`webhook ${s.url} failed after 2 attempts: no response within 150 ms`);
    expect(s.received).toHaveLength(2);
  });

  it('execute - stops retrying at the deadline', async () => {
    const s = await start(json(503, {}));
    const { e } = executor(s.url, { maxAttempts: 10, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), backoff: { initialMs: 400, maxMs: 400 }, random: () => 1 });
    const res = await e.execute(request({ deadline: Date.now() + 600 }));
    expect(res.status).toBe('failed');
    expect(s.received.length).toBeLessThan(10);
    expect(res.message).toMatch(/failed after [12] attempts?: HTTP 503$/);
  });

  it('registry - the URL comes only from configuration; dispatch reaches that URL and no other', async () => {
    const configured = await start(json(200, { message: 'ok' }));
    const registry = createExecutorRegistry(
      { executors: { hook: { type: 'webhook', url: configured.url, secret_env: 'HOOK_SECRET', actions: ['clear_cache'] } } },
      { env: { HOOK_SECRET: SECRET } },
    );
    const base = { executor: 'hook', ...request() };
    expect(await registry.dispatch(base)).toMatchObject({ status: 'succeeded', executor: 'hook' });
    await expect(registry.dispatch({ ...base, idempotencyKey: 'k2', url: 'http://127.0.0.1:1/evil' })).rejects.toThrow("'url' is not a known field");
    await expect(registry.dispatch({ ...base, idempotencyKey: 'k3', params: { url: 'http://127.0.0.1:1/evil' } })).resolves.toMatchObject({ status: 'succeeded' });
    // A URL in params is just data in the signed body, posted to the configured URL.
    expect(configured.received.map((r) => r.body.idempotencyKey)).toEqual(['inc-7:clear_cache', 'k3']);
    // Redelivery: no second POST.
    expect(await registry.dispatch(base)).toMatchObject({ replayed: true });
    expect(configured.received).toHaveLength(2);
  });
});
