import { InvalidArgumentError } from '@x0/core';

const MAX_TOKEN_LENGTH = 128;
// Whitespace, NATS wildcards and the token separator, plus control characters.
const BAD_TOKEN_CHAR = /[\s.*>\u0000-\u001f\u007f]/;

/** The last token of the discovery subject; no action may be called this. */
export const ACTIONS_TOKEN = 'actions';

/**
 * Checks that `value` can be one NATS subject token: non-empty, at most 128 characters,
 * no whitespace, '.', '*' or '>'. Returns it; throws InvalidArgumentError naming `field`.
 * (Same rules as @x0/contracts' subjectToken, which this will defer to.)
 */
export function subjectToken(value: string, field = 'token'): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidArgumentError(field, 'must be a non-empty subject token');
  if (value.length > MAX_TOKEN_LENGTH) throw new InvalidArgumentError(field, `must be at most ${MAX_TOKEN_LENGTH} characters, got ${value.length}`);
  const bad = BAD_TOKEN_CHAR.exec(value);
  if (bad) throw new InvalidArgumentError(field, `must not contain ${JSON.stringify(bad[0])} (got ${JSON.stringify(value)})`);
  return value;
}

/** `x0.agents.<component>.<action>`: request/reply to the component's agent. `actions` is reserved. */
export function agentSubject(component: string, action: string): string {
  subjectToken(action, 'action');
  if (action === ACTIONS_TOKEN) throw new InvalidArgumentError('action', `'${ACTIONS_TOKEN}' is reserved for action discovery`);
  return `x0.agents.${subjectToken(component, 'component')}.${action}`;
}

/** `x0.agents.<component>.actions`: the agent answers with the actions it can perform. */
export function agentActionsSubject(component: string): string {
  return `x0.agents.${subjectToken(component, 'component')}.${ACTIONS_TOKEN}`;
}
