import { fromKvKey, toKvKey } from '@x0/bus';

/** KV key of a policy's overall tally (`policy.<id>`), or of its tally on one component (`component.<c>.<id>`). */
export function tallyKey(policyId: string, component = ''): string {
  return component === '' ? `policy.${toKvKey(policyId)}` : `component.${toKvKey(component)}.${toKvKey(policyId)}`;
}

/** Parses a tally key back ('' component for an overall tally); undefined for other keys. */
export function parseTallyKey(key: string): { policyId: string; component: string } | undefined {
  if (key.startsWith('policy.')) return { policyId: fromKvKey(key.slice('policy.'.length)), component: '' };
  if (key.startsWith('component.')) {
    const rest = key.slice('component.'.length);
    // Either part may itself be 'b64.<x>' (see toKvKey), so split after the first part.
    const cut = rest.startsWith('b64.') ? rest.indexOf('.', 4) : rest.indexOf('.');
    if (cut < 0) return undefined;
    return { component: fromKvKey(rest.slice(0, cut)), policyId: fromKvKey(rest.slice(cut + 1)) };
  }
  return undefined;
}
