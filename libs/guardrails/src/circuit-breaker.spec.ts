import { CircuitBreaker } from './circuit-breaker';

describe('circuit-breaker', () => {
  const K = 3;
  const COOL = 60_000;
  const TRIAL = 10_000;

  function opened(at = 0): CircuitBreaker {
    const b = new CircuitBreaker(K, COOL, TRIAL);
    for (let i = 0; i < K; i++) b.onOutcome(false, at);
    return b;
  }

  it('closed - opens after K consecutive failures, not before', () => {
    const b = new CircuitBreaker(K, COOL, TRIAL);
    b.onOutcome(false, 0);
    b.onOutcome(false, 0);
    expect(b.check(0)).toEqual({ allowed: true, detail: '2/3 consecutive failures' });
    b.onOutcome(false, 0);
    expect(b.state(0).type).toBe('open');
    expect(b.check(1000)).toEqual({ allowed: false, detail: 'open after 3 consecutive failed outcomes; half-open in 59s' });
  });

  it('closed - a success resets the consecutive count', () => {
    const b = new CircuitBreaker(K, COOL, TRIAL);
    b.onOutcome(false, 0);
    b.onOutcome(false, 0);
    b.onOutcome(true, 0);
    b.onOutcome(false, 0);
    b.onOutcome(false, 0);
    expect(b.state(0).type).toBe('closed');
  });

  it('open - ignores late outcomes and turns half-open after the cool-off', () => {
    const b = opened();
    b.onOutcome(true, 1000);
    expect(b.state(1000).type).toBe('open');
    expect(b.state(COOL - 1).type).toBe('open');
    expect(b.state(COOL).type).toBe('half_open');
    expect(b.check(COOL)).toEqual({ allowed: true, detail: 'half-open: one trial action allowed' });
  });

  it('half-open - one trial at a time; its success closes the breaker', () => {
    const b = opened();
    b.onDispatch(COOL);
    expect(b.check(COOL + 1)).toEqual({ allowed: false, detail: 'half-open: a trial action is in flight' });
    b.onOutcome(true, COOL + 2);
    expect(b.check(COOL + 3)).toEqual({ allowed: true, detail: '' });
  });

  it('half-open - a failed trial opens it for another cool-off', () => {
    const b = opened();
    b.onDispatch(COOL);
    b.onOutcome(false, COOL + 5);
    expect(b.state(COOL + 5 + COOL - 1).type).toBe('open');
    expect(b.state(COOL + 5 + COOL).type).toBe('half_open');
  });

  it('half-open - a trial without outcome stops counting after the trial timeout', () => {
    const b = opened();
    b.onDispatch(COOL);
    expect(b.check(COOL + TRIAL - 1).allowed).toBe(false);
    expect(b.check(COOL + TRIAL).allowed).toBe(true);
  });

  it('half-open - only the trial\'s own outcome settles it; an older action\'s outcome is ignored', () => {
    const b = opened();
    // Half-open without a trial yet: an outcome of an action dispatched before the breaker opened.
    b.onOutcome(true, COOL, 'older');
    expect(b.state(COOL)).toEqual({ type: 'half_open' });
    b.onDispatch(COOL, 'trial');
    b.onOutcome(true, COOL + 1, 'older');
    b.onOutcome(false, COOL + 2, 'older');
    expect(b.check(COOL + 3)).toEqual({ allowed: false, detail: 'half-open: a trial action is in flight' });
    b.onOutcome(false, COOL + 4, 'trial');
    expect(b.state(COOL + 4).type).toBe('open');
  });
});
