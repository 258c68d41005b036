import { X0Client } from '@x0/client';
import { rpcMessage } from './plan-format';

/** Runs `fn` with a client named `name` and closes it afterwards; errors propagate. */
export async function usingClient<T>(name: string, fn: (client: X0Client) => Promise<T>): Promise<T> {
  const client = new X0Client({ name });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs `fn` with a client, turning a failed call into `x0: <message>` and exit 1. */
export async function withClient(name: string, fn: (client: X0Client) => Promise<void>): Promise<void> {
  try {
    await usingClient(name, fn);
  } catch (err) {
    process.stderr.write(`x0: ${rpcMessage(err)}\n`);
    process.exitCode = 1;
  }
}
