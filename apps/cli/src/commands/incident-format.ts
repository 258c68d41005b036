import { verdictText } from '@x0/client';
import { severityFromProto, type Incident } from '@x0/contracts';

/** A time as the incident commands print it (UTC): `2026-11-27 07:11:54`; `-` when unset. */
export function utcTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '-';
}

/** The outcome of an incident in the words outcome events use: `recovered in 12.3 s`, `not recovered`, `unknown`. */
export function incidentOutcome(i: Incident): string {
  return `${verdictText(i.verdict)}${i.recovered ? ` in ${(i.timeToRecoverMs / 1000).toFixed(1)} s` : ''}`;
}

/** A similarity signature summarised: how many values and their range, not 64 numbers. */
export function signatureSummary(signature: readonly number[]): string {
  if (signature.length === 0) return '-';
  const r3 = (x: number) => x.toFixed(3);
  return `${signature.length} values in [${r3(Math.min(...signature))}, ${r3(Math.max(...signature))}] (x0 incidents show --json for all)`;
}

/** One incident for `x0 incidents show`: named fields, times in UTC, severity and verdict as words. */
export function formatIncident(i: Incident): string {
  const c = i.context;
  const lines = [
    `incident   ${i.id}`,
    `component  ${c?.component || '-'}${c?.kind ? ` (${c.kind})` : ''}, severity ${severityFromProto(c?.severity ?? 0)}, score ${(c?.score ?? 0).toFixed(3)}`,
    `detected   ${utcTime(c?.detectedMs ?? 0)} UTC`,
    `metrics    ${c?.metrics.join(', ') || '-'}`,
    `cause      ${c?.cause || '-'}`,
    `action     ${c?.action ? `${c.action}${c.policyId ? ` (policy ${c.policyId})` : ''}` : '-'}`,
    `outcome    ${incidentOutcome(i)}`,
    `recorded   ${utcTime(i.recordedMs)} UTC`,
    `signature  ${signatureSummary(c?.signature ?? [])}`,
    'ids',
    ...(
      [
        ['anomaly', c?.anomalyId],
        ['batch', c?.batchId],
        ['diagnosis', c?.diagnosisId],
        ['plan', c?.planId],
        ['action', c?.actionId],
        ['outcome', i.outcomeId],
      ] as const
    )
      .filter(([, id]) => id)
      .map(([name, id]) => `  ${name.padEnd(10)} ${id}`),
  ];
  return lines.join('\n');
}

/**
 * The line under `x0 incidents`: what a row is. The knowledge service records an incident when
 * the outcome of its action arrives, so an incident still open (waiting for approval, or whose
 * actions were all blocked) is not listed yet, and a lasting fault that the monitor re-announces
 * has one row per action tried on it, each under the id of the announcement it answered.
 */
export function incidentsFooter(n: number): string {
  const what = 'an incident is recorded when the outcome of its action is known: a lasting fault has a row per action tried on it, one still open without an outcome has none yet (x0 pending, x0 audit)';
  return n === 0 ? `no recorded incident (${what})` : `${n} recorded incident(s) (${what})`;
}
