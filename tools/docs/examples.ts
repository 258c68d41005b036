/**
 * The TypeScript examples in the documentation, as the docs test checks them.
 *
 * A fenced block whose info string starts with `ts` is an example. The words after `ts` say
 * what the test does with it:
 *
 * - ```` ```ts ```` — a complete program: type-checked against the workspace and run (it must
 *   exit 0);
 * - ```` ```ts typecheck ```` — complete, but it needs something the test does not provide
 *   (a running agent that never exits, a cluster): type-checked only;
 * - ```` ```ts fragment ```` — a piece of code or an outline of an API: neither.
 */
import fs from 'node:fs';
import path from 'node:path';

export type ExampleMode = 'run' | 'typecheck' | 'fragment';

export interface DocExample {
  /** Markdown file, relative to the workspace root. */
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  mode: ExampleMode;
  code: string;
  /** A file name for it: `<doc>-<line>.ts`. */
  name: string;
}

const MODES: Record<string, ExampleMode> = { '': 'run', typecheck: 'typecheck', fragment: 'fragment' };

/** The `ts` blocks of one Markdown text. Throws on an unknown mode word or an unclosed fence. */
export function examplesIn(doc: string, markdown: string): DocExample[] {
  const out: DocExample[] = [];
  const lines = markdown.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // A fence is three or more backticks, and its info string has none (so a line that starts
    // with an inline code span is not one); it is closed by a line of at least as many.
    const open = /^(`{3,})\s*([^`\s]*)\s*([^`]*)$/.exec(lines[i]);
    if (!open) continue;
    const close = new RegExp(`^\`{${open[1].length},}\\s*$`);
    const end = lines.findIndex((l, j) => j > i && close.test(l));
    if (end < 0) throw new Error(`${doc}:${i + 1}: fence not closed`);
    if (open[2] === 'ts' || open[2] === 'typescript') {
      const word = open[3].trim();
      const mode = MODES[word];
      if (!mode) throw new Error(`${doc}:${i + 1}: unknown example mode "${word}" (use nothing, "typecheck" or "fragment")`);
      const base = doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-');
      out.push({ doc, line: i + 1, mode, code: lines.slice(i + 1, end).join('\n') + '\n', name: `${base}-${i + 1}.ts` });
    }
    i = end;
  }
  return out;
}

/** Every example in README.md and docs/*.md under `root`. */
export function workspaceExamples(root: string): DocExample[] {
  const docs = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return docs.flatMap((d) => examplesIn(d, fs.readFileSync(path.join(root, d), 'utf8')));
}
