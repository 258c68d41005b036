/** A time as the trainer writes it into job reasons and refusals (UTC, whole seconds): `2026-01-01T12:05:00Z`. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * What a delayed job's reason ends with, so `x0 jobs` says why it has not started and until
 * when: `; waits until 2026-01-01T12:05:00Z (drift settle time, 300 s) before it starts`.
 */
export function delayNote(notBeforeMs: number, why: string): string {
  return `; waits until ${isoSeconds(notBeforeMs)} (${why}) before it starts`;
}

/** `reason` without the {@link delayNote} it ends with, if any (a job that no longer waits). */
export function withoutDelayNote(reason: string): string {
  return reason.replace(/; waits until \S+Z \([^()]*\) before it starts$/, '');
}
