import { deriveId, newId } from './ids';

describe('ids', () => {
  it('deriveId - same inputs give the same id, different inputs a different one', () => {
    expect(deriveId('an', 'b1', 'web-1')).toBe(deriveId('an', 'b1', 'web-1'));
    expect(deriveId('an', 'b1', 'web-1')).not.toBe(deriveId('an', 'b1', 'web-2'));
    expect(deriveId('an', 'b1', 'web-1')).toMatch(/^an_[0-9a-f]{24}$/);
  });

  it('deriveId - part boundaries matter', () => {
    expect(deriveId('x', 'ab', 'c')).not.toBe(deriveId('x', 'a', 'bc'));
  });

  it('newId - unique and sortable by time', () => {
    const a = newId('mb', 1000);
    const b = newId('mb', 2000);
    expect(a).not.toBe(newId('mb', 1000));
    expect(a < b).toBe(true);
    expect(a).toMatch(/^mb_[0-9a-z]{9}[0-9a-f]{16}$/);
  });
});
