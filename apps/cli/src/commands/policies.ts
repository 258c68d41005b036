import fs from 'node:fs';
import type { Command } from 'commander';
import { withClient } from './client-session';
import { errorMessage } from '@x0/core';
import { fail, table } from './output';
import { rpcErrorMessage, type X0Client } from '@x0/client';
import { CAUSES } from '@x0/contracts';
import { cooldownCapNote, policyRows } from './plan-format';
import { policiesFromYaml, policyToYaml, unusualCauses, type PolicyEntry } from './policy-yaml';
import { UsageError } from './failure';

/**
 * Refuses (UsageError, exit 2, before anything is written) a policy whose executor the execute
 * service does not have configured: every action it chose would fail with "executor 'x' not
 * found". Only the execute service knows its executors (EXECUTE_CONFIG_FILE); when it does not
 * answer, the check is skipped with a warning.
 */
async function checkExecutors(client: X0Client, entries: readonly PolicyEntry[], file: string): Promise<void> {
  let configured: string[];
  try {
    configured = (await client.services.execute.listActions({ component: '' })).executors;
  } catch (err) {
    process.stderr.write(`x0: warning: executors not checked: execute service: ${rpcErrorMessage(err)}\n`);
    return;
  }
  const bad = entries.find((e) => !configured.includes(e.policy.executor));
  if (bad) {
    throw new UsageError(
      `${file}: '${bad.field}.executor' is '${bad.policy.executor}', not an executor the execute service has configured (configured: ${configured.join(', ') || 'none'}); nothing was added`,
    );
  }
}

/** `x0 policies ls|show|add|rm|enable|disable`: the plan service's policies (JetStream KV; changes apply at once). */
export function registerPolicies(program: Command): void {
  const policies = program.command('policies').description('remediation policies of the plan service (changes take effect without a restart)');

  policies
    .command('ls', { isDefault: true })
    .description('list the policies')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient('x0-policies', async (client) => {
        const { policies: list } = await client.services.plan.listPolicies({});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        process.stdout.write(`${table(policyRows(list))}\n${list.length} policies, ${list.filter((p) => p.enabled).length} enabled\n`);
        // The listed cooldowns are the stored ones; the plan service may apply them capped.
        const cap = await client.services.plan.getStatistics({}).then((s) => s.gauges['plan_cooldown_cap_s'], () => undefined);
        const note = cooldownCapNote(cap, list);
        if (note) process.stdout.write(`${note}\n`);
      }),
    );

  policies
    .command('show <id>')
    .description('one policy, in policy-file form (YAML)')
    .action((id: string) =>
      withClient('x0-policies', async (client) => {
        const p = (await client.services.plan.listPolicies({})).policies.find((x) => x.id === id);
        if (!p) throw new Error(`policy '${id}' not found`);
        process.stdout.write(policyToYaml(p));
      }),
    );

  policies
    .command('add <file>')
    .description('add or replace the policies of a YAML file (a policy file, a list of policies, or one policy), checked as the plan service checks its policy file')
    .action((file: string) => {
      let entries: PolicyEntry[] = [];
      try {
        entries = policiesFromYaml(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        fail(`${file}: ${errorMessage(err)}`, 2);
      }
      for (const { field, cause } of unusualCauses(entries)) {
        process.stderr.write(
          `x0: warning: ${file}: '${field}' is '${cause}', not a cause analyze infers from metrics (${CAUSES.join(', ')}): the policy applies only when a runbook naming that cause decides the diagnosis\n`,
        );
      }
      return withClient('x0-policies', async (client) => {
        await checkExecutors(client, entries, file);
        for (const { field, policy } of entries) {
          try {
            const stored = await client.services.plan.upsertPolicy({ policy });
            process.stdout.write(`upserted ${stored.id} (${stored.action}, priority ${stored.priority}${stored.enabled ? '' : ', disabled'})\n`);
          } catch (err) {
            throw new Error(`${file}: ${field}${policy.id ? ` (${policy.id})` : ''}: ${rpcErrorMessage(err)}`, { cause: err });
          }
        }
      });
    });

  policies
    .command('rm <id>')
    .description('remove a policy: no plan considers it from now on, also after a restart (x0 policies add brings it back)')
    .action((id: string) =>
      withClient('x0-policies', async (client) => {
        const p = await client.services.plan.deletePolicy({ id });
        process.stdout.write(`removed ${p.id} (${p.action}, priority ${p.priority}${p.enabled ? '' : ', disabled'})\n`);
      }),
    );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    policies
      .command(`${name} <id>`)
      .description(`${name} a policy`)
      .action((id: string) =>
        withClient('x0-policies', async (client) => {
          const p = await client.services.plan.setPolicyEnabled({ id, enabled });
          process.stdout.write(`${p.id} ${p.enabled ? 'enabled' : 'disabled'}\n`);
        }),
      );
  }
}
