// Test helper process: writes batches of 50 points forever (printing "batch N" after each
// durable write) until it is killed. Used by persistence.spec.ts to crash a writer for real.
import { EmbeddedVectorStore } from '../embedded-vector-store';

async function main(): Promise<void> {
  const store = new EmbeddedVectorStore({ dataDir: process.argv[2] });
  await store.start();
  await store.createCollection('inc', { vectors: { sig: { size: 8, distance: 'cosine' } } });
  for (let b = 0; ; b++) {
    const pts = Array.from({ length: 50 }, (_, i) => ({
      id: `w${b * 50 + i}`,
      vectors: { sig: Array.from({ length: 8 }, (_, j) => 1 + ((b * 50 + i + j) % 7)) },
      payload: { text: 'x'.repeat(2000), b },
    }));
    await store.upsert('inc', pts);
    process.stdout.write(`batch ${b}\n`);
  }
}
main();
