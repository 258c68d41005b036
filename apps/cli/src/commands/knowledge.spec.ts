import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './failure';
import { SearchHit } from '@x0/contracts';
import { checkRunbook, componentOption, countOption, formatRunbookHits, runbookFiles, runbookName } from './knowledge';

describe('x0 kb rm', () => {
  it('runbook name - a path is taken to its file name, as kb add names the runbook', () => {
    expect(runbookName('disk-full.md')).toBe('disk-full.md');
    expect(runbookName('deploy/runbooks/disk-full.md')).toBe('disk-full.md');
  });

  it('runbook name - an empty name is a usage error, named as the operator knows it', () => {
    for (const arg of ['', ' ', '/']) {
      expect(() => runbookName(arg)).toThrow(UsageError);
      expect(() => runbookName(arg)).toThrow('runbook name must not be empty');
    }
  });
});

describe('x0 kb add', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'x0-kb-files-'));

  it('runbook files - a folder with two runbooks of one file name is refused, naming both (the second replaced the first)', () => {
    const dir = tmp();
    for (const sub of ['db', 'web']) {
      fs.mkdirSync(path.join(dir, sub));
      fs.writeFileSync(path.join(dir, sub, 'restart.md'), `# ${sub} restart\n`);
    }
    fs.writeFileSync(path.join(dir, 'disk-full.md'), '# Disk full\n');
    expect(() => runbookFiles(dir)).toThrow(UsageError);
    expect(() => runbookFiles(dir)).toThrow(
      `${dir}: runbooks are named by their file name, and ${path.join(dir, 'db', 'restart.md')} and ${path.join(dir, 'web', 'restart.md')} are both 'restart.md': one would replace the other; rename one, or add them one at a time`,
    );
  });

  it('runbook files - a folder of distinct names gives its Markdown files, sorted; a missing path is a usage error', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'db'));
    fs.writeFileSync(path.join(dir, 'db', 'restart.md'), '# restart\n');
    fs.writeFileSync(path.join(dir, 'disk-full.md'), '# Disk full\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a runbook\n');
    // A README in each folder describes it: not a runbook (and two of them clashed by name).
    fs.writeFileSync(path.join(dir, 'README.md'), '# Runbooks\n\nHow to write one.\n');
    fs.writeFileSync(path.join(dir, 'db', 'readme.markdown'), '# DB runbooks\n\nOwned by the DB team.\n');
    expect(runbookFiles(dir)).toEqual([path.join(dir, 'db', 'restart.md'), path.join(dir, 'disk-full.md')]);
    expect(() => runbookFiles(path.join(dir, 'nope'))).toThrow(new UsageError(`${path.join(dir, 'nope')}: no such file or folder`));
  });
});

describe('x0 kb search -k, x0 incidents --limit', () => {
  it('count option - a whole number in range is taken', () => {
    expect(countOption('--limit', '1', 100)).toBe(1);
    expect(countOption('--limit', '100', 100)).toBe(100);
  });

  it('count option - anything else is a usage error naming the option (abc and 0 fell back to the default, -1 failed to serialise)', () => {
    for (const v of ['abc', '0', '-1', '2.5', '', '101', '1e2']) {
      expect(() => countOption('-k, --limit', v, 100)).toThrow(new UsageError(`-k, --limit must be a whole number from 1 to 100, got '${v}'`));
    }
  });
});

describe('x0 kb add - checked before sending', () => {
  it('check runbook - bad front matter or no text is a usage error naming the file (a folder was half ingested, the file not named)', () => {
    const cases: Array<[string, string]> = [
      ['---\ncause: disk_full\nactions: [reboot]\n---\n# Beta\n\nbeta text.\n', "runbooks/b-beta.md: 'frontMatter.actions[0]' must be one of scale_up, restart, throttle, failover, clear_cache, rollback"],
      ['---\ncause: Disk Full\n---\n# Beta\n\nbeta text.\n', "runbooks/b-beta.md: 'frontMatter.cause' must be snake_case like cpu_saturation, got 'Disk Full'"],
      ['# Only a heading\n', "runbooks/b-beta.md: 'markdown' has no text to index"],
    ];
    for (const [text, message] of cases) {
      expect(() => checkRunbook('runbooks/b-beta.md', text)).toThrow(UsageError);
      expect(() => checkRunbook('runbooks/b-beta.md', text)).toThrow(message);
    }
    expect(() => checkRunbook('runbooks/a.md', '---\ncause: disk_full\nactions: [clear_cache]\n---\n# Alpha\n\nalpha text.\n')).not.toThrow();
  });
});

describe('x0 incidents --component', () => {
  it('component option - a name that cannot be a component is a usage error (it answered "no recorded incident")', () => {
    expect(componentOption('demo-web')).toBe('demo-web');
    expect(() => componentOption('demo web')).toThrow(UsageError);
    expect(() => componentOption('demo web')).toThrow(`'component' must not contain " " (got "demo web")`);
    for (const bad of ['demo.web', '', 'a>b']) expect(() => componentOption(bad)).toThrow(UsageError);
  });
});

describe('x0 kb search output', () => {
  const hit = (id: string, score: number, sharesWords: boolean) =>
    SearchHit.fromPartial({ id, score, title: `T ${id}`, text: 'some text', payload: { source: `${id}.md`, cause: 'disk_full', actions: '' }, sharesWords });

  it('says when no passage shares a word with the query, and marks a passage found by meaning alone among others', () => {
    expect(formatRunbookHits([])).toBe('no matching passage\n');
    const none = formatRunbookHits([hit('a', 0.5, false), hit('b', 0.333, false)]);
    expect(none.split('\n')[0]).toBe('no passage shares a word with the query: the nearest by meaning follow, and they may be unrelated');
    expect(none).not.toContain('by meaning only');
    const mixed = formatRunbookHits([hit('a', 0.5, true), hit('b', 0.333, false)]);
    expect(mixed).not.toContain('no passage shares a word');
    expect(mixed).toContain('\n0.500  T a  [a.md, cause disk_full]\n');
    expect(mixed).toContain('\n0.333  T b  [b.md, cause disk_full]  (by meaning only: no word in common)\n');
  });
});
