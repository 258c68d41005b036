import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { rpcErrorMessage } from './rpc-error';

const rpcError = (code: status, details: string): ServiceError => Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });

describe('rpcErrorMessage', () => {
  it('unreachable - grpc-js noise is cut to the cause, with a hint', () => {
    const err = rpcError(status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:50056. Resolution note: ');
    expect(rpcErrorMessage(err)).toBe('service unreachable (connect ECONNREFUSED 127.0.0.1:50056); is it running? (x0 status)');
  });

  it('unreachable - other UNAVAILABLE details are kept', () => {
    expect(rpcErrorMessage(rpcError(status.UNAVAILABLE, 'Connection dropped'))).toBe('service unreachable (Connection dropped); is it running? (x0 status)');
  });

  it('deadline - says the service did not answer', () => {
    expect(rpcErrorMessage(rpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 5.001s'))).toBe('service did not answer in time (Deadline exceeded after 5.001s); is it running? (x0 status)');
  });

  it("other codes - the service's words without the status prefix; plain errors as they are", () => {
    expect(rpcErrorMessage(rpcError(status.NOT_FOUND, "plan 'pl_x' not found"))).toBe("plan 'pl_x' not found");
    expect(rpcErrorMessage(new Error('boom'))).toBe('boom');
  });
});
