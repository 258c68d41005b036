import { serviceAddresses } from './service-clients';

describe('serviceAddresses', () => {
  it('default ports, shifted by X0_PORT_OFFSET; X0_<SERVICE>_GRPC and X0_GRPC_HOST win', () => {
    expect(serviceAddresses({}).monitor).toBe('127.0.0.1:50051');
    const shifted = serviceAddresses({ X0_PORT_OFFSET: '100', X0_GRPC_HOST: 'h', X0_PLAN_GRPC: 'p:7' });
    expect(shifted).toEqual({ monitor: 'h:50151', analyze: 'h:50152', plan: 'p:7', execute: 'h:50154', knowledge: 'h:50155', trainer: 'h:50156' });
    expect(() => serviceAddresses({ X0_PORT_OFFSET: '-1' })).toThrow('X0_PORT_OFFSET must be ≥ 0 (got "-1")');
  });
});
