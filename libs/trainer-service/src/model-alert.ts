import { publishMessage, type Bus } from '@x0/bus';
import { EVENT_CODECS, ModelAlert, eventSubject } from '@x0/contracts';
import type { Alert } from '@x0/model-monitor';
import type { Logger } from '@x0/service-kit';
import type { RaisedAlerts } from './raised-alerts';

/** What {@link publishModelAlert} announces. */
export interface ModelAlertNotice {
  model: string;
  /** The champion version the alert is about. */
  version: string;
  alert: Alert;
  /** The component (drift) or the model the alert is published under. */
  component: string;
  /** The retraining job queued for it ('' when none). */
  jobId: string;
  /** Feature names by index, for drift alerts naming their features. */
  featureNames?: readonly string[];
}

/**
 * Publishes a ModelAlert on `x0.events.model_alert.<component>` and then records it in
 * x0_trainer_alerts (a crash in between announces it again rather than never). Rejects when
 * either fails.
 */
export async function publishModelAlert(o: { bus: Bus; alerts: RaisedAlerts; logger: Logger }, n: ModelAlertNotice): Promise<void> {
  const a = n.alert;
  const names = n.featureNames ?? [];
  // The monitor's message numbers the features (`#2 (PSI …)`): each named where its figures are.
  const message = a.message.replace(/#(\d+) \(PSI/g, (whole, i: string) => (names[Number(i)] ? `${names[Number(i)]} (PSI` : whole));
  const alert = ModelAlert.fromPartial({
    meta: { id: a.id, parentId: '', component: n.component, timeMs: a.timeMs, source: 'trainer' },
    model: n.model,
    version: n.version,
    type: a.type,
    value: a.value,
    threshold: a.threshold,
    samples: a.samples,
    message,
    jobId: n.jobId,
  });
  o.logger.warn({ model: n.model, component: n.component, type: a.type, value: a.value, threshold: a.threshold, jobId: n.jobId }, 'model alert');
  await publishMessage(o.bus.js, { subject: eventSubject('model_alert', n.component), data: EVENT_CODECS.model_alert.encode(alert), id: alert.meta!.id });
  await o.alerts.raised(n.model, alert.version, a);
}
