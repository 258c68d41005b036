import { X0Client } from '@x0/client';
import { reportFailure } from './failure';

/** Runs `fn` with a client named `name` and closes it afterwards; errors propagate (main reports them). */
export async function usingClient<T>(name: string, fn: (client: X0Client) => Promise<T>): Promise<T> {
  const client = new X0Client({ name });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs `fn` with a client, turning a failure into `x0: <message>` and its exit code (see exitCodeOf). */
export async function withClient(name: string, fn: (client: X0Client) => Promise<void>): Promise<void> {
  try {
    await usingClient(name, fn);
  } catch (err) {
    reportFailure(err);
  }
}
