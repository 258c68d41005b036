import * as tf from '@tensorflow/tfjs';
import { selectBackend, type TfBackendName } from './backend';

describe('selectBackend', () => {
  it('default - picks wasm (installed with this library) and makes it active', async () => {
    expect(await selectBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fallback - takes the next backend when the first cannot initialise', async () => {
    expect(await selectBackend(['webgpu-missing' as TfBackendName, 'cpu'])).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('none - fails listing every backend tried', async () => {
    await expect(selectBackend(['nope' as TfBackendName])).rejects.toThrow('no TensorFlow.js backend could be initialised (nope:');
  });
});
