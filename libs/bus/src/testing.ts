/** Test helpers for code that talks to NATS: a real nats-server per test file. */
export { startNatsServer, type NatsServerProcess, type NatsServerOptions } from './nats-server';
export { publishEvent, readDeadLetters, readEvents, waitFor } from './event-testing';
