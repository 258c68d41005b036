import { incidentOfRecord, subjectToken, type SearchHit } from '@x0/contracts';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { isRpcError, rpcErrorMessage } from '@x0/client';
import { InvalidArgumentError } from '@x0/core';
import { isFolderRunbook, MAX_RUNBOOK_BYTES, parseRunbook } from '@x0/knowledge-base';
import { formatIncident, groupIncidents, incidentRows, incidentsFooter } from './incident-format';
import { fail, table } from './output';
import { usingClient } from './client-session';
import { asUsage, UsageError } from './failure';

/** A file named on the command line: Markdown, or plain text (which is Markdown without markup). */
const RUNBOOK_FILE = /\.(md|markdown|txt)$/i;

/**
 * Runbook files of a file or folder (recursively), sorted. Throws UsageError for a file that is
 * not one, and for two files of one name in the folder: a runbook is named by its file name, so
 * the second would replace the first (both were reported ingested, one was lost).
 */
export function runbookFiles(target: string): string[] {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`${target}: no such file or folder`);
  if (st.isFile()) {
    if (!RUNBOOK_FILE.test(target)) throw new UsageError(`${target}: not a runbook: expected a .md, .markdown or .txt file`);
    return [target];
  }
  const files = fs
    .readdirSync(target, { recursive: true, withFileTypes: true })
    // Markdown only, not the README, as the knowledge service's folder load (a folder's .txt files are notes, licences, logs)
    .filter((e) => e.isFile() && isFolderRunbook(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
  const byName = new Map<string, string[]>();
  for (const f of files) byName.set(path.basename(f), [...(byName.get(path.basename(f)) ?? []), f]);
  const clashes = [...byName.entries()].filter(([, paths]) => paths.length > 1);
  if (clashes.length > 0) {
    throw new UsageError(
      `${target}: runbooks are named by their file name, and ${clashes.map(([name, paths]) => `${paths.join(' and ')} are both '${name}'`).join('; ')}: ` +
        'one would replace the other; rename one, or add them one at a time',
    );
  }
  return files;
}

/**
 * A count option (`kb search -k`, `incidents --limit`): a whole number from 1 to `max` (what
 * the knowledge service answers at most). Throws UsageError naming the option otherwise (it
 * used to fall back to the default for `abc` or 0, and to send -1 or 2.5, which failed with
 * 'Request message serialization failure', exit 1).
 */
export function countOption(option: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) throw new UsageError(`${option} must be a whole number from 1 to ${max}, got '${value}'`);
  return n;
}

/**
 * Reads a runbook, exiting 2 when it is larger than the knowledge service takes (checked before
 * anything is sent: past gRPC's 4 MiB the service could only answer with a raw transport error).
 */
function readRunbook(file: string): string {
  const tooBig = (bytes: number) => bytes > MAX_RUNBOOK_BYTES && fail(`${file}: ${bytes} bytes; a runbook may be at most ${MAX_RUNBOOK_BYTES} bytes (1 MiB)`, 2);
  tooBig(fs.statSync(file).size);
  const text = fs.readFileSync(file, 'utf8');
  // What is sent is the UTF-8 of the decoded text (bytes that are not UTF-8 grow into U+FFFD).
  tooBig(Buffer.byteLength(text, 'utf8'));
  return text;
}

/**
 * Checks a runbook as the knowledge service will (front matter, actions, some text), so a bad
 * file of a folder is named before anything is sent. Throws UsageError `<file>: <reason>`: a bad
 * file in the middle of a folder used to leave the files before it ingested, the ones after it
 * not, and the error did not say which file it was.
 */
