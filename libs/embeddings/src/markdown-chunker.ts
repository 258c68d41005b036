import { InvalidArgumentError } from '@x0/core';
import { parse as parseYaml } from 'yaml';

/** One retrievable passage of a Markdown document. */
export interface MarkdownChunk {
  /** Position in the document, from 0. */
  index: number;
  source: string;
  /** Heading trail from the top: ['CPU saturation', 'How to confirm']. */
  headings: string[];
  /** The passage (without its heading line). */
  text: string;
}

/** A chunked document: YAML front matter (if any) and its chunks in order. */
export interface ChunkedDocument {
  source: string;
  frontMatter: Record<string, unknown>;
  /** First level-1 heading, if any. */
  title?: string;
  chunks: MarkdownChunk[];
}

/** Chunk sizes, in characters. */
export interface ChunkOptions {
  /** Longest chunk (default 1,200). */
  maxChars?: number;
  /** Characters repeated from the end of a split section's previous chunk (default 200). */
  overlapChars?: number;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;

/**
 * Splits Markdown into passages by heading: every section (text under a heading, down to the
 * next heading of any level) is a chunk that carries its heading trail; a section longer than
 * `maxChars` is split at paragraph, then line, then word boundaries, each piece starting with
 * the last `overlapChars` of the previous one. Headings inside fenced code blocks are text.
 * Leading YAML front matter (`---` … `---`) is parsed into `frontMatter`.
 * Throws `InvalidArgumentError` for an empty document or bad front matter.
 */
export function chunkMarkdown(source: string, markdown: string, options: ChunkOptions = {}): ChunkedDocument {
  if (typeof source !== 'string' || source.trim() === '') throw new InvalidArgumentError('source', 'must be a non-empty string');
  if (typeof markdown !== 'string' || markdown.trim() === '') throw new InvalidArgumentError('markdown', 'must be a non-empty string');
  const maxChars = options.maxChars ?? 1200;
  const overlap = options.overlapChars ?? 200;
  if (!Number.isInteger(maxChars) || maxChars < 100) throw new InvalidArgumentError('maxChars', 'must be an integer >= 100');
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= maxChars / 2) throw new InvalidArgumentError('overlapChars', 'must be an integer in [0, maxChars / 2)');

  const { frontMatter, body } = splitFrontMatter(markdown);
  const chunks: MarkdownChunk[] = [];
  const trail: Array<{ level: number; text: string }> = [];
  let title: string | undefined;
  let lines: string[] = [];
  let inFence = false;

  const flush = () => {
    const text = lines.join('\n').trim();
    lines = [];
    if (!text) return;
    const headings = trail.map((h) => h.text);
    for (const piece of splitText(text, maxChars, overlap)) chunks.push({ index: chunks.length, source, headings, text: piece });
  };

  for (const line of body.split(/\r?\n/)) {
    if (FENCE.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (!m) {
      lines.push(line);
      continue;
    }
    flush();
    const level = m[1].length;
    const text = m[2].trim();
    while (trail.length > 0 && trail[trail.length - 1].level >= level) trail.pop();
    trail.push({ level, text });
    if (level === 1 && title === undefined) title = text;
  }
  flush();
  return { source, frontMatter, ...(title !== undefined ? { title } : {}), chunks };
}

function splitFrontMatter(markdown: string): { frontMatter: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(markdown);
  if (!m) return { frontMatter: {}, body: markdown };
  let parsed: unknown;
  try {
    parsed = parseYaml(m[1]);
  } catch (err) {
    throw new InvalidArgumentError('frontMatter', `is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new InvalidArgumentError('frontMatter', 'must be a YAML mapping');
  return { frontMatter: (parsed ?? {}) as Record<string, unknown>, body: markdown.slice(m[0].length) };
}

/** Splits text into pieces of at most maxChars at the coarsest boundary that fits, with overlap. */
export function splitText(text: string, maxChars: number, overlap: number): string[] {
  if (text.length <= maxChars) return [text];
  const units = atoms(text, maxChars);
  const out: string[] = [];
  let cur = '';
  for (const u of units) {
    const joined = cur ? `${cur}${u.sep}${u.text}` : u.text;
    if (joined.length <= maxChars || !cur) {
      cur = joined;
      continue;
    }
    out.push(cur);
    const tail = tailOf(cur, overlap);
    cur = tail && tail.length + u.sep.length + u.text.length <= maxChars ? `${tail}${u.sep}${u.text}` : u.text;
  }
  if (cur) out.push(cur);
  return out;
}

/** Paragraphs, else lines, else words: units no longer than maxChars, with the separator before each. */
function atoms(text: string, maxChars: number): Array<{ text: string; sep: string }> {
  const out: Array<{ text: string; sep: string }> = [];
  for (const para of text.split(/\n\s*\n/)) {
    if (para.length <= maxChars) {
      out.push({ text: para, sep: '\n\n' });
      continue;
    }
    let first = true;
    for (const line of para.split('\n')) {
      const sep = first ? '\n\n' : '\n';
      first = false;
      if (line.length <= maxChars) {
        out.push({ text: line, sep });
        continue;
      }
      let piece = '';
      let pieceSep = sep;
      for (const word of line.split(/\s+/)) {
        for (let w = word; w.length > 0; w = w.slice(maxChars)) {
          const part = w.slice(0, maxChars);
          if (piece && piece.length + 1 + part.length > maxChars) {
            out.push({ text: piece, sep: pieceSep });
            piece = '';
            pieceSep = ' ';
          }
          piece = piece ? `${piece} ${part}` : part;
        }
      }
      if (piece) out.push({ text: piece, sep: pieceSep });
    }
  }
  return out;
}

/** The last ~n characters of a chunk, starting at a word boundary. */
function tailOf(text: string, n: number): string {
  if (n <= 0) return '';
  if (text.length <= n) return text;
  const cut = text.slice(-n);
  const space = cut.search(/\s/);
  return (space >= 0 ? cut.slice(space) : cut).trim();
}
