import * as tf from '@tensorflow/tfjs';
// Registers the 'wasm' backend (SIMD when the runtime supports it); the cpu backend ships with tfjs.
import '@tensorflow/tfjs-backend-wasm';
import { errorMessage } from '@x0/core';

/** Backends this library selects between, fastest first. */
export type TfBackendName = 'wasm' | 'cpu';

/**
 * Makes the first backend of `preferred` that initialises the active tfjs backend and
 * returns its name: WebAssembly by default (about 3x the cpu backend for training on
 * small dense models), falling back to the pure-JS cpu backend. Never loads tfjs-node.
 * Throws Error when none of them initialises.
 */
export async function selectBackend(preferred: readonly TfBackendName[] = ['wasm', 'cpu']): Promise<TfBackendName> {
  const failures: string[] = [];
  for (const name of preferred) {
    if (tf.getBackend() === name) return name;
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
      failures.push(`${name}: did not initialise`);
    } catch (err) {
      failures.push(`${name}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be initialised (${failures.join('; ')})`);
}
