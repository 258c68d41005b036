import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@x0/core';

const NAME = /^[A-Za-z0-9_-]+$/;
const MAX = 128;

/**
 * Registry model name of the per-component adapters of `baseModel`: `<base>--<component>`
 * when the component is made of `A-Z a-z 0-9 _ -` and the result fits 128 characters,
 * otherwise `<base>--h<16 hex of sha256(component)>`. The version records keep the real
 * component (`ModelVersionRecord.component`).
 */
export function adapterModelName(baseModel: string, component: string): string {
  if (!NAME.test(baseModel)) throw new InvalidArgumentError('baseModel', `must be made of A-Z, a-z, 0-9, '_' or '-', got ${JSON.stringify(baseModel)}`);
  if (!component) throw new InvalidArgumentError('component', 'must not be empty');
  const plain = `${baseModel}--${component}`;
  if (NAME.test(component) && plain.length <= MAX) return plain;
  return `${baseModel}--h${createHash('sha256').update(component).digest('hex').slice(0, 16)}`;
}

/** True when `model` names an adapter model of `baseModel` (see adapterModelName). */
export function isAdapterModelOf(baseModel: string, model: string): boolean {
  return model.startsWith(`${baseModel}--`);
}

/** The base model `model` is a per-component adapter of (`<base>--…`, see adapterModelName), or undefined for a base model. */
export function baseOfAdapterModel(model: string): string | undefined {
  const at = model.indexOf('--');
  return at > 0 && at + 2 < model.length ? model.slice(0, at) : undefined;
}
