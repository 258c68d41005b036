/**
 * A span of time as x0 prints it to people: `45s`, `13m20s`, `2h05m`, `3d4h` (two units at
 * most, the smaller zero-padded; negative spans print as `0s`).
 */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.floor(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(m / 1440)}d${Math.floor(m / 60) % 24}h`;
}

/** A time as x0 prints it to people, in UTC: `2026-11-27 07:11:54`; `-` for none (0 or less). */
export function formatUtc(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '-';
}
