import { InvalidArgumentError } from '@x0/core';

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const VERSION = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Checks a model or alias name: 1–128 of `A-Z a-z 0-9 _ -` (a KV key token and a subject token). */
export function checkName(field: string, value: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new InvalidArgumentError(field, `must be 1-128 characters of A-Z, a-z, 0-9, '_' or '-', got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a version: like a name, dots allowed between parts (`1.4.0`), at most 128 characters. */
export function checkVersion(field: string, value: string): string {
  if (typeof value !== 'string' || value.length > 128 || !VERSION.test(value)) {
    throw new InvalidArgumentError(field, `must be 1-128 characters of A-Z, a-z, 0-9, '_', '-' or inner '.', got ${JSON.stringify(value)}`);
  }
  return value;
}

/** KV key of a version record. */
export function versionKey(model: string, version: string): string {
  return `v.${model}.${version}`;
}

/** KV key of an alias state. */
export function aliasKey(model: string, alias: string): string {
  return `a.${model}.${alias}`;
}
