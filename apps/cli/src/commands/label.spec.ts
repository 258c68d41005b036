import { labelLine } from './label';

const base = { component: 'demo-db', published: true, actor: 'alice', labelId: 'lbl_2', replacedLabelId: '', replacedActor: '' };

describe('x0 label - output', () => {
  it('label - a first label, a repeat (naming who labelled it) and a correction (naming the label it replaces)', () => {
    expect(labelLine('an-1', false, base)).toBe('labelled an-1 on demo-db as a false alarm by alice (lbl_2)');
    expect(labelLine('an-1', false, { ...base, published: false })).toBe('already labelled an-1 on demo-db as a false alarm by alice (lbl_2)');
    expect(labelLine('an-1', true, { ...base, actor: 'bob', replacedLabelId: 'lbl_1', replacedActor: 'alice' })).toBe(
      'relabelled an-1 on demo-db as real by bob (lbl_2); replaces the false-alarm label by alice (lbl_1)',
    );
  });
});
