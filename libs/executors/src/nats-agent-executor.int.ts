import { UnavailableError } from '@x0/core';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createExecutorRegistry } from './executor-registry';
import { IDEMPOTENCY_HEADER, NatsAgentExecutor, discoverActions } from './nats-agent-executor';
import { startFakeAgent } from './testing';
import type { ExecutionRequest } from './types';

let server: NatsServerProcess;
let nc: NatsConnection;
let unique = 0;
/** A component name no other test uses (subjects are per component). */
const component = () => `svc-${process.pid}-${++unique}`;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.drain();
  await server?.stop();
});

const request = (c: string, over: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  component: c,
  action: 'restart',
  params: { graceful: 'true' },
  idempotencyKey: `inc-${c}:restart`,
  dryRun: false,
  deadline: Date.now() + 5000,
  ...over,
});

describe('nats-agent-executor', () => {
  it('execute - request/reply on x0.agents.<component>.<action>; ok → succeeded', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => ({ ok: true, message: 'restarted pid 42', details: { pid: 42 } }) });
    const headers: string[] = [];
    const spy = nc.subscribe(`x0.agents.${c}.restart`, { callback: (_e, m) => void headers.push(m.headers?.get(IDEMPOTENCY_HEADER) ?? '') });
    await nc.flush();
    const res = await new NatsAgentExecutor({ nc }).execute(request(c));
    expect(res).toMatchObject({ status: 'succeeded', message: 'restarted pid 42', details: { subject: `x0.agents.${c}.restart`, agent: { pid: 42 } } });
    expect(agent.received).toEqual([{ component: c, action: 'restart', params: { graceful: 'true' }, idempotencyKey: `inc-${c}:restart`, deadline: expect.any(Number) }]);
    expect(headers).toEqual([`inc-${c}:restart`]);
    spy.unsubscribe();
    agent.stop();
  });

  it('execute - ok: false → failed with the agent’s message', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => ({ ok: false, message: 'systemd refused' }) });
    await nc.flush();
    expect(await new NatsAgentExecutor({ nc }).execute(request(c))).toMatchObject({ status: 'failed', message: 'systemd refused' });
    agent.stop();
  });

  it('execute - no reply in time → failed, saying so', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => undefined });
    await nc.flush();
    const res = await new NatsAgentExecutor({ nc, timeoutMs: 200 }).execute(request(c));
    expect(res).toMatchObject({ status: 'failed', message: `agent did not reply on x0.agents.${c}.restart within 200 ms`, details: { reason: 'timeout' } });
    agent.stop();
  });

  it('execute - the request deadline shortens the timeout', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => undefined });
    await nc.flush();
    const res = await new NatsAgentExecutor({ nc, timeoutMs: 60_000 }).execute(request(c, { deadline: Date.now() + 150 }));
    expect(res.details).toMatchObject({ reason: 'timeout' });
    expect(res.message).toMatch(/within 1\d\d ms$/);
    const past = await new NatsAgentExecutor({ nc }).execute(request(c, { deadline: Date.now() - 1 }));
    expect(past).toMatchObject({ status: 'failed', details: { reason: 'deadline' } });
    expect(agent.received).toHaveLength(1);
    agent.stop();
  });

  it.each([
    ['not json', 'malformed agent reply on x0.agents.%s.restart: not JSON'],
    [JSON.stringify({ ok: 'yes' }), 'malformed agent reply on x0.agents.%s.restart: ok: Invalid input: expected boolean, received string'],
    [JSON.stringify({ message: 'hi' }), 'malformed agent reply on x0.agents.%s.restart: ok: Invalid input: expected boolean, received undefined'],
  ])('execute - malformed reply %j → failed', async (reply, message) => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => reply });
    await nc.flush();
    const res = await new NatsAgentExecutor({ nc }).execute(request(c));
    expect(res.status).toBe('failed');
    expect(res.message.startsWith(message.replace('%s', c))).toBe(true);
    expect(res.details).toMatchObject({ reason: 'malformed_reply', reply: reply.slice(0, 200) });
    agent.stop();
  });

  it('execute - nobody listening → failed, saying so', async () => {
    const c = component();
    const res = await new NatsAgentExecutor({ nc }).execute(request(c));
    expect(res).toMatchObject({ status: 'failed', message: `no agent is listening on x0.agents.${c}.restart`, details: { reason: 'no_responders' } });
  });

  it('discoverActions - what the agent says it can do, sorted and de-duplicated', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { scale_up: () => ({ ok: true }), restart: () => ({ ok: true }), clear_cache: () => ({ ok: true }) });
    await nc.flush();
    expect(await discoverActions(nc, c)).toEqual(['clear_cache', 'restart', 'scale_up']);
    agent.stop();
    await expect(discoverActions(nc, component(), { timeoutMs: 200 })).rejects.toThrow(UnavailableError);
  });

  it('discoverActions - a malformed answer is refused', async () => {
    const c = component();
    const sub = nc.subscribe(`x0.agents.${c}.actions`, { callback: (_e, m) => void m.respond(JSON.stringify({ actions: ['ok', 'rm -rf'] })) });
    await nc.flush();
    await expect(discoverActions(nc, c)).rejects.toThrow(`'reply' from x0.agents.${c}.actions is malformed: actions.1: must be an action token`);
    sub.unsubscribe();
  });

  it('registry - a redelivered plan acts once on the agent', async () => {
    const c = component();
    const agent = startFakeAgent(nc, c, { restart: () => ({ ok: true }) });
    await nc.flush();
    const registry = createExecutorRegistry({ executors: { agent: { type: 'nats_agent', timeout_ms: 2000 } } }, { nc });
    const dispatch = { executor: 'agent', ...request(c) };
    const first = await registry.dispatch(dispatch);
    const again = await registry.dispatch(dispatch);
    const concurrent = await Promise.all([registry.dispatch({ ...dispatch, idempotencyKey: 'x' }), registry.dispatch({ ...dispatch, idempotencyKey: 'x' })]);
    expect([first.replayed, again.replayed]).toEqual([false, true]);
    expect(concurrent.map((r) => r.replayed).sort()).toEqual([false, true]);
    expect(agent.received.map((r) => r.idempotencyKey)).toEqual([`inc-${c}:restart`, 'x']);
    agent.stop();
  });
});
