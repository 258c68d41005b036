#!/usr/bin/env node
/**
 * Says which TensorFlow.js backend an image built from this directory will use (Dockerfile,
 * after `npm ci`). `@tensorflow/tfjs-node` is an optional dependency: when its install script
 * cannot download libtensorflow, `npm ci` still succeeds without it and the services fall back
 * to the WebAssembly backend (then plain JavaScript, 'cpu'). So a missing tfjs-node is a
 * warning (exit 0), unless REQUIRE_TFJS_NODE=1 asks for native TensorFlow (exit 1).
 *
 *   node tools/deploy/check-tfjs-node.mjs          resolves packages from the working directory
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const required = ['1', 'true', 'yes'].includes((process.env.REQUIRE_TFJS_NODE ?? '').trim().toLowerCase());
const requireHere = createRequire(path.join(process.cwd(), 'package.json'));

/** First line of a load error: "Cannot find module …" or the dlopen failure. */
function reason(err) {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

function loads(name) {
  try {
    requireHere(name);
    return undefined;
  } catch (err) {
    return reason(err);
  }
}

const nodeError = loads('@tensorflow/tfjs-node');
if (nodeError === undefined) {
  process.stdout.write('tfjs backend: tensorflow (@tensorflow/tfjs-node loads)\n');
} else if (required) {
  process.stderr.write(`error: @tensorflow/tfjs-node does not load (${nodeError}) and REQUIRE_TFJS_NODE=1\n`);
  process.exit(1);
} else {
  const wasm = loads('@tensorflow/tfjs-backend-wasm') === undefined;
  process.stderr.write(
    `warning: @tensorflow/tfjs-node does not load (${nodeError}); the image will use the ` +
      `${wasm ? 'wasm backend (@tensorflow/tfjs-backend-wasm)' : "'cpu' backend (@tensorflow/tfjs-backend-wasm does not load either)"}. ` +
      'Build with --build-arg REQUIRE_TFJS_NODE=1 to fail instead.\n',
  );
}
