import { status as grpcStatus } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { isRpcError, rpcErrorMessage, type X0Client } from '@x0/client';
import { incidentOfAnomaly, subjectToken, type ComponentHealth } from '@x0/contracts';
import { usingClient } from './client-session';
import { formatComponent, openIncident, type AdapterAttempt, type ComponentView, type IdleAdapter, type OpenIncident } from './component-format';
import { asUsage } from './failure';
import { adapterModelName } from '@x0/model-serving/names';

/** How long `x0 component` waits for a live status (the monitor publishes one about every second while the component reports). */
export const LIVE_STATUS_WAIT_MS = 3000;

/** Most anomalies read to find an incident's announcements (the monitor keeps its latest 1000). */
const MAX_ANOMALIES = 1000;

/** `x0 component <name> [--json]`: one component as the monitor sees it, with its open incident if any. */
export function registerComponent(program: Command): void {
  program
    .command('component')
    .description('one component as the monitor sees it: phase, last sample and score, the incident open on it now (if any), its metrics')
    .argument('<name>', 'the component, as it publishes its metrics (x0.metrics.<name>)')
    .option('--json', 'JSON output: {status, live, liveError?, incident, idleAdapter?, adapterAttempt?} (status: GetComponentStatus; live: the ComponentHealth read; incident: the open one, or null; idleAdapter: its champion detector adapter when the shared forecaster scores it; adapterAttempt: its latest adapter, kept as challenger, when none is champion)')
    .action(async (name: string, opts: { json?: boolean }) => {
      asUsage(() => subjectToken(name, 'component'));
      await usingClient('x0-component', async (client) => {
        const view = await componentView(client, name);
        if (opts.json) return void process.stdout.write(`${JSON.stringify(view)}\n`);
        process.stdout.write(`${formatComponent(view, Date.now())}\n`);
      });
    });
}

/**
 * Reads what `x0 component` shows: GetComponentStatus, and meanwhile the next live status on
 * `x0.status.<name>` (LIVE_STATUS_WAIT_MS at most; its absence or NATS being down is said, not
 * thrown), then the open incident's announcements. Throws for a component the monitor does not
 * know (NOT_FOUND, said in words) or a monitor that does not answer.
 */
async function componentView(client: X0Client, name: string): Promise<ComponentView> {
  const liveWait: Promise<{ health?: ComponentHealth; error?: string }> = client.componentHealth(name, LIVE_STATUS_WAIT_MS).then(
    (health) => (health ? { health } : { error: `no live status within ${LIVE_STATUS_WAIT_MS / 1000}s — is the monitor running and is the component reporting?` }),
    (err: unknown) => ({ error: `no live status: ${rpcErrorMessage(err)}` }),
  );
  const status = await client.services.monitor.getComponentStatus({ component: name }).catch((err: unknown) => {
    if (isRpcError(err) && err.code === grpcStatus.NOT_FOUND) {
      throw new Error(
        `component '${name}' not found: the monitor has no sample of it — is the name right, and has it published metrics since the monitor started? (x0 events --component ${name})`,
        { cause: err },
      );
    }
    throw err;
  });
  const adapterWait = adapterState(client, name, status.forecaster);
  const live = await liveWait;
  const openId = live.health?.openAnomalyId ?? '';
  const adapter = await adapterWait;
  return {
    status,
    live: live.health ?? null,
    ...(live.error ? { liveError: live.error } : {}),
    incident: openId ? await incidentOf(client, name, openId) : null,
    ...(adapter.idle ? { idleAdapter: adapter.idle } : {}),
    ...(adapter.attempt ? { adapterAttempt: adapter.attempt } : {}),
  };
}

/**
 * The component's detector adapter state when the monitor scores it with the shared forecaster
 * (`forecaster` ''), from the trainer: its champion adapter (`idle`: e.g. one trained on another
 * base than the champion), or, with none, its latest adapter that stayed a challenger
 * (`attempt`, with the shadow gate's reason). Empty when it has neither, or the trainer cannot
 * say (not an error of x0 component).
 */
async function adapterState(client: X0Client, name: string, forecaster: string): Promise<{ idle?: IdleAdapter; attempt?: AdapterAttempt }> {
  if (forecaster) return {};
  const model = adapterModelName('detector', name);
  const trainer = client.services.trainer;
  try {
    const v = await trainer.getModel({ model, ref: 'champion' }).catch(() => undefined);
    if (!v?.aliases.includes('champion')) {
      // No champion: its latest adapter, if one was trained, stayed a challenger (the shadow gate's reason says why).
      const c = await trainer.getModel({ model, ref: 'challenger' }).catch(() => undefined);
      return c?.aliases.includes('challenger') ? { attempt: { model, version: c.version, reason: shadowReason(c.lineage['shadow']) } } : {};
    }
    const base = await trainer.getModel({ model: 'detector', ref: 'champion' }).catch(() => undefined);
    return { idle: { model, version: v.version, trainedOn: v.lineage['baseVersion'] ?? '', baseChampion: base?.aliases.includes('champion') ? base.version : '' } };
  } catch {
    return {};
  }
}

/** The reason in a version's lineage `shadow` (JSON: decision, reason, margin); '' when absent or unreadable. */
export function shadowReason(shadow: string | undefined): string {
  try {
    const r = (JSON.parse(shadow ?? '') as { reason?: unknown }).reason;
    return typeof r === 'string' ? r : '';
  } catch {
    return '';
  }
}

/** The open incident whose latest announcement is `openAnomalyId`: from ListAnomalies of the component, then of that incident. */
async function incidentOf(client: X0Client, component: string, openAnomalyId: string): Promise<OpenIncident> {
  const monitor = client.services.monitor;
  const announced = (await monitor.listAnomalies({ component, minSeverity: 0, limit: MAX_ANOMALIES, incidentId: '' })).anomalies;
  const incidentId = incidentOfAnomaly(announced.find((a) => a.meta?.id === openAnomalyId)) || openAnomalyId;
  const ofIncident = (await monitor.listAnomalies({ component, minSeverity: 0, limit: MAX_ANOMALIES, incidentId })).anomalies;
  return openIncident(openAnomalyId, announced, ofIncident);
}
