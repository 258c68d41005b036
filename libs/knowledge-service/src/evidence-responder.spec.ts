import pino from 'pino';
import type { Bus } from '@x0/bus';
import type { KnowledgeBase } from '@x0/knowledge-base';
import { Anomaly, EvidenceBatchRequest } from '@x0/contracts';
import { EvidenceResponder } from './evidence-responder';

describe('EvidenceResponder - batch requests', () => {
  const kb = {
    searchIncidents: async () => [],
    searchRunbooks: async (query: string) => [{ id: `rb:${query}`, title: 'T', headings: [], source: 's.md', text: 'x', score: 1, cause: '', actions: [], runbookActions: [] }],
  } as unknown as KnowledgeBase;
  const responder = new EvidenceResponder({} as Bus, kb, pino({ level: 'silent' }), 0);

  it('answerBatch - one response per request, in order', async () => {
    const req = EvidenceBatchRequest.encode({
      requests: ['cpu_saturation', 'memory_leak', 'disk_full'].map((cause) => ({ anomaly: Anomaly.fromPartial({ kind: 'web' }), cause, maxIncidents: 5, maxRunbooks: 1 })),
    }).finish();
    const res = await responder.answerBatch(req);
    expect(res.error).toBe('');
    expect(res.responses.map((r) => r.runbooks[0].id)).toEqual(['rb:cpu saturation web', 'rb:memory leak web', 'rb:disk full web']);
  });

  it('answerBatch - a malformed batch is answered with an error, not thrown', async () => {
    const res = await responder.answerBatch(new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(res.responses).toEqual([]);
    expect(res.error).toMatch(/^not an EvidenceBatchRequest: /);
  });
});
