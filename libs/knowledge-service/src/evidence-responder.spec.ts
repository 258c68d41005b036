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

describe('EvidenceResponder - embedder down', () => {
  it('answers with lexical search when hybrid search fails (the embedder is unreachable), and says so in the log', async () => {
    const modes: Array<string | undefined> = [];
    const kb = {
      searchIncidents: async () => [],
      searchRunbooks: async (query: string, o: { mode?: string }) => {
        modes.push(o.mode);
        if (o.mode !== 'lexical') throw new Error('embeddings endpoint unreachable: connect ECONNREFUSED');
        return [{ id: `rb:${query}`, title: 'T', headings: [], source: 's.md', text: 'x', score: 1, cause: '', actions: [], runbookActions: [] }];
      },
    } as unknown as KnowledgeBase;
    const logs: Array<{ msg: string; err?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const responder = new EvidenceResponder({} as Bus, kb, logger, 0);
    const req = EvidenceBatchRequest.encode({ requests: [{ anomaly: Anomaly.fromPartial({ kind: 'web' }), cause: 'disk_full', maxIncidents: 5, maxRunbooks: 1 }] }).finish();
    const res = await responder.answerBatch(req);
    expect(res.responses[0].error).toBe('');
    expect(res.responses[0].runbooks.map((r) => r.id)).toEqual(['rb:disk full web']);
    expect(modes).toContain('lexical');
    expect(logs.map((l) => l.msg)).toContain('hybrid runbook search failed; lexical search instead');
    expect(logs[0].err).toMatch(/ECONNREFUSED/);
  });
});
