import { result, type ExecutionRequest, type ExecutionResult, type Executor } from './types';

/** Options of DryRunExecutor. */
export interface DryRunExecutorOptions {
  name?: string;
  /** Says what the real executor would do; the default describes the request itself. */
  describe?: (request: ExecutionRequest) => string;
}

/**
 * Never acts: answers `skipped` with a description of what would have been done. Used for
 * dry-run requests (describing the configured executor) and as a `dry_run` executor type.
 */
export class DryRunExecutor implements Executor {
  readonly type = 'dry_run';
  readonly name: string;
  private readonly describeFn: (request: ExecutionRequest) => string;

  constructor(options: DryRunExecutorOptions = {}) {
    this.name = options.name ?? 'dry-run';
    this.describeFn = options.describe ?? describeRequest;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    return result('skipped', `dry run: would ${this.describeFn(request)}`, started, { dryRun: true });
  }

  describe(request: ExecutionRequest): string {
    return this.describeFn(request);
  }
}

/** `restart web-1 with {"graceful":"true"}` */
export function describeRequest(request: ExecutionRequest): string {
  const params = Object.keys(request.params).length > 0 ? ` with ${JSON.stringify(request.params)}` : '';
  return `${request.action} ${request.component}${params}`;
}
