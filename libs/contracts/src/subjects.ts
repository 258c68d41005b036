import { InvalidArgumentError } from '@x0/core';

/** Event types published on `x0.events.<type>.<component>`. */
export const EVENT_TYPES = ['anomaly', 'diagnosis', 'plan', 'action', 'outcome', 'approval', 'label', 'training', 'model_alert'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** JetStream streams and the subjects each one captures (DESIGN.md). */
export const STREAMS = {
  metrics: { name: 'X0_METRICS', subjects: ['x0.metrics.>'] },
  events: { name: 'X0_EVENTS', subjects: ['x0.events.>', 'x0.models.>'] },
  dlq: { name: 'X0_DLQ', subjects: ['x0.dlq.>'] },
} as const;

/** Request/reply subject on which the knowledge service answers EvidenceRequest. */
export const KNOWLEDGE_EVIDENCE_SUBJECT = 'x0.knowledge.evidence';

/** Request/reply subject on which the knowledge service answers EvidenceBatchRequest (several anomalies at once). */
export const KNOWLEDGE_EVIDENCE_BATCH_SUBJECT = 'x0.knowledge.evidence.batch';

/** Subject on which model registrations and alias changes are announced. */
export const MODELS_UPDATED_SUBJECT = 'x0.models.updated';

const MAX_TOKEN_LENGTH = 128;
// Whitespace, NATS wildcards and the token separator, plus control characters.
const BAD_TOKEN_CHAR = /[\s.*>\u0000-\u001f\u007f]/;

/**
 * Checks that `value` can be one NATS subject token: non-empty, at most 128 characters,
 * no whitespace, '.', '*' or '>'. Returns the value; throws InvalidArgumentError naming `field`.
 */
export function subjectToken(value: string, field = 'token'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(field, 'must be a non-empty subject token');
  if (value.length > MAX_TOKEN_LENGTH) throw new InvalidArgumentError(field, `must be at most ${MAX_TOKEN_LENGTH} characters, got ${value.length}`);
  const bad = BAD_TOKEN_CHAR.exec(value);
  if (bad) throw new InvalidArgumentError(field, `must not contain ${JSON.stringify(bad[0])} (got ${JSON.stringify(value)})`);
  return value;
}

/** True when `value` is a valid subject token (see subjectToken). */
export function isSubjectToken(value: string): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH && !BAD_TOKEN_CHAR.test(value);
}

/** `x0.metrics.<component>`: where a component publishes its MetricBatch. */
export function metricsSubject(component: string): string {
  return `x0.metrics.${subjectToken(component, 'component')}`;
}

/** `x0.events.<type>.<component>`. */
export function eventSubject(type: EventType, component: string): string {
  return `x0.events.${type}.${subjectToken(component, 'component')}`;
}

/** Filter for every event of one type (`x0.events.<type>.>`), or every event. */
export function eventFilter(type?: EventType): string {
  return type ? `x0.events.${type}.>` : 'x0.events.>';
}

/** Last token of the agent discovery subject; no action may have this name. */
export const ACTIONS_TOKEN = 'actions';

/** `x0.agents.<component>.<action>`: request/reply to the managed component's agent. `actions` is reserved. */
export function agentSubject(component: string, action: string): string {
  subjectToken(action, 'action');
  if (action === ACTIONS_TOKEN) throw new InvalidArgumentError('action', `'${ACTIONS_TOKEN}' is reserved for action discovery`);
  return `x0.agents.${subjectToken(component, 'component')}.${action}`;
}

/**
 * `x0.agents.<component>.actions`: a request here is answered with `{"actions": [...]}`, the
 * actions the agent can perform. Only agents subscribe here, so a component without an agent
 * answers "no responders" at once.
 */
export function agentActionsSubject(component: string): string {
  return `x0.agents.${subjectToken(component, 'component')}.${ACTIONS_TOKEN}`;
}

/** Last token of the advertisement subject. */
export const ANNOUNCE_TOKEN = 'announce';

/**
 * `x0.agents.<component>.actions.announce`: agents publish their `{"actions": [...]}` here
 * when they start (the execute service listens on `x0.agents.*.actions.announce`).
 */
export function agentAnnounceSubject(component: string): string {
  return `${agentActionsSubject(component)}.${ANNOUNCE_TOKEN}`;
}

/** Every agent's advertisements: `x0.agents.*.actions.announce`. */
export const AGENT_ANNOUNCE_FILTER = `x0.agents.*.${ACTIONS_TOKEN}.${ANNOUNCE_TOKEN}`;

/** `x0.status.<component>` (core NATS): the monitor's live ComponentHealth of a component. */
export function statusSubject(component: string): string {
  return `x0.status.${subjectToken(component, 'component')}`;
}

/** `x0.inference.<model>` (core NATS): InferenceReports of the replicas serving a model. */
export function inferenceSubject(model: string): string {
  return `x0.inference.${subjectToken(model, 'model')}`;
}

/** `x0.dlq.<service>`: input a service could not process, with the reason. */
export function dlqSubject(service: string): string {
  return `x0.dlq.${subjectToken(service, 'service')}`;
}

/** Parsed form of an x0 subject. */
export type ParsedSubject =
  | { type: 'metrics'; component: string }
  | { type: 'event'; event: EventType; component: string }
  | { type: 'agent'; component: string; action: string }
  | { type: 'agent_announce'; component: string }
  | { type: 'dlq'; service: string }
  | { type: 'status'; component: string }
  | { type: 'models' };

/** Parses an x0 subject; throws InvalidArgumentError for anything else. */
export function parseSubject(subject: string): ParsedSubject {
  const t = subject.split('.');
  if (t[0] === 'x0') {
    if (t[1] === 'metrics' && t.length === 3 && isSubjectToken(t[2])) return { type: 'metrics', component: t[2] };
    if (t[1] === 'events' && t.length === 4 && (EVENT_TYPES as readonly string[]).includes(t[2]) && isSubjectToken(t[3])) {
      return { type: 'event', event: t[2] as EventType, component: t[3] };
    }
    if (t[1] === 'agents' && t.length === 4 && isSubjectToken(t[2]) && isSubjectToken(t[3])) return { type: 'agent', component: t[2], action: t[3] };
    if (t[1] === 'agents' && t.length === 5 && isSubjectToken(t[2]) && t[3] === ACTIONS_TOKEN && t[4] === ANNOUNCE_TOKEN) return { type: 'agent_announce', component: t[2] };
    if (t[1] === 'dlq' && t.length === 3 && isSubjectToken(t[2])) return { type: 'dlq', service: t[2] };
    if (t[1] === 'status' && t.length === 3 && isSubjectToken(t[2])) return { type: 'status', component: t[2] };
    if (t[1] === 'models' && t.length === 3) return { type: 'models' };
  }
  const long = t.find((token) => token.length > MAX_TOKEN_LENGTH);
  const shown = JSON.stringify(subject.length > 160 ? `${subject.slice(0, 160)}…` : subject);
  if (long !== undefined) throw new InvalidArgumentError('subject', `is not an x0 subject: a token is ${long.length} characters, at most ${MAX_TOKEN_LENGTH} (component names included): ${shown}`);
  throw new InvalidArgumentError('subject', `is not an x0 subject: ${shown}`);
}
