import { createInterface } from 'node:readline';
import { InvalidArgumentError } from '@x0/core';
import { createAnomalyDetector, type AnomalyDetector } from './anomaly-detector';
import { DEFAULT_DETECTOR_OPTIONS, type ComponentSample, type DetectorOptions } from './types';

/** Options of `detectCsv`. */
export interface DetectCsvOptions {
  /** Leading rows used as warm-up (NAB_PROBATION); default: the detector's warmupSamples. */
  probation?: number;
  /** Component name the rows are scored as (default 'csv'). */
  component?: string;
  /** Other detector options. */
  detector?: Partial<DetectorOptions>;
  /** Rows scored per batch (default 1024); has no effect on the scores. */
  batchRows?: number;
}

/** What `detectCsv` did. */
export interface DetectCsvResult {
  rows: number;
  /** Rows that could not be used (bad timestamp, no finite value, time going back); scored 0. */
  rejected: number;
  /** The first rejected row (1-based data row) and why, when there was one. */
  firstRejected?: { row: number; reason: string };
  backend: string;
}

/**
 * The offline contract behind `x0 detect`: reads CSV with a header `timestamp,<metric>[,<metric>…]`
 * from `input` and writes one score in [0,1] per data row to `output`, in order, causally, through
 * the same detector the monitor service runs (one component; several value columns make it a
 * multi-metric component). Empty or non-numeric cells are missing metrics; a row without any
 * usable value, or with an unreadable timestamp, is rejected and scored 0. Cells may be quoted
 * (`"timestamp","value"`); quoted cells cannot contain commas.
 * Throws InvalidArgumentError when the header is missing, has no value column or its first
 * column does not name a time.
 */
export async function detectCsv(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  options: DetectCsvOptions = {},
): Promise<DetectCsvResult> {
  const probation = options.probation;
  if (probation !== undefined && !(Number.isInteger(probation) && probation >= 0)) {
    throw new InvalidArgumentError('probation', `must be a non-negative integer, got ${probation}`);
  }
  const detOpts: Partial<DetectorOptions> = { ...options.detector };
  // 0 leading rows of warm-up: the detector needs one sample to start from.
  if (probation !== undefined) detOpts.warmupSamples = Math.max(1, probation);
  const detector = await createAnomalyDetector(detOpts);
  try {
    return await run(detector, input, output, options);
  } finally {
    detector.dispose();
  }
}

async function run(detector: AnomalyDetector, input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: DetectCsvOptions): Promise<DetectCsvResult> {
  const component = options.component ?? 'csv';
  const batchRows = options.batchRows ?? 1024;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: string[] | undefined;
  let batch: ComponentSample[] = [];
  let rows = 0;
  let rejected = 0;
  let firstRejected: DetectCsvResult['firstRejected'];
  /** Why rows of the current batch cannot be used, in CSV terms (batch index → reason). */
  const csvReasons = new Map<number, string>();
  const flush = async () => {
    if (!batch.length) return;
    const first = rows - batch.length + 1;
    const out = detector.scoreBatch(batch);
    let text = '';
    for (let i = 0; i < out.length; i++) {
      const d = out[i];
      if (d.rejected) {
        rejected++;
        firstRejected ??= { row: first + i, reason: csvReasons.get(i) ?? d.rejected };
      }
      text += formatScore(d.score) + '\n';
    }
    batch = [];
    csvReasons.clear();
    if (!output.write(text)) await new Promise<void>((r) => output.once('drain', () => r()));
  };
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (!header) {
      if (line.includes('\u0000')) throw new InvalidArgumentError('csv', 'input is binary data, not CSV text');
      header = line.split(',').map(unquote);
      if (header.length < 2 || !/time/i.test(header[0]) || header.slice(1).some((h) => h === '')) {
        throw new InvalidArgumentError('csv', `header must be a time column then one or more named value columns ('timestamp,<metric>[,<metric>...]'), got ${excerpt(line)}`);
      }
      const twice = header.slice(1).find((h, i, all) => all.indexOf(h) !== i);
      if (twice !== undefined) throw new InvalidArgumentError('csv', `header names the value column ${excerpt(twice)} twice`);
      const most = maxMetrics(options);
      if (header.length - 1 > most) {
        throw new InvalidArgumentError('csv', `header has ${header.length - 1} value columns; one component has at most ${most} metrics (split the columns over several files)`);
      }
      continue;
    }
    const cells = line.split(',');
    if (cells.length > header.length) {
      // More cells than columns: the row does not say which value is which.
      if (!firstRejected) csvReasons.set(batch.length, `${cells.length} cells but the header has ${header.length} columns`);
      rows++;
      batch.push({ component, timeMs: Number.NaN, values: new Map() });
      if (batch.length >= batchRows) await flush();
      continue;
    }
    const values = new Map<string, number>();
    for (let c = 1; c < header.length; c++) {
      const cell = cells[c] === undefined ? undefined : unquote(cells[c]);
      const v = cell === undefined || cell === '' ? Number.NaN : Number(cell);
      if (Number.isFinite(v)) values.set(header[c], v);
    }
    const time = unquote(cells[0]);
    // An unreadable time (NaN) and an empty map are rejected by the detector's validation: the
    // row keeps its line of output (score 0) and the state is untouched.
    const t = parseTimestamp(time);
    if (!firstRejected) {
      if (!Number.isFinite(t)) csvReasons.set(batch.length, `unreadable timestamp ${excerpt(time)}`);
      else if (values.size === 0) csvReasons.set(batch.length, `no numeric value in ${excerpt(line)}`);
    }
    rows++;
    batch.push({ component, timeMs: t, values });
    if (batch.length >= batchRows) await flush();
  }
  if (!header) throw new InvalidArgumentError('csv', 'input is empty: expected a header line');
  await flush();
  return { rows, rejected, ...(firstRejected && { firstRejected }), backend: detector.info.backend };
}

function maxMetrics(options: DetectCsvOptions): number {
  return options.detector?.maxMetrics ?? DEFAULT_DETECTOR_OPTIONS.maxMetrics;
}

/** A CSV cell without surrounding whitespace and double quotes (`""` inside stands for `"`). */
function unquote(cell: string): string {
  const s = cell.trim();
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replaceAll('""', '"').trim() : s;
}

/** The start of an input line for an error message: quoted, control and non-ASCII bytes escaped. */
function excerpt(line: string): string {
  const json = JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
  return json.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Shortest text that keeps 12 significant digits. */
function formatScore(x: number): string {
  return String(Number(x.toPrecision(12)));
}

const TS_RE = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/;

/**
 * Timestamp of a CSV cell in ms: `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` (UTC unless an offset is
 * given), or a number (seconds since the epoch below 1e11, else milliseconds). NaN otherwise.
 */
export function parseTimestamp(cell: string | undefined): number {
  if (cell === undefined) return Number.NaN;
  const s = cell.trim();
  if (s === '') return Number.NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  const m = TS_RE.exec(s);
  if (!m) return Number.NaN;
  if (m[8]) return Date.parse(s.replace(' ', 'T'));
  const frac = m[7] ? Number('0.' + m[7]) * 1000 : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0) + frac;
}
