import { chunkMarkdown, splitText } from './markdown-chunker';

const DOC = `---
cause: disk_full
actions: [clear_cache, scale_up]
---
# Disk full

Intro line.

## Symptoms

Writes fail with ENOSPC.

## How to confirm

### Linux

\`\`\`sh
# not a heading inside code
df -h
\`\`\`

## Empty section
## Remediation

Free space.
`;

describe('chunkMarkdown', () => {
  it('chunk - one chunk per non-empty section with its heading trail and front matter', () => {
    const doc = chunkMarkdown('disk-full.md', DOC);
    expect(doc.frontMatter).toEqual({ cause: 'disk_full', actions: ['clear_cache', 'scale_up'] });
    expect(doc.title).toBe('Disk full');
    expect(doc.chunks.map((c) => [c.index, c.headings, c.text])).toEqual([
      [0, ['Disk full'], 'Intro line.'],
      [1, ['Disk full', 'Symptoms'], 'Writes fail with ENOSPC.'],
      [2, ['Disk full', 'How to confirm', 'Linux'], '```sh\n# not a heading inside code\ndf -h\n```'],
      [3, ['Disk full', 'Remediation'], 'Free space.'],
    ]);
    expect(doc.chunks.every((c) => c.source === 'disk-full.md')).toBe(true);
  });

  it('chunk - long sections are split under maxChars with overlap', () => {
    const para = (i: number) => `Paragraph ${i} ` + 'word '.repeat(40).trim() + '.';
    const md = `# T\n\n${Array.from({ length: 10 }, (_, i) => para(i)).join('\n\n')}`;
    const doc = chunkMarkdown('t.md', md, { maxChars: 500, overlapChars: 80 });
    expect(doc.chunks.length).toBeGreaterThan(2);
    for (const c of doc.chunks) expect(c.text.length).toBeLessThanOrEqual(500);
    for (let i = 1; i < doc.chunks.length; i++) {
      const prevTail = doc.chunks[i - 1].text.slice(-40);
      expect(doc.chunks[i].text).toContain(prevTail.trim().split(' ').slice(-2).join(' '));
    }
    const joined = doc.chunks.map((c) => c.text).join(' ');
    for (let i = 0; i < 10; i++) expect(joined).toContain(`Paragraph ${i}`);
  });

  it('splitText - breaks a single huge word by characters', () => {
    const pieces = splitText('x'.repeat(250), 100, 0);
    expect(pieces.map((p) => p.length)).toEqual([100, 100, 50]);
  });

  it('errors - empty document, bad front matter, bad sizes', () => {
    expect(() => chunkMarkdown('a.md', '   ')).toThrow("'markdown' must be a non-empty string");
    expect(() => chunkMarkdown('a.md', '---\n[oops\n---\n# x')).toThrow(/'frontMatter' is not valid YAML/);
    expect(() => chunkMarkdown('a.md', '# x', { maxChars: 10 })).toThrow("'maxChars' must be an integer >= 100");
  });
});
