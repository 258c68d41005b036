import fs from 'node:fs/promises';
import path from 'node:path';
import type { KnowledgeBase } from './knowledge-base';

/** Options of {@link loadRunbookDirectory}. */
export interface LoadRunbookDirectoryOptions {
  /** Files (by source, the file name) to leave out, e.g. runbooks an operator removed. */
  skip?: (source: string) => boolean;
}

/**
 * Ingests every `*.md` file of a directory (not recursive) as a runbook whose source is the file
 * name, e.g. `deploy/runbooks`. Returns what was indexed, in file-name order.
 */
export async function loadRunbookDirectory(kb: KnowledgeBase, dir: string, options: LoadRunbookDirectoryOptions = {}): Promise<Array<{ source: string; chunks: number; cause?: string }>> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md' && !options.skip?.(f)).sort();
  const out = [];
  for (const f of files) out.push(await kb.ingestRunbook(f, await fs.readFile(path.join(dir, f), 'utf8')));
  return out;
}
