import { RING_LENGTH, ringPush, ringRead } from './ring';

describe('ring (windowing)', () => {
  it('ringRead - returns the last values oldest first, padding the front with the oldest', () => {
    const buf = new Float32Array(RING_LENGTH);
    let pos = 0;
    let fill = 0;
    for (const v of [1, 2, 3]) [pos, fill] = ringPush(buf, 0, pos, fill, v);
    const out = new Float32Array(5);
    ringRead(buf, 0, pos, fill, 5, out, 0);
    expect([...out]).toEqual([1, 1, 1, 2, 3]);
  });

  it('ringRead - wraps around after RING_LENGTH values', () => {
    const buf = new Float32Array(RING_LENGTH);
    let pos = 0;
    let fill = 0;
    for (let v = 0; v < RING_LENGTH + 10; v++) [pos, fill] = ringPush(buf, 0, pos, fill, v);
    expect(fill).toBe(RING_LENGTH);
    const out = new Float32Array(4);
    ringRead(buf, 0, pos, fill, 4, out, 0);
    expect([...out]).toEqual([RING_LENGTH + 6, RING_LENGTH + 7, RING_LENGTH + 8, RING_LENGTH + 9]);
  });

  it('ringRead - an empty ring yields the fallback', () => {
    const out = new Float32Array(3);
    ringRead(new Float32Array(RING_LENGTH), 0, 0, 0, 3, out, 0, 7);
    expect([...out]).toEqual([7, 7, 7]);
  });
});
