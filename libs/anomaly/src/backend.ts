import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './types';

let selected: Promise<BackendName> | undefined;
let selectedFor: string | undefined;

/**
 * Picks the fastest TensorFlow.js backend that works here and makes it current:
 * native TensorFlow (`@tensorflow/tfjs-node`, present in the Docker images) → WebAssembly
 * (`@tensorflow/tfjs-backend-wasm`) → plain JavaScript ('cpu'). `preferred` skips the
 * faster ones ('cpu' forces cpu). Resolves to the backend that runs; never rejects
 * (cpu always works). The choice is process-wide, as in TensorFlow.js itself.
 */
export function selectBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendName> {
  if (selected && selectedFor === preferred) return selected;
  selectedFor = preferred;
  selected = pick(preferred);
  return selected;
}

async function pick(preferred: BackendName | 'auto'): Promise<BackendName> {
  const order: BackendName[] =
    preferred === 'cpu' ? ['cpu'] : preferred === 'wasm' ? ['wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    if (await trySet(name)) return name;
  }
  return 'cpu';
}

async function trySet(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // Optional native backend: only in images where its install could download libtensorflow.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
    } else if (name === 'wasm') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
    } else {
      // loaded only when needed: it costs start-up time of every `x0 detect` process
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-cpu');
    }
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}
