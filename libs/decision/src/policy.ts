import type { Risk } from '@x0/guardrails';

/** Anomaly severity, ordered: low < medium < high. */
export type Severity = 'low' | 'medium' | 'high';

/** Severity levels in ascending order. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];

/** Actions the default policies use; any other lower-case token is allowed too. */
export const WELL_KNOWN_ACTIONS = ['scale_up', 'restart', 'throttle', 'failover', 'clear_cache', 'rollback'] as const;

/** When a policy applies. Empty lists mean "any". */
export interface PolicyConditions {
  /** Glob over component names: `*` any run of characters, `?` one character. */
  component: string;
  /** Component kinds (e.g. `web`, `queue`). */
  kinds: readonly string[];
  /** The anomaly must be at least this severe. */
  minSeverity: Severity;
  /** Diagnosed probable causes (CAUSES of @x0/contracts or a runbook's; `unknown` matches an undiagnosed anomaly). */
  causes: readonly string[];
}

/** A remediation policy: what to do, when, how risky it is and who carries it out. */
export interface Policy {
  /** Unique id ([A-Za-z0-9_-], ≤ 128); outcome statistics are kept per id. */
  id: string;
  /** Action token (`scale_up`, `restart`, … or a custom one). */
  action: string;
  /** Parameters passed to the executor. */
  params: Readonly<Record<string, string>>;
  /** A whole number 0..100, higher first (0.3 of the score). */
  priority: number;
  conditions: PolicyConditions;
  risk: Risk;
  /** No repeat of this action on the same component for this long (seconds, at most MAX_COOLDOWN_S = 30 days). */
  cooldownS: number;
  enabled: boolean;
  /** Only describe the action, never perform it. */
  dryRun: boolean;
  /** Name of the configured executor that performs the action. */
  executor: string;
  description: string;
}

/** Position of a severity in SEVERITIES (low = 0). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * Compiles a component glob (`*` any run, `?` one character, everything else literal) into
 * an anchored RegExp; `undefined` for `*`, which matches everything.
 */
export function compileGlob(glob: string): RegExp | undefined {
  if (glob === '*') return undefined;
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}
