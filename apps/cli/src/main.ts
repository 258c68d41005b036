import { Command } from 'commander';
import { errorMessage } from '@x0/core';
import { registerDemo } from './commands/demo';
import { registerDetect } from './commands/detect';
import { registerEvents } from './commands/events';
import { registerIncidents, registerKnowledge } from './commands/knowledge';
import { registerLabel } from './commands/label';
import { registerModels } from './commands/models';
import { registerPlanExecute } from './commands/plan-execute';
import { registerPublish } from './commands/publish';
import { registerStats, registerStatus } from './commands/status';
import { registerTrain } from './commands/train';

const program = new Command('x0')
  .description('x0tta6bl4: autonomic operations over NATS — watch, diagnose, act, verify, learn')
  .version('0.1.0')
  .showHelpAfterError();

registerStatus(program);
registerStats(program);
registerEvents(program);
registerPublish(program);
registerDemo(program);
registerDetect(program);
registerModels(program);
registerLabel(program);
registerTrain(program);
registerPlanExecute(program);
registerKnowledge(program);
registerIncidents(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`x0: ${errorMessage(err)}\n`);
  process.exit(1);
});
