import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@x0/core';
import type { KnowledgeBase } from './knowledge-base';

/** Options of {@link loadRunbookDirectory}. */
export interface LoadRunbookDirectoryOptions {
  /** Files (by source, the file name) to leave out, e.g. runbooks an operator removed. */
  skip?: (source: string) => boolean;
  /**
   * Called for a runbook the knowledge base refuses (bad front matter, no text, too large),
   * with the error naming the file; the other files are loaded. Without it the first such
   * runbook ends the load with that error.
   */
  onRejected?: (source: string, err: InvalidArgumentError) => void;
}

/** Runbook files of a folder: Markdown (`.md`, `.markdown`, any case). */
const MARKDOWN = /\.(md|markdown)$/i;
/** A folder's README describes the folder; it is not a runbook. */
const README = /^readme\.(md|markdown)$/i;

/**
 * Whether a file of a runbook folder is a runbook: Markdown, not the folder's README — the one
 * rule of the service's folder load and of `x0 kb add <folder>`.
 */
export function isFolderRunbook(fileName: string): boolean {
  return MARKDOWN.test(fileName) && !README.test(fileName);
}

/**
 * Ingests every Markdown file (`.md`, `.markdown`, any case; not README) of a directory (not
 * recursive) as a runbook whose source is the file name, e.g. `deploy/runbooks`. (Only `*.md`
 * was read: a `.markdown` runbook that `x0 kb add` took was silently left out at start.) Returns what was indexed, in file-name order. A runbook the
 * knowledge base refuses goes to `onRejected` when given; otherwise the load stops with an
 * InvalidArgumentError that starts with its file name (`b.md: 'frontMatter.actions[0]' must be …`).
 */
export async function loadRunbookDirectory(kb: KnowledgeBase, dir: string, options: LoadRunbookDirectoryOptions = {}): Promise<Array<{ source: string; chunks: number; cause?: string }>> {
  const files = (await fs.readdir(dir)).filter((f) => isFolderRunbook(f) && !options.skip?.(f)).sort();
  const out = [];
  for (const f of files) {
    try {
      out.push(await kb.ingestRunbook(f, await fs.readFile(path.join(dir, f), 'utf8')));
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      const named = new InvalidArgumentError('', `${f}: ${err.message}`, { cause: err });
      if (!options.onRejected) throw named;
      options.onRejected(f, named);
    }
  }
  return out;
}
