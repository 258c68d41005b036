/**
 * Prints retrieval-quality numbers for the knowledge base.
 *
 *   npx tsx tools/eval/rag.ts                                   # runbook recall@5: hybrid vs lexical vs dense
 *   npx tsx tools/eval/rag.ts --incidents incidents.json        # plus incident precision@5 (leave-one-out)
 *   npx tsx tools/eval/rag.ts --k 3 --json --show-misses
 *
 * The incidents file is `{ "dim": 64, "incidents": [{ "id", "kind", "component", "signature": [64 numbers] }] }`,
 * produced from the demo simulator + detector.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkIncidentSet, openRunbookKb, scoreIncidents, scoreRunbooks, type LabelledQuestion } from './rag/evaluate';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const { values } = parseArgs({
    options: {
      runbooks: { type: 'string', default: path.join(root, 'deploy/runbooks') },
      questions: { type: 'string', default: path.join(__dirname, 'rag/runbook-questions.json') },
      incidents: { type: 'string' },
      k: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      'show-misses': { type: 'boolean', default: false },
    },
  });
  const k = Number(values.k);
  const questions: LabelledQuestion[] = JSON.parse(fs.readFileSync(values.questions!, 'utf8')).questions;
  const { kb, close } = await openRunbookKb(values.runbooks!);
  const scores = await scoreRunbooks(kb, questions, k);
  await close();
  const incidents = values.incidents ? await scoreIncidents(checkIncidentSet(JSON.parse(fs.readFileSync(values.incidents, 'utf8'))), k) : undefined;

  if (values.json) {
    console.log(JSON.stringify({ k, questions: questions.length, runbooks: scores.map(({ misses: _m, ...s }) => s), incidents }));
    return;
  }
  const pct = (x: number) => (Number.isNaN(x) ? '  -  ' : `${(100 * x).toFixed(1).padStart(5)}%`);
  const direct = questions.filter((q) => q.style === 'direct').length;
  console.log(`runbook retrieval: ${questions.length} questions (${direct} direct, ${questions.length - direct} paraphrased), recall@${k}`);
  console.log('mode      recall@k  direct   paraphrase  MRR');
  for (const s of scores) console.log(`${s.mode.padEnd(9)} ${pct(s.recall)}   ${pct(s.recallDirect)}  ${pct(s.recallParaphrase)}     ${s.mrr.toFixed(3)}`);
  if (values['show-misses']) for (const s of scores) for (const m of s.misses) console.log(`  miss [${s.mode}] ${m}`);
  if (incidents) {
    console.log(`incident search: ${incidents.queries} incidents, precision@${k} ${pct(incidents.precision)}`);
    for (const [kind, p] of Object.entries(incidents.byKind)) console.log(`  ${kind.padEnd(28)} ${pct(p)}`);
  } else {
    console.log('incident search: no --incidents file given (see tools/eval/rag/README.md)');
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
