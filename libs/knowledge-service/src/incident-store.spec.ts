import type { KV } from '@nats-io/kv';
import { InvalidArgumentError, NotFoundError } from '@x0/core';
import { Incident, incidentOfRecord, Outcome, Verdict } from '@x0/contracts';
import { IncidentStore, incidentFromOutcome } from './incident-store';

/** A KV that takes writes and holds nothing (the store's in-memory index is what is tested). */
const kv = { put: async () => 0 } as unknown as KV;

const START = Date.parse('2026-11-27T07:00:00Z');

/** The record of one announcement's outcome: announcement n of incident `incidentId` ('' from an older monitor). */
function record(id: string, o: { incidentId?: string; action: string; recovered?: boolean; atMs: number; component?: string }): Incident {
  return Incident.fromPartial({
    id,
    context: { anomalyId: id, component: o.component ?? 'demo-queue', action: o.action, incidentId: o.incidentId ?? '', incidentStartMs: o.incidentId ? START : 0 },
    verdict: o.recovered ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED,
    recovered: !!o.recovered,
    recordedMs: o.atMs + 500,
    outcomeMs: o.atMs,
  });
}

describe('IncidentStore - records of one incident', () => {
  async function lastingFault(): Promise<IncidentStore> {
    const store = new IncidentStore(kv, 100);
    await store.put(record('an_1', { incidentId: 'an_1', action: 'throttle', atMs: START + 60_000 }));
    await store.put(record('an_other', { action: 'restart', recovered: true, atMs: START + 90_000, component: 'demo-web' }));
    await store.put(record('an_3', { incidentId: 'an_1', action: 'throttle', atMs: START + 180_000 }));
    await store.put(record('an_5', { incidentId: 'an_1', action: 'failover', atMs: START + 300_000 }));
    await store.put(record('an_6', { incidentId: 'an_1', action: 'throttle', atMs: START + 360_000 }));
    return store;
  }

  it('list - by incident id: the outcomes of all its announcements, newest first, and no other incident', async () => {
    const store = await lastingFault();
    expect(store.list('', 50, 'an_1').map((i) => i.id)).toEqual(['an_6', 'an_5', 'an_3', 'an_1']);
    expect(store.list('', 2, 'an_1').map((i) => i.id)).toEqual(['an_6', 'an_5']);
    expect(store.list('demo-web', 50, 'an_1')).toEqual([]);
    // A record from an older monitor is its own incident.
    expect(store.list('', 50, 'an_other').map((i) => i.id)).toEqual(['an_other']);
    expect(store.list().map((i) => i.id)).toEqual(['an_6', 'an_5', 'an_3', 'an_other', 'an_1']);
  });

  it('tried - by action in the order first tried, with attempts, recoveries and the latest time', async () => {
    const store = await lastingFault();
    expect(store.tried('an_1')).toEqual([
      { action: 'throttle', attempts: 3, recovered: 0, lastMs: START + 360_000 },
      { action: 'failover', attempts: 1, recovered: 0, lastMs: START + 300_000 },
    ]);
    expect(store.tried('an_nothing')).toEqual([]);
  });

  it('index - a record written again or dropped from the index leaves its incident with the records still held', async () => {
    const store = new IncidentStore(kv, 2);
    await store.put(record('an_1', { incidentId: 'an_1', action: 'throttle', atMs: START }));
    await store.put(record('an_2', { incidentId: 'an_1', action: 'throttle', atMs: START + 1000 }));
    await store.put(record('an_2', { incidentId: 'an_1', action: 'throttle', atMs: START + 1000 }));
    expect(store.tried('an_1')).toEqual([{ action: 'throttle', attempts: 2, recovered: 0, lastMs: START + 1000 }]);
    await store.put(record('an_3', { incidentId: 'an_9', action: 'restart', atMs: START + 2000 }));
    expect(store.size).toBe(2);
    expect(store.list('', 50, 'an_1').map((i) => i.id)).toEqual(['an_2']);
  });

  it('incidentFromOutcome - keeps the outcome time; incidentOfRecord reads the incident id, the anomaly id from an older monitor', () => {
    const outcome = Outcome.fromPartial({ meta: { id: 'oc_1', timeMs: START + 5000 }, incident: { anomalyId: 'an_4', incidentId: 'an_1' }, verdict: Verdict.VERDICT_RECOVERED, recovered: true });
    const rec = incidentFromOutcome(outcome, START + 9000);
    expect(rec).toMatchObject({ id: 'an_4', outcomeId: 'oc_1', outcomeMs: START + 5000, recordedMs: START + 9000 });
    expect(incidentOfRecord(rec)).toBe('an_1');
    expect(incidentOfRecord(Incident.fromPartial({ id: 'an_7', context: { anomalyId: 'an_7' } }))).toBe('an_7');
  });
});

describe('IncidentStore - get', () => {
  it('get - an empty id is an invalid argument, not a KV read (it failed as "internal error: invalid key: b64.")', async () => {
    const keys: string[] = [];
    const store = new IncidentStore({ get: async (k: string) => (keys.push(k), null) } as unknown as KV, 100);
    for (const id of ['', ' ']) {
      await expect(store.get(id)).rejects.toThrow(InvalidArgumentError);
      await expect(store.get(id)).rejects.toThrow(`'id' must not be empty: an incident is named by its anomaly id or its incident id (x0 incidents, INCIDENT)`);
    }
    expect(keys).toEqual([]);
    await expect(store.get('an_nosuch')).rejects.toThrow(new NotFoundError('incident', 'an_nosuch'));
  });
});
