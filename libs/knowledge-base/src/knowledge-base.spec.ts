import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '@x0/core';
import { HashedNgramEmbedder } from '@x0/embeddings';
import { EmbeddedVectorStore } from '@x0/vector-store';
import { checkRunbookSize, embedderChangedHint, KnowledgeBase, MAX_RUNBOOK_BYTES, parseRunbook } from './knowledge-base';
import { loadRunbookDirectory } from './runbook-directory';

const RUNBOOKS = path.resolve(__dirname, '../../../deploy/runbooks');

describe('KnowledgeBase', () => {
  let dir: string;
  let store: EmbeddedVectorStore;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-'));
    store = new EmbeddedVectorStore({ dataDir: dir, durability: 'none' });
    await store.start();
    kb = new KnowledgeBase({ store });
    await kb.start();
  });
  afterAll(async () => {
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ingest - indexes every shipped runbook with its cause', async () => {
    const loaded = await loadRunbookDirectory(kb, RUNBOOKS);
    expect(loaded.length).toBeGreaterThanOrEqual(12);
    const causes = loaded.map((l) => l.cause);
    for (const c of ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down']) expect(causes).toContain(c);
    expect(await store.count('runbooks')).toBe(loaded.reduce((s, l) => s + l.chunks, 0));
  });

  it('search - finds the right runbook in hybrid, lexical and dense modes', async () => {
    for (const mode of ['hybrid', 'lexical', 'dense'] as const) {
      const hits = await kb.searchRunbooks('No space left on device when writing files', { k: 3, mode });
      expect(hits[0].cause).toBe('disk_full');
      expect(hits[0].source).toBe('disk-full.md');
    }
    const [hit] = await kb.searchRunbooks('how to confirm cpu throttling in a container', { k: 1 });
    expect(hit).toMatchObject({ cause: 'cpu_saturation', headings: ['CPU saturation', 'How to confirm'] });
    expect(hit.runbookActions).toEqual(['scale_up', 'throttle', 'rollback', 'restart']);
  });

  it('search - says whether a passage shares a word with the query: none does for words no runbook has (the hits are nearest by meaning)', async () => {
    const nonsense = await kb.searchRunbooks('xyzzy plugh frobnicate', { k: 5 });
    expect(nonsense.length).toBeGreaterThan(0);
    expect(nonsense.map((h) => h.sharedWords)).toEqual(nonsense.map(() => false));
    const [disk] = await kb.searchRunbooks('No space left on device when writing files', { k: 1 });
    expect(disk.sharedWords).toBe(true);
    // a heading's words count: they are indexed with the passage
    const [byHeading] = await kb.searchRunbooks(disk.headings[disk.headings.length - 1] ?? disk.title, { k: 1, mode: 'lexical' });
    expect(byHeading.sharedWords).toBe(true);
  });

  it('search - filters by cause and by mentioned action', async () => {
    const hits = await kb.searchRunbooks('what should I do', { k: 10, filter: { cause: ['gc_pauses', 'memory_leak'], action: 'restart' } });
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) {
      expect(['gc_pauses', 'memory_leak']).toContain(h.cause);
      expect(h.actions).toContain('restart');
    }
  });

  it('ingest - a new version replaces the old passages of the same source', async () => {
    const md = (n: number) => `---\ncause: test_cause\nactions: [restart]\n---\n# Test\n${Array.from({ length: n }, (_, i) => `## Part ${i}\n\nzebra text ${i} restart`).join('\n\n')}`;
    expect((await kb.ingestRunbook('test.md', md(5))).chunks).toBe(5);
    expect((await kb.ingestRunbook('test.md', md(2))).chunks).toBe(2);
    const hits = await kb.searchRunbooks('zebra', { k: 10, mode: 'lexical', filter: { source: 'test.md' } });
    expect(hits.map((h) => h.headings[1]).sort()).toEqual(['Part 0', 'Part 1']);
    expect(hits[0].actions).toEqual(['restart']);
    expect(await kb.deleteRunbook('test.md')).toBe(2);
  });

  it('delete - a removed runbook is found by no retrieval mode, even by its own words', async () => {
    const { chunks } = await kb.ingestRunbook('walrus.md', '---\ncause: walrus_stampede\n---\n# Walrus stampede\n\n## Symptoms\n\nThe walrus herd tramples the quorum.\n\n## Remediation\n\nUse `failover`.');
    const query = 'walrus herd tramples the quorum';
    for (const mode of ['hybrid', 'lexical', 'dense'] as const) expect((await kb.searchRunbooks(query, { k: 3, mode }))[0].source).toBe('walrus.md');
    expect(chunks).toBe(2);
    expect(await kb.countRunbookPassages('walrus.md')).toBe(2);
    expect(await kb.deleteRunbook('walrus.md')).toBe(2);
    expect(await kb.countRunbookPassages('walrus.md')).toBe(0);
    await expect(kb.searchRunbooks('walrus', { k: 5, mode: 'lexical' })).resolves.toEqual([]);
    for (const mode of ['hybrid', 'dense'] as const) expect((await kb.searchRunbooks(query, { k: 50, mode })).map((h) => h.source)).not.toContain('walrus.md');
    expect(await kb.deleteRunbook('walrus.md')).toBe(0);
  });

  it('ingest - a folder load leaves out the runbooks it is told to skip', async () => {
    const before = await kb.countRunbookPassages('disk-full.md');
    expect(await kb.deleteRunbook('disk-full.md')).toBe(before);
    const loaded = await loadRunbookDirectory(kb, RUNBOOKS, { skip: (source) => source === 'disk-full.md' });
    expect(loaded.map((l) => l.source)).not.toContain('disk-full.md');
    expect(loaded.length).toBeGreaterThanOrEqual(11);
    expect(await kb.countRunbookPassages('disk-full.md')).toBe(0);
    await loadRunbookDirectory(kb, RUNBOOKS);
    expect(await kb.countRunbookPassages('disk-full.md')).toBe(before);
  });

  it('ingest - a folder with a bad runbook: the others are loaded and the bad one reported by file name; without onRejected the load stops naming it', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-folder-'));
    fs.writeFileSync(path.join(folder, 'a-alpha.md'), '---\ncause: disk_full\n---\n# Alpha\n\nalpha zqwalpha text.\n');
    fs.writeFileSync(path.join(folder, 'b-beta.md'), '---\ncause: disk_full\nactions: [reboot]\n---\n# Beta\n\nbeta zqwbeta text.\n');
    fs.writeFileSync(path.join(folder, 'c-gamma.md'), '---\ncause: disk_full\n---\n# Gamma\n\ngamma zqwgamma text.\n');
    try {
      const rejected: Array<[string, string]> = [];
      const loaded = await loadRunbookDirectory(kb, folder, { onRejected: (source, err) => rejected.push([source, err.message]) });
      expect(loaded.map((l) => l.source)).toEqual(['a-alpha.md', 'c-gamma.md']);
      expect(rejected).toEqual([['b-beta.md', "b-beta.md: 'frontMatter.actions[0]' must be one of scale_up, restart, throttle, failover, clear_cache, rollback"]]);
      expect((await kb.searchRunbooks('zqwgamma', { k: 1, mode: 'lexical' }))[0]?.source).toBe('c-gamma.md');
      const stopped = loadRunbookDirectory(kb, folder);
      await expect(stopped).rejects.toThrow(InvalidArgumentError);
      await expect(loadRunbookDirectory(kb, folder)).rejects.toThrow("b-beta.md: 'frontMatter.actions[0]' must be one of");
    } finally {
      for (const s of ['a-alpha.md', 'c-gamma.md']) await kb.deleteRunbook(s);
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('ingest - a folder load reads .md and .markdown files in any case, not README or other files (a .markdown runbook was left out)', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-md-'));
    const files = ['a.md', 'b.markdown', 'C.MD', 'README.md', 'readme.markdown', 'notes.txt'];
    for (const f of files) fs.writeFileSync(path.join(folder, f), `# ${f}\n\ntext of ${f}.\n`);
    try {
      expect((await loadRunbookDirectory(kb, folder)).map((l) => l.source)).toEqual(['C.MD', 'a.md', 'b.markdown']);
    } finally {
      for (const s of ['a.md', 'b.markdown', 'C.MD']) await kb.deleteRunbook(s);
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('search - a runbook without title or heading is called by its file name (it was untitled)', async () => {
    await kb.ingestRunbook('notes-zqnotes.txt', 'restart the zqnotes worker when it hangs\n');
    try {
      const [hit] = await kb.searchRunbooks('zqnotes worker', { k: 1, mode: 'lexical' });
      expect([hit.source, hit.title, hit.headings]).toEqual(['notes-zqnotes.txt', 'notes-zqnotes.txt', []]);
    } finally {
      await kb.deleteRunbook('notes-zqnotes.txt');
    }
  });

  it('errors - empty text, stop-word-only lexical query, bad front matter', async () => {
    await expect(kb.searchRunbooks('  ')).rejects.toThrow(new InvalidArgumentError('text', 'must be a non-empty string'));
    await expect(kb.searchRunbooks('the of and', { mode: 'lexical' })).rejects.toThrow("'text' has no searchable words");
    expect(await kb.searchRunbooks('the of and', { k: 2 })).toHaveLength(2); // hybrid falls back to dense
    await expect(kb.ingestRunbook('x.md', '---\ncause: Disk Full\n---\n# X\n\ntext')).rejects.toThrow("'frontMatter.cause' must be snake_case");
    // a typo of a known cause (the runbook would be keyed to a cause nothing else uses); a cause of its own is fine
    await expect(kb.ingestRunbook('x.md', '---\ncause: disk_ful\n---\n# X\n\ntext')).rejects.toThrow("'frontMatter.cause' is 'disk_ful', not a known cause: did you mean disk_full?");
    expect(parseRunbook('y.md', '---\ncause: certificate_expiry\n---\n# Y\n\ntext').cause).toBe('certificate_expiry');
    await expect(kb.ingestRunbook('x.md', '---\nactions: [reboot]\n---\n# X\n\ntext')).rejects.toThrow("'frontMatter.actions[0]' must be one of scale_up, restart");
  });

  it('ingest - a runbook over 1 MiB is refused naming the limit', async () => {
    const body = (bytes: number) => `# Big\n\n${'word '.repeat(Math.ceil(bytes / 5))}`.slice(0, bytes);
    await expect(kb.ingestRunbook('big.md', body(MAX_RUNBOOK_BYTES + 1))).rejects.toThrow(
      new InvalidArgumentError('markdown', `is ${MAX_RUNBOOK_BYTES + 1} bytes; a runbook may be at most 1048576 bytes (1 MiB)`),
    );
    // Multi-byte characters count as the bytes they take on the wire, not as characters.
    expect(() => checkRunbookSize('é'.repeat(MAX_RUNBOOK_BYTES / 2 + 1), 'text')).toThrow(`'text' is ${MAX_RUNBOOK_BYTES + 2} bytes`);
    expect(() => checkRunbookSize(body(MAX_RUNBOOK_BYTES))).not.toThrow();
  });

  it('incidents - similar signatures first, filtered by component and kind', async () => {
    const sig = (base: number, noise: number) => Float32Array.from({ length: 64 }, (_, i) => Math.sin(base * (i + 1)) + noise * Math.cos(i * 3.1));
    await kb.upsertIncident('inc_1', sig(1, 0), { component: 'api', kind: 'cpu_saturation', outcome: 'recovered' });
    await kb.upsertIncident('inc_2', sig(1, 0.05), { component: 'db', kind: 'cpu_saturation' });
    await kb.upsertIncident('inc_3', sig(2, 0), { component: 'api', kind: 'memory_leak' });
    const hits = await kb.searchIncidents(sig(1, 0.01), { k: 2 });
    expect(hits.map((h) => h.id)).toEqual(['inc_1', 'inc_2']);
    expect(hits[0].payload).toEqual({ component: 'api', kind: 'cpu_saturation', outcome: 'recovered' });
    expect((await kb.searchIncidents(sig(1, 0), { component: 'api', kind: 'memory_leak' })).map((h) => h.id)).toEqual(['inc_3']);
    expect((await kb.searchIncidents(sig(1, 0), { k: 1, excludeIds: ['inc_1'] })).map((h) => h.id)).toEqual(['inc_2']);
    await expect(kb.upsertIncident('inc_4', sig(1, 0).slice(0, 10), { component: 'api', kind: 'x' })).rejects.toThrow("'points[0].vectors.signature' must have 64 elements, got 10");
    await expect(kb.upsertIncident('inc_4', sig(1, 0), { component: '', kind: 'x' })).rejects.toThrow("'payload.component' must be a non-empty string");
  });

  it('incidents - excludeIncident leaves out every record of one incident (its re-announcements and the record under its id), however many', async () => {
    const sig = (noise: number) => Float32Array.from({ length: 64 }, (_, i) => Math.sin(5 * (i + 1)) + noise * Math.cos(i * 1.7));
    // A lasting fault: its opening announcement (an older record, no incident_id) and six re-announcements, all closer than any other incident.
    await kb.upsertIncident('an_open', sig(0), { component: 'queue', kind: 'lasting' });
    for (let n = 2; n <= 7; n++) await kb.upsertIncident(`an_re${n}`, sig(0.001 * n), { component: 'queue', kind: 'lasting', incident_id: 'an_open' });
    await kb.upsertIncident('an_other', sig(0.2), { component: 'queue', kind: 'lasting', incident_id: 'an_other' });
    await kb.upsertIncident('an_old', sig(0.3), { component: 'queue', kind: 'lasting' });
    expect((await kb.searchIncidents(sig(0), { k: 2, kind: 'lasting' })).map((h) => h.id)).toEqual(['an_open', 'an_re2']);
    expect((await kb.searchIncidents(sig(0), { k: 2, kind: 'lasting', excludeIncident: 'an_open' })).map((h) => h.id)).toEqual(['an_other', 'an_old']);
    expect((await kb.searchIncidents(sig(0), { k: 5, excludeIncident: 'an_open', excludeIds: ['an_other'] })).map((h) => h.id)).not.toContain('an_re3');
  });

  it('incidents - upsertIncidents stores a batch in one write, all or nothing', async () => {
    const sig = (base: number) => Float32Array.from({ length: 64 }, (_, i) => Math.cos(base * (i + 2)));
    const before = await kb.searchIncidents(sig(7), { k: 100 });
    await expect(
      kb.upsertIncidents([
        { id: 'batch_ok', signature: sig(7), payload: { component: 'q', kind: 'queue_backlog' } },
        { id: 'batch_bad', signature: sig(8).slice(0, 3), payload: { component: 'q', kind: 'queue_backlog' } },
      ]),
    ).rejects.toThrow("'points[1].vectors.signature' must have 64 elements, got 3");
    expect((await kb.searchIncidents(sig(7), { k: 100 })).length).toBe(before.length);
    await kb.upsertIncidents([
      { id: 'batch_1', signature: sig(7), payload: { component: 'q', kind: 'queue_backlog' } },
      { id: 'batch_2', signature: sig(9), payload: { component: 'q', kind: 'queue_backlog' } },
    ]);
    expect((await kb.searchIncidents(sig(7), { k: 2, component: 'q' })).map((h) => h.id)).toEqual(['batch_1', 'batch_2']);
    await kb.upsertIncidents([]);
  });
});

describe('KnowledgeBase with an endpoint embedder', () => {
  it('start - runbooks embedded by another embedder: the error says both sizes and what to do (it said only "exists with different vectors")', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-dim-'));
    const store2 = new EmbeddedVectorStore({ dataDir: dir2, durability: 'none' });
    await store2.start();
    try {
      await new KnowledgeBase({ store: store2 }).start();
      const changed = new KnowledgeBase({ store: store2, embedder: new HashedNgramEmbedder({ dim: 128 }) });
      const err = await changed.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FailedPreconditionError);
      expect((err as Error).message).toBe(
        `collection 'runbooks' exists with different vectors: it has dense 256 cosine, sparse text (idf), asked for dense 128 cosine, sparse text (idf): ${embedderChangedHint('runbooks', new HashedNgramEmbedder({ dim: 128 }).id)}`,
      );
      expect(embedderChangedHint('runbooks', 'hashed-ngram-128')).toContain('$X0_DATA_DIR/vectors/vector-store/runbooks');
    } finally {
      await store2.stop();
      fs.rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('start - learns the runbook vector size from the embedder when it does not know it yet', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-dim-'));
    const store = new EmbeddedVectorStore({ dataDir: dir, durability: 'none' });
    await store.start();
    const calls: string[][] = [];
    // Same contract as an endpoint embedder before its first answer: dim 0, vectors of 12.
    const embedder = {
      id: 'test:12',
      dim: 0,
      embed: async (texts: readonly string[]) => {
        calls.push([...texts]);
        return texts.map((t) => Float32Array.from({ length: 12 }, (_, i) => (t.length + i) % 5 + 1));
      },
    };
    const kb = new KnowledgeBase({ store, embedder });
    await kb.start();
    expect((await store.getCollection('runbooks')).config.vectors).toEqual({ dense: { size: 12, distance: 'cosine' } });
    expect(calls).toEqual([['dimension probe']]);
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
