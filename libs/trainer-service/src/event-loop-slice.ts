/**
 * Longest stretch, ms, that a training job aims to run without yielding to the event loop.
 * tfjs ops on the cpu and wasm backends are synchronous, and so is decoding replayed
 * messages that are already buffered: the trainer must keep answering gRPC, publishing
 * progress and reading NATS while a job runs.
 */
export const TRAINING_SLICE_MS = 20;

/** Yields to the event loop (setImmediate: timers and sockets get their turn) once `ms` have passed since the last yield. */
export class EventLoopSlice {
  private last = performance.now();

  constructor(private readonly ms: number = TRAINING_SLICE_MS) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < this.ms) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