export function checkRunbook(file: string, text: string): void {
  try {
    parseRunbook(path.basename(file), text);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The name `kb rm` removes: a runbook is named by its file name (as `kb add` sends it), so a
 * path is taken to its file name. Throws UsageError for an empty name.
 */
export function runbookName(arg: string): string {
  const name = path.basename(arg);
  if (!name.trim()) throw new UsageError('runbook name must not be empty');
  return name;
}

/** Most passages the Search RPC answers. */
const MAX_SEARCH_LIMIT = 100;

/**
 * What `x0 kb search` prints: each passage (score, title, source and cause, the start of its
 * text, its actions). A passage that shares no word with the query was found by meaning alone,
 * and says so; when none shares a word, a first line says the passages may be unrelated (their
 * scores are ranks fused, not a measure of relevance).
 */
export function formatRunbookHits(hits: readonly SearchHit[]): string {
  if (hits.length === 0) return 'no matching passage\n';
  const anyWords = hits.some((h) => h.sharesWords);
  let out = anyWords ? '' : 'no passage shares a word with the query: the nearest by meaning follow, and they may be unrelated\n';
  for (const h of hits) {
    const byMeaning = anyWords && !h.sharesWords ? '  (by meaning only: no word in common)' : '';
    out += `\n${h.score.toFixed(3)}  ${h.title}  [${h.payload['source']}${h.payload['cause'] ? `, cause ${h.payload['cause']}` : ''}]${byMeaning}\n`;
    out += `${h.text.replace(/\s+/g, ' ').slice(0, 300)}${h.text.length > 300 ? '…' : ''}\n`;
    if (h.payload['actions']) out += `actions: ${h.payload['actions']}\n`;
  }
  return out;
}

/** `x0 kb add <file|dir>`, `x0 kb rm <runbook>`, `x0 kb search "<text>"`. */
export function registerKnowledge(program: Command): void {
  const kb = program.command('kb').description('runbooks and past incidents the analyze phase retrieves');
  kb.command('add')
    .description(`ingest runbooks (a file or a folder); chunks are cut at Markdown headings; at most ${MAX_RUNBOOK_BYTES} bytes (1 MiB) each`)
    .argument('<path>', 'a runbook file (.md, .markdown, or plain-text .txt) or a folder (its .md and .markdown files, recursively)')
    .action(async (target: string) => {
      const files = runbookFiles(target);
      if (files.length === 0) throw new UsageError(`${target}: no Markdown files`);
      // Every file is checked before the first is sent: a bad one does not leave half a folder ingested.
      const runbooks = files.map((f) => ({ file: f, text: readRunbook(f) }));
      for (const { file, text } of runbooks) checkRunbook(file, text);
      await usingClient('x0-kb', async (client) => {
        for (const { file, text } of runbooks) {
          const res = await client.services.knowledge.ingestDocument({ source: path.basename(file), text }).catch((err: unknown) => {
            // Which file, when the service refuses one the check above let through (an older service, a lost connection).
            throw new Error(`${file}: ${rpcErrorMessage(err)}`, { cause: err });
          });
          process.stdout.write(`${file}: ${res.chunks} chunk(s)\n`);
        }
      });
    });
  kb.command('rm')
    .description('remove a runbook: neither kb search nor the analyze phase finds it any more, also after a restart (kb add brings it back)')
    .argument('<runbook>', 'the runbook, by the file name it was added with (disk-full.md) or the path it was added from; x0 kb search shows it in brackets')
    .action(async (runbook: string) => {
      const source = runbookName(runbook);
      await usingClient('x0-kb', async (client) => {
        const res = await client.services.knowledge.deleteDocument({ source });
        process.stdout.write(`removed ${source} (${res.chunks} chunk(s))\n`);
      });
    });
  kb.command('search')
    .description('search the runbooks (lexical + dense hybrid)')
    .argument('<text>', 'question or description')
    .option('-k, --limit <n>', `passages to show (1 to ${MAX_SEARCH_LIMIT})`, '5')
    .option('--json', 'JSON output')
    .action(async (text: string, opts: { limit: string; json?: boolean }) => {
      const limit = countOption('-k, --limit', opts.limit, MAX_SEARCH_LIMIT);
      await usingClient('x0-kb', async (client) => {
        const { hits } = await client.services.knowledge.search({ collection: 'runbooks', text, vector: [], limit, component: '', kind: '' });
        if (opts.json) return void process.stdout.write(`${JSON.stringify(hits)}\n`);
        process.stdout.write(formatRunbookHits(hits));
      });
    });
}

/**
 * `x0 incidents --component`: a component name as the loop names components (a subject token).
 * Throws UsageError otherwise — `--component 'demo web'` or `demo.web` answered 'no recorded
 * incident', as for a component that has had none.
 */
export function componentOption(value: string): string {
  return asUsage(() => subjectToken(value, 'component'));
}

/** Most records `x0 incidents` reads to fill its rows (a row is an incident, which may have many). */
const MAX_RECORDS = 1000;

/** `x0 incidents [--component c] [--limit n]`, `x0 incidents show <id>`. */
export function registerIncidents(program: Command): void {
  const cmd = program
    .command('incidents')
    .description('recorded incidents, one row each (however often the monitor re-announced it): when it started, what was tried, what came of it')
    .option('--component <name>', 'only this component')
    .option('--limit <n>', `how many incidents (newest first); with --json, how many recorded outcomes (1 to ${MAX_RECORDS})`, '20')
    .option('--json', 'JSON output: the recorded outcomes as the knowledge service returns them (one per action tried)')
    .action(async (opts: { component?: string; limit: string; json?: boolean }) => {
      const limit = countOption('--limit', opts.limit, MAX_RECORDS);
      const component = opts.component === undefined ? '' : componentOption(opts.component);
      await usingClient('x0-incidents', async (client) => {
        const list = (n: number) => client.services.knowledge.listIncidents({ component, limit: n, incidentId: '' });
        if (opts.json) return void process.stdout.write(`${JSON.stringify((await list(limit)).incidents)}\n`);
        // Several outcomes per incident: read more records than rows, so the newest `limit` incidents are whole.
        const { incidents } = await list(Math.min(MAX_RECORDS, limit * 10));
        const groups = groupIncidents(incidents).slice(0, limit);
        const records = groups.reduce((n, g) => n + g.records.length, 0);
        process.stdout.write(`${groups.length > 0 ? `${table(incidentRows(groups))}\n` : ''}${incidentsFooter(groups.length, records)}\n`);
      });
    });
  cmd
    .command('show')
    .description('one recorded outcome, whole: what was detected, diagnosed and done, the outcome, the other outcomes of its incident, and the ids to follow')
    .argument('<id>', 'a recorded outcome (its anomaly id) or an incident (x0 incidents, INCIDENT): then its latest outcome')
    .option('--json', 'JSON output (the incident as the knowledge service returns it, with the whole signature)')
    .action(async (id: string, opts: { json?: boolean }, show: Command) => {
      // `incidents` has a --json of its own, which takes the flag wherever it is written.
      const json = opts.json || show.parent?.opts<{ json?: boolean }>().json;
      await usingClient('x0-incidents', async (client) => {
        const knowledge = client.services.knowledge;
        // The records of one incident; none when the service cannot filter by incident (an older one).
        const ofIncident = (incidentId: string) =>
          knowledge.listIncidents({ component: '', limit: 100, incidentId }).then(
            (r) => r.incidents.filter((i) => incidentOfRecord(i) === incidentId),
            () => [],
          );
        const incident = await knowledge.getIncident({ id }).catch(async (err: unknown) => {
          // An incident id whose opening announcement has no outcome of its own: its latest one.
          if (!isRpcError(err) || err.code !== status.NOT_FOUND) throw err;
          const latest = (await ofIncident(id))[0];
          if (!latest) throw err;
          return latest;
        });
        if (json) return void process.stdout.write(`${JSON.stringify(incident)}\n`);
        process.stdout.write(`${formatIncident(incident, await ofIncident(incidentOfRecord(incident)))}\n`);
      });
    });
}
