import { NATS_DEFAULT_MAX_PAYLOAD, deadLetterMaxBytes } from './dead-letter';

describe('deadLetterMaxBytes', () => {
  it('is the server max_payload when the client knows it', () => {
    expect(deadLetterMaxBytes(4096)).toBe(4096);
  });

  it('is the NATS default of 1 MiB while the client has no server info (reconnecting)', () => {
    expect(NATS_DEFAULT_MAX_PAYLOAD).toBe(1024 * 1024);
    expect(deadLetterMaxBytes(undefined)).toBe(1024 * 1024);
  });
});
