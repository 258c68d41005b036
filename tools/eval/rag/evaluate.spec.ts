import fs from 'node:fs';
import path from 'node:path';
import { chunkMarkdown } from '@x0/embeddings';
import { answers, checkIncidentSet, scoreIncidents, type LabelledQuestion } from './evaluate';

const RUNBOOKS = path.resolve(__dirname, '../../../deploy/runbooks');
const questions: LabelledQuestion[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'runbook-questions.json'), 'utf8')).questions;

describe('rag evaluation set', () => {
  it('labels - every question points at a passage that exists in the shipped runbooks', () => {
    expect(questions.length).toBeGreaterThanOrEqual(40);
    const chunks = fs.readdirSync(RUNBOOKS).flatMap((f) => chunkMarkdown(f, fs.readFileSync(path.join(RUNBOOKS, f), 'utf8')).chunks);
    for (const q of questions) {
      const n = chunks.filter((c) => answers(c, q)).length;
      if (n === 0) throw new Error(`no passage answers "${q.q}" (${q.source} / ${q.heading})`);
    }
    expect(new Set(questions.map((q) => q.q)).size).toBe(questions.length);
  });

  it('answers - matches the section heading, not just the runbook title', () => {
    const q = { source: 'disk-full.md', heading: 'Disk full' };
    expect(answers({ source: 'disk-full.md', headings: ['Disk full'] }, q)).toBe(true);
    expect(answers({ source: 'disk-full.md', headings: ['Disk full', 'Risks'] }, q)).toBe(false);
    expect(answers({ source: 'disk-full.md', headings: ['Disk full', 'Remediation', 'Add space (`scale_up`)'] }, { source: 'disk-full.md', heading: 'add space' })).toBe(true);
    expect(answers({ source: 'gc-pauses.md', headings: ['Disk full'] }, q)).toBe(false);
  });

  it('incidents - precision@k counts same-kind neighbours, leave-one-out', async () => {
    const sig = (kind: number, j: number) => Array.from({ length: 8 }, (_, i) => (i === kind ? 5 : 0) + Math.sin(j * 13 + i) * 0.1);
    const set = {
      dim: 8,
      incidents: [
        ...Array.from({ length: 6 }, (_, j) => ({ id: `a${j}`, kind: 'cpu_saturation', component: 'api', signature: sig(0, j) })),
        ...Array.from({ length: 6 }, (_, j) => ({ id: `b${j}`, kind: 'memory_leak', component: 'db', signature: sig(1, j) })),
      ],
    };
    expect(await scoreIncidents(set, 5)).toEqual({ precision: 1, byKind: { cpu_saturation: 1, memory_leak: 1 }, queries: 12 });
    // With k = 6 each query has only 5 same-kind others: precision 5/6.
    expect((await scoreIncidents(set, 6)).precision).toBeCloseTo(5 / 6, 6);
    expect(() => checkIncidentSet({ dim: 8, incidents: [{ id: 'x', kind: 'k', component: 'c', signature: [1] }] })).toThrow('incidents[0].signature must have 8 numbers');
  });
});
