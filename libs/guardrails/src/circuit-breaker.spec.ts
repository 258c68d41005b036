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
    expect(b.state(COOL)).toEqual({ type: 'half_open', failures: 3 });
    b.onDispatch(COOL, 'trial');
    b.onOutcome(true, COOL + 1, 'older');
    b.onOutcome(false, COOL + 2, 'older');
    expect(b.check(COOL + 3)).toEqual({ allowed: false, detail: 'half-open: a trial action is in flight' });
    b.onOutcome(false, COOL + 4, 'trial');
    expect(b.state(COOL + 4).type).toBe('open');
  });

  it('half-open - a failed trial counts: the message gives the real number of consecutive failures', () => {
    const b = opened();
    b.onDispatch(COOL, 'trial-1');
    b.onOutcome(false, COOL + 5, 'trial-1');
    expect(b.check(COOL + 5)).toEqual({ allowed: false, detail: 'open after 4 consecutive failed outcomes; half-open in 1m' });
    b.onDispatch(2 * COOL + 5, 'trial-2');
    b.onOutcome(false, 2 * COOL + 10, 'trial-2');
    expect(b.check(2 * COOL + 10).detail).toBe('open after 5 consecutive failed outcomes; half-open in 1m');
    b.onDispatch(3 * COOL + 10, 'trial-3');
    b.onOutcome(true, 3 * COOL + 20, 'trial-3');
    expect(b.state(3 * COOL + 20)).toEqual({ type: 'closed', failures: 0 });
  });

  it('oncePerIncident - consecutive failures of one incident count once; it cannot open the breaker alone', () => {
    const b = new CircuitBreaker(K, COOL, TRIAL, { oncePerIncident: true });
    for (let i = 0; i < 10; i++) b.onOutcome(false, i, `pl_${i}`, 'an_queue');
    expect(b.check(10)).toEqual({ allowed: true, detail: '1/3 consecutive failures (10 failed outcomes, one count per incident)' });
    b.onOutcome(false, 11, 'pl_web', 'an_web');
    b.onOutcome(false, 12, 'pl_q2', 'an_queue');
    expect(b.check(12).detail).toBe('2/3 consecutive failures (12 failed outcomes, one count per incident)');
    // Failures without an incident count each, as before.
    b.onOutcome(false, 13);
    expect(b.check(14)).toEqual({ allowed: false, detail: 'open after 13 consecutive failed outcomes on 3 incidents; half-open in 1m' });
    // After a success, an incident counts again.
    const c = new CircuitBreaker(K, COOL, TRIAL, { oncePerIncident: true });
    c.onOutcome(false, 0, 'a', 'an_1');
    c.onOutcome(true, 1, 'b', 'an_2');
    c.onOutcome(false, 2, 'c', 'an_1');
    expect(c.check(2).detail).toBe('1/3 consecutive failures');
    // Without the option (the per-policy breaker) every failure counts.
    const p = new CircuitBreaker(K, COOL, TRIAL);
    for (let i = 0; i < 3; i++) p.onOutcome(false, i, `pl_${i}`, 'an_queue');
    expect(p.check(3).detail).toBe('open after 3 consecutive failed outcomes; half-open in 1m');
  });
});
