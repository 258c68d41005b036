import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@x0/service-kit';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '__fixtures__' ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.(spec|int)\.ts$/.test(e.name) && e.name !== 'testing.ts' ? [p] : [];
  });
}

/**
 * The services whose own code (apps/<s>/src, libs/<s>-service/src; tests excluded) reads
 * X0_DATA_DIR: the only ones that write local files, so the only ones a deployment should
 * give a volume. Today: knowledge (its embedded vector store).
 */
export function servicesUsingDataDir(): ServiceName[] {
  return SERVICE_NAMES.filter((s) =>
    [...sources(path.join(root, 'apps', s, 'src')), ...sources(path.join(root, 'libs', `${s}-service`, 'src'))].some((f) => /\bX0_DATA_DIR\b/.test(fs.readFileSync(f, 'utf8'))),
  );
}
