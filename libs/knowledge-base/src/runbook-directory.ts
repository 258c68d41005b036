import fs from 'node:fs/promises';
import path from 'node:path';
import type { KnowledgeBase } from './knowledge-base';

/**
 * Ingests every `*.md` file of a directory (not recursive) as a runbook whose source is the file
 * name, e.g. `deploy/runbooks`. Returns what was indexed, in file-name order.
 */
export async function loadRunbookDirectory(kb: KnowledgeBase, dir: string): Promise<Array<{ source: string; chunks: number; cause?: string }>> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md').sort();
  const out = [];
  for (const f of files) out.push(await kb.ingestRunbook(f, await fs.readFile(path.join(dir, f), 'utf8')));
  return out;
}
