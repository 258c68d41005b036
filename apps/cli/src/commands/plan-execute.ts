import type { Command } from 'commander';
import { registerApprovals } from './approvals';
import { registerAudit } from './audit';
import { registerPolicies } from './policies';
import { registerRank } from './rank';

/**
 * The plan and execute commands: `policies`, `rank`, `explain`, `pending`, `approve`,
 * `reject`, `actions`, `audit`.
 */
export function registerPlanExecute(program: Command): void {
  registerPolicies(program);
  registerRank(program);
  registerApprovals(program);
  registerAudit(program);
}
