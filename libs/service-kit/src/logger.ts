import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout (pino). Every line carries the service and instance; errors
 * are serialised with their stack. Pipe through `pino-pretty` for humans.
 */
export function createLogger(service: string, level: string, instance?: string): Logger {
  return pino({
    level,
    base: { service, ...(instance ? { instance } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
