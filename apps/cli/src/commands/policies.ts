import fs from 'node:fs';
import type { Command } from 'commander';
import { withClient } from './client-session';
import { errorMessage } from '@x0/core';
import { fail, table } from './output';
import { rpcErrorMessage } from '@x0/client';
import { policyRows } from './plan-format';
import { policiesFromYaml, policyToYaml } from './policy-yaml';

/** `x0 policies ls|show|add|enable|disable`: the plan service's policies (JetStream KV; changes apply at once). */
export function registerPolicies(program: Command): void {
  const policies = program.command('policies').description('remediation policies of the plan service (changes take effect without a restart)');

  policies
    .command('ls', { isDefault: true })
    .description('list the policies')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient('x0-policies', async (client) => {
        const { policies: list } = await client.services.plan.listPolicies({});
        if (opts.json) process.stdout.write(`${JSON.stringify(list)}\n`);
        else process.stdout.write(`${table(policyRows(list))}\n${list.length} policies, ${list.filter((p) => p.enabled).length} enabled\n`);
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
    .description('add or replace the policies of a YAML file (a policy file, a list of policies, or one policy)')
    .action((file: string) => {
      let parsed;
      try {
        parsed = policiesFromYaml(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        fail(`${file}: ${errorMessage(err)}`, 2);
      }
      return withClient('x0-policies', async (client) => {
        for (const { field, policy } of parsed) {
          try {
            const stored = await client.services.plan.upsertPolicy({ policy });
            process.stdout.write(`upserted ${stored.id} (${stored.action}, priority ${stored.priority}${stored.enabled ? '' : ', disabled'})\n`);
          } catch (err) {
            throw new Error(`${file}: ${field}${policy.id ? ` (${policy.id})` : ''}: ${rpcErrorMessage(err)}`, { cause: err });
          }
        }
      });
    });

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
