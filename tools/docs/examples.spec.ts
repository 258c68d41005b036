import { examplesIn } from './examples';

const md = [
  '# Title',
  '```ts',
  "console.log('run me');",
  '```',
  '```sh',
  'npm start',
  '```',
  '```ts typecheck',
  'export {};',
  '```',
  '```ts fragment',
  'new Thing({ a? })',
  '```',
].join('\n');

describe('examplesIn', () => {
  it('finds the ts blocks with their mode, line and code, and skips other languages', () => {
    expect(examplesIn('docs/a-b.md', md)).toEqual([
      { doc: 'docs/a-b.md', line: 2, mode: 'run', code: "console.log('run me');\n", name: 'docs-a-b-2.ts' },
      { doc: 'docs/a-b.md', line: 8, mode: 'typecheck', code: 'export {};\n', name: 'docs-a-b-8.ts' },
      { doc: 'docs/a-b.md', line: 11, mode: 'fragment', code: 'new Thing({ a? })\n', name: 'docs-a-b-11.ts' },
    ]);
  });

  it('does not read a fence inside another block as an example', () => {
    expect(examplesIn('x.md', ['```md', '```ts', 'x', '```'].join('\n'))).toEqual([]);
    expect(examplesIn('x.md', ['````md', '```ts', 'x', '```', '````'].join('\n'))).toEqual([]);
  });

  it('does not take a line that starts with an inline code span for a fence', () => {
    expect(examplesIn('x.md', ['```` ```ts ```` is a block that runs;', '```ts', 'y', '```'].join('\n'))).toMatchObject([{ line: 2, code: 'y\n' }]);
  });

  it('refuses an unknown mode word and an unclosed fence, naming the place', () => {
    expect(() => examplesIn('x.md', '\n```ts runn\nx\n```')).toThrow('x.md:2: unknown example mode "runn"');
    expect(() => examplesIn('x.md', '```ts\nx')).toThrow('x.md:1: fence not closed');
  });
});
