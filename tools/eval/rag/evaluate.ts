/**
 * Retrieval-quality scoring for the knowledge base: recall@k of runbook passages for labelled
 * operator questions (hybrid vs lexical-only vs dense-only), and precision@k of incident search
 * for incidents of known fault kinds (leave-one-out over a JSON file of detector signatures).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KnowledgeBase, loadRunbookDirectory, type RetrievalMode, type RunbookHit } from '@x0/knowledge-base';
import { EmbeddedVectorStore } from '@x0/vector-store';

/** One labelled question: the passage answering it is in `source` under a heading containing `heading`. */
export interface LabelledQuestion {
  q: string;
  source: string;
  heading: string;
  style: 'direct' | 'paraphrase';
}

/** Incidents with known fault kinds, as exported from the simulator + detector. */
export interface IncidentSet {
  dim: number;
  incidents: Array<{ id: string; kind: string; component: string; signature: number[] }>;
}

/** recall@k and MRR for one retrieval mode, overall and per question style. */
export interface ModeScore {
  mode: RetrievalMode;
  recall: number;
  recallDirect: number;
  recallParaphrase: number;
  mrr: number;
  misses: string[];
}

/** True when a hit answers the question: same source, and its own section heading (below the title) contains the label. */
export function answers(hit: Pick<RunbookHit, 'source' | 'headings'>, question: Pick<LabelledQuestion, 'source' | 'heading'>): boolean {
  if (hit.source !== question.source) return false;
  const own = hit.headings.length > 1 ? hit.headings.slice(1) : hit.headings;
  const want = question.heading.toLowerCase();
  return own.some((h) => h.toLowerCase().includes(want));
}

/** A knowledge base over a temporary embedded store, loaded with the runbooks of `dir`. */
export async function openRunbookKb(dir: string): Promise<{ kb: KnowledgeBase; close: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-eval-rag-'));
  const store = new EmbeddedVectorStore({ dataDir, durability: 'none' });
  await store.start();
  const kb = new KnowledgeBase({ store });
  await loadRunbookDirectory(kb, dir);
  return {
    kb,
    close: async () => {
      await store.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Scores every mode on the labelled questions. */
export async function scoreRunbooks(kb: KnowledgeBase, questions: readonly LabelledQuestion[], k = 5): Promise<ModeScore[]> {
  const out: ModeScore[] = [];
  for (const mode of ['hybrid', 'lexical', 'dense'] as const) {
    let hit = 0;
    let hitDirect = 0;
    let hitPara = 0;
    let rr = 0;
    const misses: string[] = [];
    for (const q of questions) {
      const hits = await kb.searchRunbooks(q.q, { k, mode });
      const rank = hits.findIndex((h) => answers(h, q));
      if (rank >= 0) {
        hit++;
        if (q.style === 'direct') hitDirect++;
        else hitPara++;
        rr += 1 / (rank + 1);
      } else misses.push(q.q);
    }
    const direct = questions.filter((q) => q.style === 'direct').length;
    const para = questions.length - direct;
    out.push({ mode, recall: hit / questions.length, recallDirect: direct ? hitDirect / direct : NaN, recallParaphrase: para ? hitPara / para : NaN, mrr: rr / questions.length, misses });
  }
  return out;
}

/** Checks an incident set's shape; throws with the offending entry named. */
export function checkIncidentSet(set: IncidentSet): IncidentSet {
  if (!set || !Number.isInteger(set.dim) || !Array.isArray(set.incidents)) throw new Error("incident file must be { dim, incidents: [{ id, kind, component, signature }] }");
  set.incidents.forEach((inc, i) => {
    if (!inc.id || !inc.kind || !inc.component) throw new Error(`incidents[${i}] needs id, kind and component`);
    if (!Array.isArray(inc.signature) || inc.signature.length !== set.dim) throw new Error(`incidents[${i}].signature must have ${set.dim} numbers`);
  });
  return set;
}

/** precision@k of incident search: for each incident, the share of its k nearest others of the same kind. */
export async function scoreIncidents(set: IncidentSet, k = 5): Promise<{ precision: number; byKind: Record<string, number>; queries: number }> {
  checkIncidentSet(set);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-eval-inc-'));
  const store = new EmbeddedVectorStore({ dataDir, durability: 'none' });
  await store.start();
  try {
    const kb = new KnowledgeBase({ store, signature: { dim: set.dim } });
    for (const inc of set.incidents) await kb.upsertIncident(inc.id, inc.signature, { kind: inc.kind, component: inc.component });
    const sums: Record<string, { p: number; n: number }> = {};
    let total = 0;
    for (const inc of set.incidents) {
      const hits = await kb.searchIncidents(inc.signature, { k, excludeIds: [inc.id] });
      const p = hits.length === 0 ? 0 : hits.filter((h) => h.payload.kind === inc.kind).length / k;
      total += p;
      sums[inc.kind] ??= { p: 0, n: 0 };
      sums[inc.kind].p += p;
      sums[inc.kind].n++;
    }
    const byKind = Object.fromEntries(Object.entries(sums).map(([kind, s]) => [kind, s.p / s.n]));
    return { precision: total / set.incidents.length, byKind, queries: set.incidents.length };
  } finally {
    await store.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
