import { InvalidArgumentError } from '@x0/core';
import { agentActionsSubject, agentSubject, subjectToken } from '@x0/contracts';

describe('subjects', () => {
  it('agentSubject - x0.agents.<component>.<action>', () => {
    expect(agentSubject('web-1', 'restart')).toBe('x0.agents.web-1.restart');
    expect(agentActionsSubject('web-1')).toBe('x0.agents.web-1.actions');
  });

  it.each([
    ['', "'component' must be a non-empty subject token"],
    ['web 1', `'component' must not contain " " (got "web 1")`],
    ['web.1', `'component' must not contain "." (got "web.1")`],
    ['web-*', `'component' must not contain "*" (got "web-*")`],
    ['>', `'component' must not contain ">" (got ">")`],
    ['a\tb', `'component' must not contain "\\t" (got "a\\tb")`],
  ])('agentSubject - rejects component %j', (component, message) => {
    expect(() => agentSubject(component, 'restart')).toThrow(new InvalidArgumentError('', message));
  });

  it('agentSubject - rejects bad actions, and the reserved discovery token', () => {
    expect(() => agentSubject('web-1', 're.start')).toThrow(`'action' must not contain "."`);
    expect(() => agentSubject('web-1', '*')).toThrow(InvalidArgumentError);
    expect(() => agentSubject('web-1', 'actions')).toThrow("'action' 'actions' is reserved for action discovery");
  });

  it('subjectToken - length limit', () => {
    expect(subjectToken('a'.repeat(128))).toHaveLength(128);
    expect(() => subjectToken('a'.repeat(129), 'x')).toThrow("'x' must be at most 128 characters, got 129");
  });
});
