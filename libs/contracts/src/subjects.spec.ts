import { InvalidArgumentError } from '@x0/core';
import { agentActionsSubject, agentAnnounceSubject, agentSubject, dlqSubject, statusSubject, eventFilter, eventSubject, metricsSubject, parseSubject, subjectToken } from './subjects';

describe('subjects', () => {
  it('builders - compose the DESIGN.md subjects', () => {
    expect(metricsSubject('web-1')).toBe('x0.metrics.web-1');
    expect(eventSubject('anomaly', 'web-1')).toBe('x0.events.anomaly.web-1');
    expect(eventFilter('plan')).toBe('x0.events.plan.>');
    expect(eventFilter()).toBe('x0.events.>');
    expect(agentSubject('web-1', 'scale_up')).toBe('x0.agents.web-1.scale_up');
    expect(dlqSubject('monitor')).toBe('x0.dlq.monitor');
    expect(agentActionsSubject('web-1')).toBe('x0.agents.web-1.actions');
    expect(agentAnnounceSubject('web-1')).toBe('x0.agents.web-1.actions.announce');
    expect(parseSubject('x0.agents.web-1.actions.announce')).toEqual({ type: 'agent_announce', component: 'web-1' });
    expect(() => parseSubject('x0.agents.web-1.restart.announce')).toThrow('is not an x0 subject');
    expect(() => agentSubject('web-1', 'actions')).toThrow("'actions' is reserved for action discovery");
  });

  it.each([
    ['', "'component' must be a non-empty subject token"],
    ['a.b', `'component' must not contain "." (got "a.b")`],
    ['a*', `'component' must not contain "*" (got "a*")`],
    ['a>', `'component' must not contain ">" (got "a>")`],
    ['a b', `'component' must not contain " " (got "a b")`],
    ['tab\t', `'component' must not contain "\\t" (got "tab\\t")`],
    ['x'.repeat(129), "'component' must be at most 128 characters, got 129"],
  ])('subjectToken - rejects %j', (value, message) => {
    expect(() => metricsSubject(value)).toThrow(InvalidArgumentError);
    expect(() => metricsSubject(value)).toThrow(message);
  });

  it('subjectToken - accepts unicode and punctuation other than the reserved ones', () => {
    expect(subjectToken('db_primary:5432/éu')).toBe('db_primary:5432/éu');
  });

  it('parseSubject - round trips each builder', () => {
    expect(parseSubject(metricsSubject('c1'))).toEqual({ type: 'metrics', component: 'c1' });
    expect(parseSubject(eventSubject('outcome', 'c1'))).toEqual({ type: 'event', event: 'outcome', component: 'c1' });
    expect(parseSubject(agentSubject('c1', 'restart'))).toEqual({ type: 'agent', component: 'c1', action: 'restart' });
    expect(parseSubject(dlqSubject('plan'))).toEqual({ type: 'dlq', service: 'plan' });
    expect(parseSubject('x0.models.updated')).toEqual({ type: 'models' });
    expect(parseSubject(statusSubject('c1'))).toEqual({ type: 'status', component: 'c1' });
  });

  it('parseSubject - rejects foreign and malformed subjects', () => {
    expect(() => parseSubject('x0.events.nope.c1')).toThrow('is not an x0 subject');
    expect(() => parseSubject('x0.metrics.a.b')).toThrow('is not an x0 subject');
    expect(() => parseSubject(`x0.metrics.${'c'.repeat(300)}`)).toThrow(`'subject' is not an x0 subject: a token is 300 characters, at most 128 (component names included): "x0.metrics.${'c'.repeat(149)}…"`);
    expect(() => parseSubject('other.metrics.a')).toThrow('is not an x0 subject');
  });
});
