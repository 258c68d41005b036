import { z } from 'zod';
import { baseConfigShape, ConfigError, envBool, envEmptyIsValue, envInt, envNumber, loadConfig, portOffset, servicePorts } from './config';

describe('config', () => {
  it('loadConfig - defaults per service', () => {
    const cfg = loadConfig(baseConfigShape('plan'), {});
    expect(cfg.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(cfg.GRPC_PORT).toBe(50053);
    expect(cfg.METRICS_PORT).toBe(9103);
    expect(cfg.LOG_LEVEL).toBe('info');
    expect(cfg.X0_PARTITIONS).toBe(1);
  });

  it('loadConfig - parses and trims values; empty means default', () => {
    const cfg = loadConfig(baseConfigShape('monitor'), { GRPC_PORT: ' 6000 ', LOG_LEVEL: 'debug', METRICS_PORT: '', NATS_URL: 'nats://a:1,nats://b:2' });
    expect(cfg.GRPC_PORT).toBe(6000);
    expect(cfg.METRICS_PORT).toBe(9101);
    expect(cfg.LOG_LEVEL).toBe('debug');
    expect(cfg.NATS_URL).toBe('nats://a:1,nats://b:2');
  });

  it('loadConfig - an empty value of a variable marked envEmptyIsValue reaches its schema; unset still takes the default', () => {
    const shape = { DIR: envEmptyIsValue(z.string().trim().default('deploy/x')), OTHER: z.string().trim().default('y'), N: envEmptyIsValue(envInt(3)) };
    expect(loadConfig(shape, { DIR: '', OTHER: '' })).toEqual({ DIR: '', OTHER: 'y', N: 3 });
    expect(loadConfig(shape, {})).toEqual({ DIR: 'deploy/x', OTHER: 'y', N: 3 });
    expect(loadConfig(shape, { DIR: ' /srv/x ' }).DIR).toBe('/srv/x');
    expect(() => loadConfig(shape, { N: '' })).toThrow('N must be an integer (got "")');
  });

  it('loadConfig - names every bad variable and its value', () => {
    let err: unknown;
    try {
      loadConfig(baseConfigShape('monitor'), { GRPC_PORT: 'abc', NATS_URL: 'http://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.variable).sort()).toEqual(['GRPC_PORT', 'LOG_LEVEL', 'NATS_URL']);
    expect((err as Error).message).toContain('GRPC_PORT must be an integer (got "abc")');
    expect((err as Error).message).toContain('NATS_URL must be one or more comma-separated nats://host:port URLs (got "http://x")');
  });

  it('loadConfig - range checks', () => {
    expect(() => loadConfig(baseConfigShape('monitor'), { GRPC_PORT: '70000' })).toThrow('GRPC_PORT must be ≤ 65535 (got "70000")');
    expect(() => loadConfig(baseConfigShape('monitor'), { X0_PARTITIONS: '2', X0_PARTITION_INDEX: '2' })).toThrow('X0_PARTITION_INDEX must be < X0_PARTITIONS (2)');
  });

  it('helpers - numbers and booleans', () => {
    const shape = { A: envNumber(0.5, 0, 1), B: envBool(false), C: envInt(3, 1, 5), D: z.string().default('x') };
    expect(loadConfig(shape, { A: '0.25', B: 'yes' })).toEqual({ A: 0.25, B: true, C: 3, D: 'x' });
    expect(() => loadConfig(shape, { A: 'NaN' })).toThrow('A must be a finite number (got "NaN")');
    expect(() => loadConfig(shape, { B: 'maybe' })).toThrow('B must be true or false (got "maybe")');
    expect(() => loadConfig(shape, { C: '1.5' })).toThrow('C must be an integer (got "1.5")');
  });

  it('X0_PORT_OFFSET - shifts the default ports of a service, not explicit ones; a bad value is named', () => {
    const cfg = loadConfig(baseConfigShape('plan'), { X0_PORT_OFFSET: '100' });
    expect([cfg.GRPC_PORT, cfg.METRICS_PORT]).toEqual([50153, 9203]);
    const explicit = loadConfig(baseConfigShape('plan'), { X0_PORT_OFFSET: '100', GRPC_PORT: '6000' });
    expect([explicit.GRPC_PORT, explicit.METRICS_PORT]).toEqual([6000, 9203]);
    expect(servicePorts('trainer', 100)).toEqual({ grpc: 50156, metrics: 9206 });
    expect(portOffset({})).toBe(0);
    expect(portOffset({ X0_PORT_OFFSET: ' 20 ' })).toBe(20);
    expect(() => portOffset({ X0_PORT_OFFSET: 'ten' })).toThrow('X0_PORT_OFFSET must be an integer (got "ten")');
    expect(() => portOffset({ X0_PORT_OFFSET: '20000' })).toThrow('X0_PORT_OFFSET must be ≤ 10000 (got "20000")');
  });
});
