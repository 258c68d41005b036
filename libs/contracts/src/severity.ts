import { Severity } from './generated/x0/v1/common.pb';

/** Severity as the domain code speaks it. */
export type SeverityLevel = 'none' | 'low' | 'medium' | 'high';

const TO_PROTO: Record<SeverityLevel, Severity> = {
  none: Severity.SEVERITY_UNSPECIFIED,
  low: Severity.SEVERITY_LOW,
  medium: Severity.SEVERITY_MEDIUM,
  high: Severity.SEVERITY_HIGH,
};

export function severityToProto(level: SeverityLevel): Severity {
  return TO_PROTO[level];
}

export function severityFromProto(severity: Severity): SeverityLevel {
  switch (severity) {
    case Severity.SEVERITY_LOW:
      return 'low';
    case Severity.SEVERITY_MEDIUM:
      return 'medium';
    case Severity.SEVERITY_HIGH:
      return 'high';
    default:
      return 'none';
  }
}

/** Parses 'low' | 'medium' | 'high' (any case); undefined for anything else. */
export function parseSeverity(text: string): SeverityLevel | undefined {
  const t = text.trim().toLowerCase();
  return t === 'low' || t === 'medium' || t === 'high' || t === 'none' ? t : undefined;
}

/** Numeric rank for comparisons: none 0 < low 1 < medium 2 < high 3. */
export function severityRank(level: SeverityLevel): number {
  return ['none', 'low', 'medium', 'high'].indexOf(level);
}
