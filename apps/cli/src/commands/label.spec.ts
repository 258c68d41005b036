import { status } from '@grpc/grpc-js';
import { rpcErrorMessage } from '@x0/client';
import { labelFailure, labelLine } from './label';

const base = { component: 'demo-db', published: true, actor: 'alice', labelId: 'lbl_2', replacedLabelId: '', replacedActor: '' };

describe('x0 label - output', () => {
  it('label - a first label, a repeat (naming who labelled it) and a correction (naming the label it replaces)', () => {
    expect(labelLine('an-1', false, base)).toBe('labelled an-1 on demo-db as a false alarm by alice (lbl_2)');
    expect(labelLine('an-1', false, { ...base, published: false })).toBe('already labelled an-1 on demo-db as a false alarm by alice (lbl_2)');
    expect(labelLine('an-1', true, { ...base, actor: 'bob', replacedLabelId: 'lbl_1', replacedActor: 'alice' })).toBe(
      'relabelled an-1 on demo-db as real by bob (lbl_2); replaces the false-alarm label by alice (lbl_1)',
    );
  });

  it('unknown anomaly - the id quoted alone, then what to do with the real option name; other errors as they are', () => {
    const notFound = Object.assign(new Error('5 NOT_FOUND: x'), {
      code: status.NOT_FOUND,
      details: "anomaly 'an_nosuch' not found: the trainer has not seen it; pass its component to label it anyway",
      metadata: undefined,
    });
    expect(rpcErrorMessage(labelFailure(notFound, 'an_nosuch', undefined))).toBe(
      "anomaly 'an_nosuch' not found: the trainer has not seen it; pass its component to label it anyway (--component <name>)",
    );
    expect(labelFailure(notFound, 'an_nosuch', 'demo-db')).toBe(notFound);
    const unavailable = Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE, details: 'down' });
    expect(labelFailure(unavailable, 'an_1', undefined)).toBe(unavailable);
  });
});
