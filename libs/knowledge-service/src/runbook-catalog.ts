import fs from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '@x0/core';
import { checkRunbookSize, loadRunbookDirectory, type KnowledgeBase } from '@x0/knowledge-base';
import type { Logger } from '@x0/service-kit';
import type { RunbookRemovals } from './runbook-removals';

/** Dependencies of a {@link RunbookCatalog}. */
export interface RunbookCatalogOptions {
  kb: KnowledgeBase;
  removals: RunbookRemovals;
  logger: Logger;
  /** Called after every change of the runbooks (the evidence responder forgets its cached answers). */
  onChange(): void;
  clock?: () => number;
}

/**
 * The runbooks the knowledge service holds: the folder it loads at start, and the ingests and
 * removals operators make over gRPC. A removal takes every passage of the runbook out of the
 * vector store (dense and lexical index alike) and is recorded in {@link RunbookRemovals}, so
 * the folder load of the next start leaves the runbook out; ingesting it again brings it back.
 */
export class RunbookCatalog {
  private readonly clock: () => number;

  constructor(private readonly o: RunbookCatalogOptions) {
    this.clock = o.clock ?? Date.now;
  }

  /**
   * Ingests the runbooks of `dir` except the removed ones. Returns what was ingested, the
   * sources left out, and the runbooks refused with the reason (bad front matter, no text, too
   * large: one bad file used to stop the whole service from starting); `undefined` when the
   * folder does not exist.
   */
  async loadFolder(dir: string): Promise<{ runbooks: number; chunks: number; skipped: string[]; rejected: Array<{ source: string; reason: string; dropped: number }> } | undefined> {
    if (!fs.existsSync(dir)) return undefined;
    const removed = await this.o.removals.sources();
    const skipped: string[] = [];
    const rejected: Array<{ source: string; reason: string; dropped: number }> = [];
    const skip = (source: string): boolean => {
      if (!removed.has(source)) return false;
      skipped.push(source);
      return true;
    };
    const loaded = await loadRunbookDirectory(this.o.kb, dir, { skip, onRejected: (source, err) => rejected.push({ source, reason: err.message, dropped: 0 }) });
    // A refused file's earlier version (ingested by an earlier start, or x0 kb add) is not searched any more: the folder says it is not valid.
    for (const r of rejected) r.dropped = await this.o.kb.deleteRunbook(r.source);
    if (loaded.length > 0 || rejected.some((r) => r.dropped > 0)) this.o.onChange();
    return { runbooks: loaded.length, chunks: loaded.reduce((s, r) => s + r.chunks, 0), skipped, rejected };
  }

  /**
   * Ingests (or replaces) a runbook and forgets an earlier removal of its source (first: if the
   * ingest then fails, the next folder load brings the runbook back, which is what was asked;
   * the other order could leave it searchable now and skipped at the next start). Throws
   * InvalidArgumentError for an empty source or text, a source with a folder in it, a text over
   * MAX_RUNBOOK_BYTES, bad front matter.
   */
  async ingest(source: string, text: string): Promise<{ chunks: number; cause?: string }> {
    if (!source.trim()) throw new InvalidArgumentError('source', 'must not be empty');
    // A runbook is named by its file name: x0 kb rm takes a path to its file name, so a source
    // with a folder in it could be listed by x0 kb search but never removed with x0 kb rm.
    if (/[/\\]/.test(source)) {
      throw new InvalidArgumentError('source', `must be a file name like disk-full.md, not a path: got '${source}' (a runbook is named by its file name; x0 kb rm takes it so)`);
    }
    if (!text.trim()) throw new InvalidArgumentError('text', 'must not be empty');
    checkRunbookSize(text, 'text');
    await this.o.removals.forget(source);
    const res = await this.o.kb.ingestRunbook(source, text);
    this.o.onChange();
    this.o.logger.info({ source, chunks: res.chunks, cause: res.cause }, 'runbook ingested');
    return res;
  }

  /**
   * Removes a runbook: its removal is recorded first (a failure after it leaves the runbook
   * searchable, and the call can be repeated), then its passages are deleted. Returns how many
   * passages it had. Throws InvalidArgumentError for an empty source, NotFoundError when no
   * passage of `source` is indexed.
   */
  async remove(source: string): Promise<number> {
    if (!source.trim()) throw new InvalidArgumentError('source', 'must not be empty');
    const chunks = await this.o.kb.countRunbookPassages(source);
    if (chunks === 0) throw new NotFoundError('runbook', source, { hint: notFoundHint(source) });
    await this.o.removals.record({ source, removedMs: this.clock(), chunks });
    const removed = await this.o.kb.deleteRunbook(source);
    this.o.onChange();
    this.o.logger.info({ source, chunks: removed }, 'runbook removed');
    return removed;
  }
}

/**
 * What to say about a runbook that is not indexed: a file name is simply not (or no longer) in
 * the knowledge base; anything else (a path, no extension) is not how runbooks are named.
 */
function notFoundHint(source: string): string {
  return /^[^/\\]+\.(md|markdown|txt)$/i.test(source)
    ? 'it is not in the knowledge base (never added, or removed already); x0 kb search shows the runbooks it has, in brackets'
    : 'a runbook is named by its file name, e.g. disk-full.md (x0 kb search shows it in brackets)';
}
