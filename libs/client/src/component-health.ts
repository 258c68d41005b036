import type { Bus } from '@x0/bus';
import { COMPONENT_HEALTH_CODEC, statusSubject, type ComponentHealth } from '@x0/contracts';

/**
 * The next live ComponentHealth the monitor publishes for `component` on
 * `x0.status.<component>` (core NATS, not stored: at once when its severity changes, about every
 * MONITOR_STATUS_INTERVAL_MS while the component reports); undefined when none arrives within
 * `timeoutMs` or the connection closes first. A message that is not a ComponentHealth is
 * skipped. Subscribes for the wait only. Throws InvalidArgumentError for a component that is not
 * a subject token.
 */
export async function nextComponentHealth(bus: Bus, component: string, timeoutMs: number): Promise<ComponentHealth | undefined> {
  const sub = bus.nc.subscribe(statusSubject(component));
  // Unsubscribing ends the loop below: nothing came in time.
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  try {
    for await (const m of sub) {
      try {
        return COMPONENT_HEALTH_CODEC.decode(m.data);
      } catch {
        // not a ComponentHealth: wait for the next one
      }
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    if (!sub.isClosed()) sub.unsubscribe();
  }
}
